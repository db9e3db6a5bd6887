"""Conjugate models with known posteriors, recovered by fit_surrogate_posterior."""

import jax.numpy as jnp
import numpy as np
import optax
import pytest
import scipy.stats

from probax.distributions import Bernoulli, Beta, JointDistributionNamed, Normal, Sample
from probax.vi.convergence import LossNotDecreasing, ParameterChangeBelow
from probax.vi.fit import fit_surrogate_posterior
from probax.vi.surrogate_builders import build_affine_surrogate_posterior, build_factored_surrogate_posterior
from probax.vi.variational_loss import GradientEstimators

STL = GradientEstimators.DOUBLY_REPARAMETERIZED


def _adam(steps, rate=0.05):
    return optax.adam(optax.cosine_decay_schedule(rate, steps, alpha=0.01))


def _mvn_kl(m0, c0, m1, c1):
    """KL[N(m0, c0) || N(m1, c1)]."""
    inverse = np.linalg.inv(c1)
    d = m1 - m0
    return 0.5 * (
        np.trace(inverse @ c0)
        + d @ inverse @ d
        - len(m0)
        + np.linalg.slogdet(c1)[1]
        - np.linalg.slogdet(c0)[1]
    )


def _gaussian_of(q):
    flat = q.distribution
    scale = (
        np.asarray(flat.scale_tril) if hasattr(flat, "scale_tril") else np.diag(np.asarray(flat.scale_diag))
    )
    return np.asarray(flat.loc), scale @ scale.T


# ---------------------------------------------------------------- normal-normal, known variance
N_OBS, PRIOR_SD = 20, 2.0
OBS = np.random.default_rng(0).normal(1.5, 1.0, N_OBS)
NORMAL_MODEL = JointDistributionNamed(
    dict(mu=Normal(0.0, PRIOR_SD), y=lambda mu: Sample(Normal(mu, 1.0), N_OBS))
)
NORMAL_POSTERIOR = NORMAL_MODEL.experimental_pin(y=jnp.asarray(OBS))
PRECISION = 1 / PRIOR_SD**2 + N_OBS
EXACT_MEAN, EXACT_VAR = OBS.sum() / PRECISION, 1 / PRECISION


@pytest.fixture(scope="module")
def normal_fits():
    traces = []

    def target(**parts):
        traces.append(1)
        return NORMAL_POSTERIOR.unnormalized_log_prob(**parts)

    fits = {}
    for name, builder in [
        ("affine", build_affine_surrogate_posterior),
        ("factored", build_factored_surrogate_posterior),
    ]:
        fits[name] = fit_surrogate_posterior(
            target,
            builder(NORMAL_POSTERIOR),
            _adam(600),
            num_steps=600,
            sample_size=8,
            gradient_estimator=STL,
            seed=0,
            verbose=False,
        )
    return fits, len(traces)


def test_normal_normal_full_rank_kl_below_one_percent(normal_fits):
    q, trace = normal_fits[0]["affine"]
    m, c = _gaussian_of(q)
    assert _mvn_kl(m, c, np.array([EXACT_MEAN]), np.array([[EXACT_VAR]])) < 0.01
    assert trace["loss"].shape == (600,)
    # The loss is the negative ELBO: at the optimum, -log p(y) (the model's evidence), computed exactly.
    evidence = scipy.stats.multivariate_normal.logpdf(OBS, np.zeros(N_OBS), np.eye(N_OBS) + PRIOR_SD**2)
    assert abs(float(np.mean(trace["loss"][-100:])) + evidence) < 0.05


def test_normal_normal_mean_field_mean_within_two_percent(normal_fits):
    q, _ = normal_fits[0]["factored"]
    mean = float(q.sample(20000, seed=1)["mu"].mean())
    assert abs(mean - EXACT_MEAN) < 0.02 * abs(EXACT_MEAN)


def test_the_loop_traces_the_target_once(normal_fits):
    assert normal_fits[1] == 2  # once per fit, two fits


# ---------------------------------------------------------------- beta-bernoulli through a Sigmoid
FLIPS = np.array([1.0] * 20 + [0.0] * 10)
BETA_POSTERIOR = JointDistributionNamed(
    dict(p=Beta(2.0, 2.0), y=lambda p: Sample(Bernoulli(probs=p, dtype=jnp.float64), len(FLIPS)))
).experimental_pin(y=jnp.asarray(FLIPS))
EXACT_BETA = scipy.stats.beta(2 + FLIPS.sum(), 2 + len(FLIPS) - FLIPS.sum())


@pytest.mark.parametrize("builder", [build_affine_surrogate_posterior, build_factored_surrogate_posterior])
def test_beta_bernoulli_through_sigmoid(builder):
    q, _ = fit_surrogate_posterior(
        BETA_POSTERIOR.unnormalized_log_prob,
        builder(BETA_POSTERIOR),
        _adam(800),
        num_steps=800,
        sample_size=8,
        gradient_estimator=STL,
        seed=1,
        verbose=False,
    )
    draws, log_q = q.sample_and_log_prob(40000, seed=2)
    p = np.asarray(draws["p"])
    assert np.all((p > 0) & (p < 1))
    kl = np.mean(np.asarray(log_q) - EXACT_BETA.logpdf(p))
    assert kl < 0.01
    assert abs(p.mean() - EXACT_BETA.mean()) < 0.02 * EXACT_BETA.mean()


# ---------------------------------------------------------------- Bayesian linear regression
RNG = np.random.default_rng(1)
X = RNG.normal(size=(50, 3)) @ np.array([[1.0, 0.6, 0.0], [0.0, 1.0, 0.5], [0.0, 0.0, 1.0]])
NOISE, PRIOR = 0.5, 3.0
Y = X @ np.array([1.0, -2.0, 0.5]) + NOISE * RNG.normal(size=50)
POSTERIOR_COV = np.linalg.inv(X.T @ X / NOISE**2 + np.eye(3) / PRIOR**2)
POSTERIOR_MEAN = POSTERIOR_COV @ X.T @ Y / NOISE**2


def regression_log_prob(w):
    prior = -0.5 * jnp.sum(w**2) / PRIOR**2
    return prior - 0.5 * jnp.sum((jnp.asarray(Y) - jnp.asarray(X) @ w) ** 2) / NOISE**2


@pytest.mark.parametrize("builder", [build_affine_surrogate_posterior, build_factored_surrogate_posterior])
def test_bayesian_linear_regression(builder):
    q, _ = fit_surrogate_posterior(
        regression_log_prob, builder([3]), _adam(1000), num_steps=1000, sample_size=8, seed=3, verbose=False
    )
    m, c = _gaussian_of(q)
    np.testing.assert_array_less(np.abs(m - POSTERIOR_MEAN), 0.02 * np.abs(POSTERIOR_MEAN))
    if builder is build_affine_surrogate_posterior:
        assert _mvn_kl(m, c, POSTERIOR_MEAN, POSTERIOR_COV) < 0.01
    else:  # mean-field under-covers a correlated posterior: its variances are 1 / diag(precision)
        np.testing.assert_allclose(np.diag(c), 1 / np.diag(np.linalg.inv(POSTERIOR_COV)), rtol=0.1)


# ---------------------------------------------------------------- the loop
def test_convergence_criteria_stop_early_and_cut_the_trace():
    for criterion in (
        LossNotDecreasing(rtol=1e-2, window_size=10, min_num_steps=20),
        ParameterChangeBelow(atol=5e-2, window_size=5, min_num_steps=20),
    ):
        _, trace = fit_surrogate_posterior(
            regression_log_prob,
            build_factored_surrogate_posterior([3]),
            optax.adam(0.05),
            num_steps=2000,
            sample_size=4,
            seed=0,
            convergence_criterion=criterion,
            verbose=False,
        )
        assert 20 <= trace["loss"].shape[0] < 2000
        assert np.all(np.isfinite(np.asarray(trace["loss"])))


def test_trace_fn_sees_parameters_and_gradients():
    def trace_fn(t):
        return {"loc": t.parameters["loc"], "grad_norm": optax.tree.norm(t.gradients), "step": t.step}

    _, trace = fit_surrogate_posterior(
        regression_log_prob,
        build_factored_surrogate_posterior([3]),
        optax.sgd(1e-4),
        num_steps=5,
        seed=0,
        trace_fn=trace_fn,
        verbose=False,
    )
    assert trace["loc"].shape == (5, 3) and trace["grad_norm"].shape == (5,)
    np.testing.assert_array_equal(trace["step"], np.arange(5))
    np.testing.assert_allclose(trace["loc"][0], 0.0)  # recorded before the step's update


def test_float32_fit_stays_float32():
    q, trace = fit_surrogate_posterior(
        lambda z: -0.5 * jnp.sum((z - 1.0) ** 2),
        build_factored_surrogate_posterior([2], dtype=jnp.float32),
        optax.adam(0.1),
        num_steps=5,
        seed=0,
        verbose=False,
    )
    assert q.distribution.loc.dtype == jnp.float32 and trace["loss"].dtype == jnp.float32


def test_progress_bar_reports(capsys):
    fit_surrogate_posterior(
        lambda z: -0.5 * z**2,
        build_factored_surrogate_posterior(()),
        optax.adam(0.1),
        num_steps=40,
        seed=0,
        verbose=True,
    )
    err = capsys.readouterr().err
    assert "fit_surrogate_posterior" in err and "40/40" in err


@pytest.mark.parametrize(
    ("kwargs", "error", "match"),
    [
        ({"surrogate_posterior": Normal(0.0, 1.0)}, TypeError, "Trainable"),
        ({"optimizer": "adam"}, TypeError, "optax"),
        ({"num_steps": 0}, ValueError, "num_steps"),
        ({"seed": None}, ValueError, "seed"),
    ],
)
def test_bad_arguments(kwargs, error, match):
    arguments = dict(
        target_log_prob_fn=lambda z: -(z**2),
        surrogate_posterior=build_factored_surrogate_posterior(()),
        optimizer=optax.adam(0.1),
        num_steps=3,
        seed=0,
        verbose=False,
    )
    with pytest.raises(error, match=match):
        fit_surrogate_posterior(**{**arguments, **kwargs})
