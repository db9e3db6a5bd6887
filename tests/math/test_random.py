import jax
import jax.numpy as jnp
import numpy as np
import pytest
import scipy.special as sc
import scipy.stats

from probax.math.random import random_gamma, random_poisson


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


def poisson_chi_square_pvalue(draws, rate):
    """Chi-square goodness of fit over the counts with at least 5 expected draws (the rest pooled)."""
    counts = np.bincount(draws.astype(int))
    k = np.arange(max(len(counts), int(rate + 10 * np.sqrt(rate) + 10)))
    observed = np.pad(counts, (0, len(k) - len(counts)))
    expected = scipy.stats.poisson.pmf(k, rate) * len(draws)
    kept = expected >= 5
    observed = np.append(observed[kept], observed[~kept].sum())
    expected = np.append(expected[kept], len(draws) - expected[kept].sum())
    return scipy.stats.chisquare(observed, expected).pvalue


# 9.5 sends about 1 draw in 1000 past the 20 fused search steps, into the pool that finishes them.
@pytest.mark.parametrize("rate", [0.02, 0.7, 4.0, 9.5, 10.0, 55.0])
@pytest.mark.parametrize("dtype", [jnp.float32, jnp.float64])
def test_poisson_draws_follow_the_poisson_distribution(rate, dtype):
    draws = random_poisson(jax.random.key(5), rate, (100_000,), dtype)
    assert draws.dtype == dtype
    draws = np.asarray(draws)
    np.testing.assert_array_equal(draws, np.round(draws))
    assert poisson_chi_square_pvalue(draws, rate) > 1e-3


def test_poisson_long_searches_are_finished():
    # Every draw at rate 9.9 past 20 is one the pool finished; their share matches the tail.
    draws = np.asarray(random_poisson(jax.random.key(6), 9.9, (200_000,), jnp.float32))
    tail = np.mean(draws > 20)
    expected = scipy.stats.poisson.sf(20, 9.9)
    assert abs(tail - expected) < 4 * np.sqrt(expected / len(draws))
    assert draws.max() > 21


def test_poisson_mixed_rates_zero_nan_and_small_shapes():
    rates = jnp.array([0.0, 3.0, 25.0, jnp.nan, -1.0])
    draws = np.asarray(random_poisson(jax.random.key(7), rates, (20_000, 5)))
    assert np.all(draws[:, 0] == 0) and np.all(np.isnan(draws[:, 3:]))
    for column, rate in ((1, 3.0), (2, 25.0)):
        assert poisson_chi_square_pvalue(draws[:, column], rate) > 1e-3
    # A shape smaller than the pool, and a rate array whose pool is a fraction of its size.
    assert random_poisson(jax.random.key(8), 9.0, (3,)).shape == (3,)
    late = np.asarray(random_poisson(jax.random.key(9), jnp.full((2000,), 9.99), (2000,)))
    assert poisson_chi_square_pvalue(late, 9.99) > 1e-3


def test_poisson_same_key_same_draws_under_jit_and_vmap():
    key = jax.random.key(10)
    eager = random_poisson(key, 2.0, (6,))
    np.testing.assert_array_equal(eager, jax.jit(lambda k: random_poisson(k, 2.0, (6,)))(key))
    rates = jnp.array([1.0, 2.0, 30.0])
    batched = jax.vmap(lambda k, r: random_poisson(k, r, (6,)))(jax.random.split(key, 3), rates)
    assert batched.shape == (3, 6) and np.all(batched >= 0)


@pytest.mark.parametrize("sampler", [random_gamma, random_poisson])
def test_a_non_floating_dtype_is_refused_by_name(sampler):
    with pytest.raises(ValueError, match=f"{sampler.__name__}: dtype must be a floating dtype"):
        sampler(jax.random.key(11), 2.0, (3,), jnp.int32)
