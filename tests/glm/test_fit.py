"""`fit` and `fit_one_step` against R/Stata references, statsmodels' GLM and closed forms."""

from __future__ import annotations

import importlib
import warnings

import jax
import jax.numpy as jnp
import numpy as np
import pytest
import scipy.optimize
import scipy.special
import scipy.stats
import statsmodels.api as sm

from probax import glm
from tests.glm import datasets
from tests.glm.reference_fits import (
    ALL_CASES,
    CASES_BY_NAME,
    REAL_CASES,
    fitted,
    poisson_batch,
    statsmodels_fit,
)

REFERENCE_CASES = [case for case in REAL_CASES if case.reference is not None]


# ---------------------------------------------------------------- references and statsmodels
@pytest.mark.parametrize("case", REFERENCE_CASES, ids=str)
def test_matches_r_and_stata_reference_estimates(case):
    references = datasets.reference_cases()
    if references is None:
        pytest.skip(f"reference file {datasets.REFERENCE_FILE} is not available (../shared is absent)")
    reference = references[case.reference]
    result = fitted(case.name)
    assert bool(result.result.is_converged)
    # The references are printed with at least 7 significant digits: rounding is below 5e-7.
    np.testing.assert_allclose(result.result.model_coefficients, reference["params"], rtol=1e-6)
    # R's glm stops on a relative deviance change of 1e-8 and reports the standard errors of its
    # last iterate; on cpunish (29 iterations to converge fully) that leaves errors of up to 8.5e-6
    # (statsmodels' default fit shows the same offsets from R; fully converged it matches probax to 1e-12).
    bse_rtol = 2e-5 if case.name == "cpunish_poisson" else 1e-6
    np.testing.assert_allclose(result.statistics.standard_errors, reference["bse"], rtol=bse_rtol)
    if "llf" in reference:
        np.testing.assert_allclose(result.statistics.log_likelihood, reference["llf"], rtol=1e-8)


@pytest.mark.parametrize("case", ALL_CASES, ids=str)
def test_matches_statsmodels_coefficients(case):
    result = fitted(case.name)
    assert bool(result.result.is_converged)
    np.testing.assert_allclose(result.result.model_coefficients, result.statsmodels.params, rtol=1e-6)
    np.testing.assert_allclose(
        result.result.predicted_linear_response,
        result.data.model_matrix @ np.asarray(result.result.model_coefficients),
        rtol=1e-12,
        atol=1e-12,
    )


# ---------------------------------------------------------------- softplus links vs scipy MLE
def _unit_covariates(rng, n):
    return np.column_stack([np.ones(n), rng.uniform(0.0, 1.0, (n, 2))])


SOFTPLUS_TRUTH = np.array([1.0, 0.8, -0.5])


def _softplus(r):
    return np.logaddexp(0.0, r)


def _softplus_case(name):
    rng = np.random.default_rng(21)
    x = _unit_covariates(rng, 400)
    mean = _softplus(x @ SOFTPLUS_TRUTH)
    if name == "poisson_softplus":
        y = rng.poisson(mean).astype(np.float64)
        return x, y, glm.PoissonSoftplus(), lambda m: -scipy.stats.poisson(m).logpmf(y).sum()
    if name == "gamma_softplus":
        y = rng.gamma(1.5, mean)
        return (
            x,
            y,
            glm.GammaSoftplus(concentration=1.5),
            lambda m: -scipy.stats.gamma(1.5, scale=m).logpdf(y).sum(),
        )
    if name == "negative_binomial_softplus":
        y = rng.negative_binomial(3.0, 3.0 / (3.0 + mean)).astype(np.float64)
        family = glm.NegativeBinomialSoftplus(total_count=3.0)
        return x, y, family, lambda m: -scipy.stats.nbinom(3.0, 3.0 / (3.0 + m)).logpmf(y).sum()
    # LogNormalSoftplus: Fisher scoring solves the quasi-likelihood equations of variance
    # proportional to mean**2, whose solution is the Gamma (any shape) MLE with the same link.
    y = mean * np.exp(0.5 * rng.normal(size=400) - 0.125)
    return x, y, glm.LogNormalSoftplus(), lambda m: -scipy.stats.gamma(1.0, scale=m).logpdf(y).sum()


@pytest.mark.parametrize(
    "name", ["poisson_softplus", "gamma_softplus", "negative_binomial_softplus", "lognormal_softplus"]
)
def test_softplus_links_match_scipy_maximum_likelihood(name):
    x, y, family, negative_log_likelihood = _softplus_case(name)
    w, _, is_converged, _ = glm.fit(
        x,
        y,
        family,
        convergence_criteria_fn=glm.convergence_criteria_small_relative_norm_weights_change(1e-10),
    )
    assert bool(is_converged)
    # Central differences make the oracle's gradient accurate to ~1e-10, so its optimum is
    # accurate to ~1e-7 relative; 1e-5 leaves room for the curvature of each problem.
    oracle = scipy.optimize.minimize(
        lambda v: negative_log_likelihood(_softplus(x @ v)),
        np.full(3, 0.5),
        method="BFGS",
        jac="3-point",
        options=dict(gtol=1e-8),
    )
    np.testing.assert_allclose(w, oracle.x, rtol=1e-5)


# ---------------------------------------------------------------- batches, jit, vmap
def _poisson_batch():
    x, y, results = poisson_batch()
    return x, y, np.stack([result.params for result in results])


def test_batch_dimensions_fit_independent_problems():
    x, y, oracle = _poisson_batch()
    w, r, is_converged, num_iter = glm.fit(x, y, glm.Poisson())
    assert w.shape == (4, 3) and r.shape == (4, 60)
    assert is_converged.shape == () and bool(is_converged) and num_iter.shape == ()
    # TFP's default criterion (relative change < 1e-5) stops after a Newton step of that size;
    # quadratic convergence leaves an error of its square, far below 1e-6.
    np.testing.assert_allclose(w, oracle, rtol=1e-6)
    stopped_early = glm.fit(x, y, glm.Poisson(), maximum_iterations=2)
    assert int(stopped_early.num_iter) == 2 and not bool(stopped_early.is_converged)


def test_vmap_fits_each_problem_with_its_own_stopping_time():
    x, y, oracle = _poisson_batch()
    fit_all = jax.jit(jax.vmap(lambda x, y: glm.fit(x, y, glm.Poisson())))
    w, r, is_converged, num_iter = fit_all(x, y)
    assert is_converged.shape == (4,) and bool(np.all(is_converged))
    assert num_iter.shape == (4,)
    np.testing.assert_allclose(w, oracle, rtol=1e-6)
    np.testing.assert_allclose(r, np.einsum("bnp,bp->bn", x, oracle), rtol=1e-6, atol=1e-9)


def test_float32_fit_converges_to_the_float64_answer():
    data = datasets.spector()
    x32, y32 = data.model_matrix.astype(np.float32), data.response.astype(np.float32)
    w, r, is_converged, _ = glm.fit(x32, y32, glm.Bernoulli())
    assert w.dtype == jnp.float32 and r.dtype == jnp.float32 and bool(is_converged)
    reference = fitted("spector_logit").statsmodels.params
    # float32 rounding (eps 1.2e-7) amplified by the Fisher information's condition number (~1e3).
    np.testing.assert_allclose(w, reference, rtol=2e-4)


# ---------------------------------------------------------------- regularization, offsets, damping
def _gaussian_problem():
    """50 rows, 3 columns, y = x @ (1, 2, 3) + noise."""
    rng = np.random.default_rng(3)
    x = rng.normal(size=(50, 3))
    return x, x @ np.array([1.0, 2.0, 3.0]) + rng.normal(size=50)


@pytest.mark.parametrize("fast_unsafe_numerics", [True, False], ids=["cholesky", "qr"])
def test_l2_regularizer_solves_tfps_normal_equations(fast_unsafe_numerics):
    # TFP computes (X^T W X + l2 diag(factor**2)) w = X^T W z with W = 1 / dispersion for the
    # Normal family. Three problems in one batch: per-coefficient factors; a dispersion of 0.5
    # (which doubles the penalty relative to the likelihood); no penalty (least squares).
    x, y = _gaussian_problem()
    factors = np.array([[0.0, 1.0, 2.0], [1.0, 1.0, 1.0], [1.0, 1.0, 1.0]])
    l2 = np.array([10.0, 10.0, 0.0])
    dispersion = np.array([[1.0], [0.5], [1.0]])
    w, *_ = glm.fit(
        np.broadcast_to(x, (3, *x.shape)),
        np.broadcast_to(y, (3, *y.shape)),
        glm.Normal(),
        l2_regularizer=l2,
        l2_regularization_penalty_factor=factors,
        dispersion=dispersion,
        fast_unsafe_numerics=fast_unsafe_numerics,
    )
    expected = [
        np.linalg.solve(x.T @ x / d + penalty * np.diag(f**2), x.T @ y / d)
        for penalty, f, d in zip(l2, factors, dispersion[:, 0], strict=True)
    ]
    np.testing.assert_allclose(w, expected, rtol=1e-10)


def test_l2_regularized_logistic_fit_is_stationary():
    data = datasets.spector()
    x, y = data.model_matrix, data.response
    w, *_ = glm.fit(
        x,
        y,
        glm.Bernoulli(),
        l2_regularizer=2.0,
        convergence_criteria_fn=glm.convergence_criteria_small_relative_norm_weights_change(1e-12),
    )
    # Gradient of sum(-log p) + (l2 / 2) ||w||**2, the objective TFP's normal equations solve.
    gradient = -x.T @ (y - scipy.special.expit(x @ np.asarray(w))) + 2.0 * np.asarray(w)
    np.testing.assert_allclose(gradient, 0.0, atol=1e-9)


def test_offset_and_learning_rate_match_statsmodels():
    # The offset changes the estimate; damping (learning_rate) changes only the path to it.
    x, y, _ = _poisson_batch()
    exposure = np.linspace(0.5, 2.0, 60)
    w, r, is_converged, num_iter = glm.fit(
        x[0],
        y[0],
        glm.Poisson(),
        offset=np.log(exposure),
        learning_rate=0.5,
        convergence_criteria_fn=glm.convergence_criteria_small_relative_norm_weights_change(1e-12),
    )
    expected = sm.GLM(y[0], x[0], family=sm.families.Poisson(), offset=np.log(exposure)).fit(tol=1e-13)
    assert bool(is_converged)
    # Halved steps converge linearly (the error halves per step) instead of quadratically.
    assert int(num_iter) > 30
    np.testing.assert_allclose(w, expected.params, rtol=1e-6)
    np.testing.assert_allclose(r, x[0] @ expected.params + np.log(exposure), rtol=1e-6)


def test_fit_one_step_on_a_normal_model_is_least_squares():
    x, y = _gaussian_problem()
    w, r = glm.fit_one_step(x, y, glm.Normal())
    expected = np.linalg.lstsq(x, y, rcond=None)[0]
    np.testing.assert_allclose(w, expected, rtol=1e-12)
    np.testing.assert_allclose(r, x @ expected, rtol=1e-12)


def test_custom_convergence_criterion_decides_when_to_stop():
    x, y, _ = _poisson_batch()
    seen = []

    def after_three_steps(iter_, **kwargs):
        seen.append(sorted(kwargs))
        return iter_ >= 2

    result = glm.fit(x[2], y[2], glm.Poisson(), convergence_criteria_fn=after_three_steps)
    assert int(result.num_iter) == 3 and bool(result.is_converged)
    assert seen[0] == sorted(
        [
            "is_converged_previous",
            "model_coefficients_previous",
            "predicted_linear_response_previous",
            "model_coefficients_next",
            "predicted_linear_response_next",
            "response",
            "model",
            "dispersion",
        ]
    )


def test_compute_predicted_linear_response():
    x, _ = _gaussian_problem()
    w = np.array([1.0, -1.0, 0.5])
    np.testing.assert_allclose(
        glm.compute_predicted_linear_response(x, w, offset=2.0), x @ w + 2.0, rtol=1e-14
    )


# ---------------------------------------------------------------- bad input
@pytest.mark.parametrize(
    ("arguments", "match"),
    [
        (dict(model_matrix=np.ones(3)), "model_matrix"),
        (dict(response=np.ones(4)), "response"),
        (dict(model_coefficients_start=np.zeros(3)), "model_coefficients_start"),
        (dict(predicted_linear_response_start=np.zeros(2)), "predicted_linear_response_start"),
        (dict(l2_regularizer=-1.0), "l2_regularizer"),
        (dict(model="poisson"), "model"),
        (dict(maximum_iterations=-2), "maximum_iterations"),
        (
            dict(l2_regularizer=1.0, l2_regularization_penalty_factor=np.ones(5)),
            "l2_regularization_penalty_factor",
        ),
        (dict(offset=np.ones(4)), "offset"),
    ],
)
def test_bad_arguments_raise_value_error_naming_them(arguments, match):
    defaults = dict(model_matrix=np.ones((3, 2)), response=np.ones(3), model=glm.Poisson())
    with warnings.catch_warnings(), pytest.raises(ValueError, match=match):
        glm.fit(**{**defaults, **arguments})


# ---------------------------------------------------------------- the fast path's numerics
def _logistic_problem(num_rows=2000, num_columns=8, seed=7):
    rng = np.random.default_rng(seed)
    x = rng.normal(size=(num_rows, num_columns))
    truth = rng.normal(size=num_columns) / np.sqrt(num_columns)
    return x, rng.binomial(1, scipy.special.expit(x @ truth)).astype(np.float64)


def test_fit_follows_the_iterates_of_exact_fisher_scoring():
    # fit forms the Fisher information in float32 and reuses its factor once the weights settle;
    # the score is exact, so each iterate should match float64 Fisher scoring (fit_one_step,
    # which solves TFP's normal equations in the problem's precision) to float32 accuracy, and
    # stop after as many steps.
    x, y = _logistic_problem()
    w, r = np.zeros(x.shape[1]), np.zeros(x.shape[0])
    for num_steps in range(1, 10):
        w_before = w
        w, r = glm.fit_one_step(
            x, y, glm.Bernoulli(), model_coefficients_start=w, predicted_linear_response_start=r
        )
        result = glm.fit(x, y, glm.Bernoulli(), maximum_iterations=num_steps)
        np.testing.assert_allclose(result.model_coefficients, w, rtol=0, atol=1e-6 * np.max(np.abs(w)))
        np.testing.assert_allclose(
            result.predicted_linear_response, x @ np.asarray(result.model_coefficients)
        )
        exact_converged = (
            num_steps > 1 and np.linalg.norm(w - w_before) / (1 + np.linalg.norm(w_before)) < 1e-5
        )
        assert bool(result.is_converged) == exact_converged
        if exact_converged:
            break
    assert num_steps > 3


@pytest.mark.parametrize("name", ["longley_gaussian", "star98_binomial"])
def test_fast_path_converges_on_ill_conditioned_designs(name):
    # Normal equations with condition numbers ~1e12-1e19 make a single Cholesky solve inaccurate
    # (the reason these cases use QR elsewhere); Newton steps with an exact score still converge.
    case = CASES_BY_NAME[name]
    data = case.load()
    result = glm.fit(
        data.model_matrix,
        data.response,
        case.family(data),
        convergence_criteria_fn=glm.convergence_criteria_small_relative_norm_weights_change(1e-10),
    )
    assert bool(result.is_converged)
    np.testing.assert_allclose(result.model_coefficients, statsmodels_fit(case, data).params, rtol=1e-8)


def test_step_depends_on_the_start_only_through_its_linear_response():
    # TFP's step solves (X^T W X) w = X^T W z at the starting linear response r, whatever the
    # starting coefficients; probax's Newton form must give the same when the two disagree.
    x, y = _logistic_problem(num_rows=200, num_columns=4)
    r = np.linspace(-1.0, 1.0, 200)
    mean = scipy.special.expit(r)
    weight = mean * (1 - mean)
    z = r + (y - mean) / weight
    expected = np.linalg.solve(x.T @ (weight[:, None] * x), x.T @ (weight * z))
    w, _ = glm.fit_one_step(
        x, y, glm.Bernoulli(), model_coefficients_start=np.ones(4), predicted_linear_response_start=r
    )
    np.testing.assert_allclose(w, expected, rtol=1e-12)
    from_both = glm.fit(
        x, y, glm.Bernoulli(), model_coefficients_start=np.ones(4), predicted_linear_response_start=r
    )
    from_response = glm.fit(x, y, glm.Bernoulli(), predicted_linear_response_start=r)
    np.testing.assert_allclose(from_both.model_coefficients, from_response.model_coefficients, rtol=1e-12)
    assert int(from_both.num_iter) == int(from_response.num_iter)


def test_new_data_of_the_same_shapes_reuses_the_compiled_fit():
    compiled = importlib.import_module("probax.glm.fit")._fit_jit
    x, y = _logistic_problem(num_rows=300, num_columns=3, seed=1)
    glm.fit(x, y, glm.Bernoulli())
    size = compiled._cache_size()
    x_other, y_other = _logistic_problem(num_rows=300, num_columns=3, seed=2)
    glm.fit(x_other, y_other, glm.Bernoulli())
    glm.fit(
        x_other,
        y_other,
        glm.Bernoulli(),
        convergence_criteria_fn=glm.convergence_criteria_small_relative_norm_weights_change(),
    )
    assert compiled._cache_size() == size
