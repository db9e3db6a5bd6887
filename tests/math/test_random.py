import jax
import jax.numpy as jnp
import numpy as np
import pytest
import scipy.special as sc
import scipy.stats

from probax.math.random import random_gamma


@pytest.mark.parametrize("concentration", [0.05, 0.3, 1.0, 2.5, 40.0, 1e4])
def test_draws_follow_the_gamma_distribution(concentration):
    draws = np.asarray(random_gamma(jax.random.key(0), concentration, (50_000,), jnp.float64))
    assert scipy.stats.kstest(draws, scipy.stats.gamma(concentration).cdf).pvalue > 1e-3


def test_log_space_draws_resolve_tiny_concentrations():
    log_draws = np.asarray(random_gamma(jax.random.key(1), 1e-3, (50_000,), jnp.float32, log_space=True))
    assert np.all(np.isfinite(log_draws))
    # P[log X <= t] = P(a, e^t), compared at the empirical quantiles (e^t underflows even in
    # float64 for the lower ones, where P(a, x) = x^a / Gamma(a + 1) to within a factor 1 - O(x)).
    a = 1e-3
    t = np.quantile(log_draws, [0.1, 0.5, 0.9]).astype(np.float64)
    cdf = np.where(t < -600, np.exp(a * t - sc.gammaln(a + 1)), sc.gammainc(a, np.exp(np.maximum(t, -600))))
    np.testing.assert_allclose(cdf, [0.1, 0.5, 0.9], atol=0.01)


def test_a_batch_of_concentrations_and_dtype():
    concentration = jnp.array([0.5, 3.0, 9.0], jnp.float32)
    draws = random_gamma(jax.random.key(2), concentration, (20_000, 3))
    assert draws.dtype == jnp.float32
    for i, a in enumerate([0.5, 3.0, 9.0]):
        assert scipy.stats.kstest(np.asarray(draws[:, i]), scipy.stats.gamma(a).cdf).pvalue > 1e-3


@pytest.mark.parametrize("log_space", [False, True])
def test_gradient_is_the_implicit_reparameterization(log_space):
    key = jax.random.key(3)
    a = 2.7
    draws = np.asarray(random_gamma(key, a, (32,), jnp.float64))
    gradient = np.asarray(jax.jacfwd(lambda c: random_gamma(key, c, (32,), jnp.float64, log_space))(a))
    step = 1e-6
    dcdf_da = (sc.gammainc(a + step, draws) - sc.gammainc(a - step, draws)) / (2 * step)
    expected = -dcdf_da / scipy.stats.gamma(a).pdf(draws)
    if log_space:
        expected = expected / draws
    np.testing.assert_allclose(gradient, expected, rtol=1e-5)


def test_same_key_same_draws_and_vmap_over_keys():
    key = jax.random.key(4)
    np.testing.assert_array_equal(random_gamma(key, 2.0, (5,)), random_gamma(key, 2.0, (5,)))
    batched = jax.vmap(lambda k: random_gamma(k, 2.0, (4,)))(jax.random.split(key, 3))
    assert batched.shape == (3, 4) and np.all(batched > 0)
