"""`fit_sparse` against scikit-learn's elastic-net solvers, the optimality conditions and a sparse truth."""

from __future__ import annotations

import warnings

import jax
import jax.numpy as jnp
import numpy as np
import pytest
import scipy.special
import scipy.stats
from sklearn.linear_model import ElasticNet, LogisticRegression

from probax import glm
from tests.glm.reference_fits import synthetic_probit

# A relative step below sqrt(1e-16) = 1e-8 per outer iteration: far tighter than the 1e-4
# agreement asked of the comparisons, so they measure the solution, not the stopping point.
TIGHT = 1e-16


def _features(seed, n=200, p=8):
    rng = np.random.default_rng(seed)
    return rng, rng.normal(size=(n, p))


TRUTH = np.array([1.5, 0.0, 0.0, -2.0, 0.0, 0.5, 0.0, 0.0])


@pytest.fixture(scope="module")
def gaussian_data():
    rng, x = _features(1)
    return x, x @ TRUTH + rng.normal(size=x.shape[0])


@pytest.fixture(scope="module")
def logistic_data():
    rng, x = _features(2)
    return x, rng.binomial(1, scipy.special.expit(x @ TRUTH)).astype(np.float64)


@pytest.mark.parametrize(("alpha", "l1_ratio"), [(0.1, 0.7), (0.05, 1.0), (0.3, 0.2)])
def test_gaussian_matches_sklearn_elastic_net(gaussian_data, alpha, l1_ratio):
    x, y = gaussian_data
    n = x.shape[0]
    expected = ElasticNet(
        alpha=alpha, l1_ratio=l1_ratio, fit_intercept=False, tol=1e-14, max_iter=100_000
    ).fit(x, y)
    # sklearn: ||y - Xw||^2 / (2n) + alpha r ||w||_1 + alpha (1 - r) / 2 ||w||^2; times n gives
    # fit_sparse's sum-scaled objective with the Normal family's -log p = (y - Xw)^2 / 2 + const.
    w, is_converged, _ = glm.fit_sparse(
        x,
        y,
        glm.Normal(),
        l1_regularizer=n * alpha * l1_ratio,
        l2_regularizer=n * alpha * (1 - l1_ratio) / 2,
        tolerance=TIGHT,
    )
    assert bool(is_converged)
    np.testing.assert_allclose(w, expected.coef_, rtol=1e-4, atol=1e-8)
    np.testing.assert_array_equal(np.asarray(w) == 0, expected.coef_ == 0)


@pytest.mark.parametrize(("inverse_c", "l1_ratio"), [(20.0, 0.7), (10.0, 1.0)])
def test_logistic_matches_sklearn_saga(logistic_data, inverse_c, l1_ratio):
    x, y = logistic_data
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # saga's convergence chatter at this tolerance
        expected = LogisticRegression(
            C=1 / inverse_c,
            l1_ratio=l1_ratio,
            solver="saga",
            fit_intercept=False,
            tol=1e-12,
            max_iter=100_000,
        ).fit(x, y)
    # sklearn: C sum(logloss) + r ||w||_1 + (1 - r) / 2 ||w||^2; divided by C this is
    # fit_sparse's objective with l1 = r / C and l2 = (1 - r) / (2 C).
    w, is_converged, _ = glm.fit_sparse(
        x,
        y,
        glm.Bernoulli(),
        l1_regularizer=l1_ratio * inverse_c,
        l2_regularizer=(1 - l1_ratio) * inverse_c / 2,
        tolerance=TIGHT,
    )
    assert bool(is_converged)
    np.testing.assert_allclose(w, expected.coef_[0], rtol=1e-4, atol=1e-8)


def test_solution_satisfies_optimality_conditions_for_a_non_canonical_link():
    data = synthetic_probit()
    x, y = data.model_matrix, data.response
    l1, l2 = 90.0, 2.0  # leaves the intercept at zero and two slopes active
    w, is_converged, _ = glm.fit_sparse(
        x, y, glm.BernoulliNormalCDF(), l1_regularizer=l1, l2_regularizer=l2, tolerance=TIGHT
    )
    assert bool(is_converged)
    w = np.asarray(w)
    # Subgradient conditions of -sum log p + l1 |w|_1 + l2 |w|^2, with the probit score from scipy.
    r = x @ w
    mean, density = scipy.stats.norm.cdf(r), scipy.stats.norm.pdf(r)
    gradient = -x.T @ ((y - mean) * density / (mean * (1 - mean))) + 2 * l2 * w
    active = w != 0
    assert active.any() and not active.all()
    np.testing.assert_allclose(gradient[active], -l1 * np.sign(w[active]), rtol=1e-7)
    assert np.all(np.abs(gradient[~active]) <= l1)


def test_recovers_the_support_of_a_sparse_truth():
    rng, x = _features(3, n=2000, p=20)
    truth = np.zeros(20)
    truth[[2, 7, 11, 16]] = [1.5, -1.0, 2.0, -1.5]
    y = rng.binomial(1, scipy.special.expit(x @ truth)).astype(np.float64)
    l1 = 0.2 * float(glm.largest_useful_l1_regularizer(x, y, glm.Bernoulli()))
    w, is_converged, _ = glm.fit_sparse(
        model_matrix=x, response=y, l1_regularizer=l1, l2_regularizer=1.0, model=glm.Bernoulli()
    )
    assert bool(is_converged)
    np.testing.assert_array_equal(np.flatnonzero(np.asarray(w)), [2, 7, 11, 16])
    assert np.all(np.sign(np.asarray(w)[[2, 7, 11, 16]]) == np.sign(truth[[2, 7, 11, 16]]))


def test_seed_call_with_defaults_converges(logistic_data):
    x, y = logistic_data
    # The seed's call, as written: no start, no tolerance, no iteration cap.
    w, is_converged, num_iter = glm.fit_sparse(
        model_matrix=x, response=y, l1_regularizer=0.5, l2_regularizer=1.0, model=glm.Bernoulli()
    )
    assert bool(is_converged) and 1 < int(num_iter) < 1000
    tight, *_ = glm.fit_sparse(x, y, glm.Bernoulli(), l1_regularizer=0.5, l2_regularizer=1.0, tolerance=TIGHT)
    # Default tolerance 1e-12: relative steps below 1e-6 at the end.
    np.testing.assert_allclose(w, tight, rtol=1e-4, atol=1e-6)


def test_one_step_with_many_sweeps_solves_the_gaussian_problem(gaussian_data):
    # For the Normal family the quadratic model is exact: one outer step with enough sweeps is the answer.
    x, y = gaussian_data
    n, p = x.shape
    expected = ElasticNet(alpha=0.1, l1_ratio=0.7, fit_intercept=False, tol=1e-14, max_iter=100_000).fit(x, y)
    w, is_converged, num_updates = glm.fit_sparse_one_step(
        x,
        y,
        glm.Normal(),
        l1_regularizer=n * 0.07,
        l2_regularizer=n * 0.015,
        tolerance=TIGHT,
        maximum_full_sweeps=200,
    )
    assert bool(is_converged) and int(num_updates) % p == 0 and int(num_updates) < 200 * p
    np.testing.assert_allclose(w, expected.coef_, rtol=1e-4, atol=1e-8)


def test_vmap_over_penalties_matches_separate_fits(logistic_data):
    x, y = logistic_data
    l1s = jnp.array([1.0, 5.0, 20.0])
    fit = jax.jit(
        jax.vmap(lambda l1: glm.fit_sparse(x, y, glm.Bernoulli(), l1_regularizer=l1, tolerance=TIGHT)),
    )
    batched = fit(l1s)
    assert batched.is_converged.shape == (3,) and bool(np.all(batched.is_converged))
    for k, l1 in enumerate([1.0, 5.0, 20.0]):
        single = glm.fit_sparse(x, y, glm.Bernoulli(), l1_regularizer=l1, tolerance=TIGHT)
        np.testing.assert_allclose(
            batched.model_coefficients[k], single.model_coefficients, rtol=1e-10, atol=1e-12
        )
    # More L1, fewer non-zeros.
    counts = (np.asarray(batched.model_coefficients) != 0).sum(axis=-1)
    assert counts[0] >= counts[1] >= counts[2]


def test_float32_converges_near_the_float64_solution(logistic_data):
    x, y = logistic_data
    w64, *_ = glm.fit_sparse(x, y, glm.Bernoulli(), l1_regularizer=10.0, l2_regularizer=1.0, tolerance=TIGHT)
    w32, is_converged, _ = glm.fit_sparse(
        x.astype(np.float32), y.astype(np.float32), glm.Bernoulli(), l1_regularizer=10.0, l2_regularizer=1.0
    )
    assert w32.dtype == jnp.float32 and bool(is_converged)
    # float32's default tolerance 1e-8 stops at relative steps of 1e-4.
    np.testing.assert_allclose(w32, w64, rtol=1e-3, atol=1e-4)


def test_large_l1_gives_all_zeros_and_iteration_cap_is_honoured(logistic_data):
    x, y = logistic_data
    largest = float(glm.largest_useful_l1_regularizer(x, y, glm.Bernoulli()))
    w, is_converged, _ = glm.fit_sparse(x, y, glm.Bernoulli(), l1_regularizer=largest * 1.001)
    assert bool(is_converged) and np.all(np.asarray(w) == 0)
    w, *_ = glm.fit_sparse(x, y, glm.Bernoulli(), l1_regularizer=largest * 0.9)
    assert np.any(np.asarray(w) != 0)
    _, is_converged, num_iter = glm.fit_sparse(
        x, y, glm.Bernoulli(), l1_regularizer=1.0, maximum_iterations=1
    )
    assert int(num_iter) == 1 and not bool(is_converged)


@pytest.mark.parametrize(
    ("arguments", "match"),
    [
        (dict(l1_regularizer=None), "l1_regularizer"),
        (dict(l1_regularizer=-1.0), "l1_regularizer"),
        (dict(l2_regularizer=-1.0), "l2_regularizer"),
        (dict(tolerance=-1.0), "tolerance"),
        (dict(maximum_full_sweeps_per_iteration=1.5), "maximum_full_sweeps_per_iteration"),
        (dict(model_coefficients_start=np.zeros(3)), "model_coefficients_start"),
        (dict(model=None), "model"),
    ],
)
def test_bad_arguments_raise_value_error_naming_them(arguments, match):
    defaults = dict(
        model_matrix=np.ones((3, 2)), response=np.ones(3), model=glm.Bernoulli(), l1_regularizer=1.0
    )
    with pytest.raises(ValueError, match=match):
        glm.fit_sparse(**{**defaults, **arguments})
