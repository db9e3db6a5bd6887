"""nll, crps, pit and coverage against scipy, numerical integration and sample estimates."""

import jax
import jax.numpy as jnp
import numpy as np
import pytest
from scipy import integrate, stats

from probax.distributions import Categorical, Logistic, MixtureSameFamily, MultivariateNormalDiag, Normal
from probax.layers.independent_heads import IndependentNormal
from probax.layers.mixture_heads import MixtureNormal
from probax.metrics.calibration import coverage, pit
from probax.metrics.crps import crps, sample_crps
from probax.metrics.likelihood import nll

RNG = np.random.default_rng(2)


def crps_by_integration(cdf, y, low, high):
    """integral of (F(x) - 1{x >= y})^2 dx, split at y."""
    left = integrate.quad(lambda x: cdf(x) ** 2, low, y, limit=200)[0]
    right = integrate.quad(lambda x: (1 - cdf(x)) ** 2, y, high, limit=200)[0]
    return left + right


def test_nll_is_mean_negative_log_prob():
    loc, scale, y = RNG.normal(size=5), np.exp(RNG.normal(size=5)), RNG.normal(size=5)
    d = Normal(loc, scale)
    np.testing.assert_allclose(nll(d, y), -np.mean(stats.norm.logpdf(y, loc, scale)), rtol=1e-12)
    np.testing.assert_allclose(nll(d, y, reduce=False), -stats.norm.logpdf(y, loc, scale), rtol=1e-12)
    with pytest.raises(TypeError, match="nll: dist must be a probax Distribution"):
        nll(np.zeros(2), y)


def test_crps_normal_closed_form_matches_integration():
    loc, scale = np.array([0.0, 1.5, -2.0]), np.array([1.0, 0.3, 2.5])
    y = np.array([0.3, 1.0, 4.0])
    values = crps(Normal(loc, scale), y, reduce=False)
    expected = [crps_by_integration(stats.norm(m, s).cdf, v, m - 12 * s, m + 12 * s)
                for m, s, v in zip(loc, scale, y, strict=True)]
    np.testing.assert_allclose(values, expected, rtol=1e-7)
    np.testing.assert_allclose(crps(Normal(loc, scale), y), np.mean(expected), rtol=1e-7)


def test_crps_normal_mixture_closed_form_matches_integration_and_samples():
    weights, locs, scales = np.array([0.2, 0.5, 0.3]), np.array([-1.0, 0.5, 2.0]), np.array([0.5, 1.0, 0.7])
    d = MixtureSameFamily(Categorical(probs=weights), Normal(locs, scales))

    def cdf(x):
        return float(np.sum(weights * stats.norm.cdf(x, locs, scales)))

    for y in [-1.7, 0.4, 3.0]:
        exact = crps_by_integration(cdf, y, -15.0, 15.0)
        np.testing.assert_allclose(crps(d, y), exact, rtol=1e-7)
    draws = 20_000
    samples = d.sample(draws, seed=0)
    terms = np.abs(np.asarray(samples) - 0.4)
    np.testing.assert_allclose(sample_crps(samples, 0.4), crps(d, 0.4), atol=5 * terms.std() / np.sqrt(draws))


def test_crps_of_heads_with_unit_event():
    params = RNG.normal(size=(4, MixtureNormal.params_size(3, [1])))
    y = RNG.normal(size=(4, 1))
    head_out = MixtureNormal(3, [1])(params)
    scalar_out = MixtureNormal.new(params, 3, ())
    expected = crps(scalar_out, y[:, 0], reduce=False)
    np.testing.assert_allclose(crps(head_out, y, reduce=False), expected, rtol=1e-12)
    normal_params = RNG.normal(size=(4, 2))
    np.testing.assert_allclose(
        crps(IndependentNormal(1)(normal_params), y, reduce=False),
        crps(Normal(normal_params[:, 0], np.logaddexp(0, normal_params[:, 1])), y[:, 0], reduce=False),
        rtol=1e-12,
    )


def test_sample_crps_equals_pairwise_formula():
    samples = RNG.normal(size=(7, 3))
    y = RNG.normal(size=3)
    pairwise = np.abs(samples[:, None, :] - samples[None, :, :]).sum((0, 1)) / (7 * 6)
    expected = np.abs(samples - y).mean(0) - 0.5 * pairwise
    np.testing.assert_allclose(sample_crps(samples, y), expected, rtol=1e-12)
    with pytest.raises(ValueError, match="at least 2 draws"):
        sample_crps(samples[:1], y)


def test_crps_sample_estimate_for_other_families():
    d = Logistic(0.5, 0.8)
    exact = crps_by_integration(stats.logistic(0.5, 0.8).cdf, 1.2, -40, 40)
    draws = 20_000
    estimate = crps(d, 1.2, num_samples=draws, seed=1)
    assert abs(float(estimate) - exact) < 5 * 0.8 / np.sqrt(draws)
    with pytest.raises(ValueError, match=r"crps \(sample estimate\) needs randomness"):
        crps(d, 1.2)
    with pytest.raises(ValueError, match="scalar values"):
        crps(MultivariateNormalDiag(jnp.zeros(2), jnp.ones(2)), jnp.zeros(2), seed=0)


def test_pit_is_uniform_for_calibrated_draws_only():
    n = 2000
    loc, scale = RNG.normal(size=n), np.exp(RNG.normal(size=n) * 0.3)
    y = loc + scale * RNG.normal(size=n)
    values = np.asarray(pit(Normal(loc, scale), y))
    np.testing.assert_allclose(values, stats.norm.cdf(y, loc, scale), rtol=1e-10)
    assert stats.kstest(values, "uniform").pvalue > 1e-3
    overconfident = np.asarray(pit(Normal(loc, 0.5 * scale), y))
    assert stats.kstest(overconfident, "uniform").pvalue < 1e-6


def test_coverage_hand_example_and_calibrated_rate():
    d = Normal(jnp.zeros(4), 1.0)
    y = jnp.array([0.0, 1.0, 2.0, -3.0])  # the 90% interval is +-1.645
    assert float(coverage(d, y, level=0.9)) == 0.5
    np.testing.assert_array_equal(coverage(d, y, level=0.9, reduce=False), [True, True, False, False])
    n = 4000
    y = RNG.normal(size=n)
    rate = float(coverage(Normal(jnp.zeros(n), 1.0), y, level=0.8))
    assert abs(rate - 0.8) < 4 * np.sqrt(0.8 * 0.2 / n)
    head = IndependentNormal(1)(jnp.zeros((3, 2)))  # unit event: observations shaped (3, 1)
    np.testing.assert_array_equal(coverage(head, jnp.array([[0.0], [5.0], [-0.1]]), level=0.5, reduce=False),
                                  [True, False, True])
    with pytest.raises(ValueError, match="level must lie in"):
        coverage(d, y[:4], level=1.5)


def test_metrics_under_jit_and_float32():
    loc = jnp.asarray(RNG.normal(size=3), jnp.float32)
    y = jnp.asarray(RNG.normal(size=3), jnp.float32)
    values = jax.jit(lambda m, v: crps(Normal(m, 1.0), v, reduce=False))(loc, y)
    assert values.dtype == jnp.float32
    expected = crps(Normal(np.asarray(loc, np.float64), 1.0), np.asarray(y, np.float64), reduce=False)
    np.testing.assert_allclose(values, expected, rtol=1e-5)
    grad = jax.jit(jax.grad(lambda m: crps(Normal(m, 1.0), y)))(loc)
    assert np.all(np.isfinite(grad))
