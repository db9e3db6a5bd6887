import jax
import jax.numpy as jnp
import numpy as np
import pytest
from scipy import stats

from probax.mcmc.slice_sampler import SliceSampler, slice_sample_1d
from tests.mcmc.chains import eight_schools_summaries, run_chains
from tests.mcmc.models import (
    CONJUGATE_NORMAL,
    EIGHT_SCHOOLS_REFERENCE,
    assert_mean_within_mcse,
    assert_moments_within_mcse,
    correlated_gaussian,
    eight_schools_init,
    eight_schools_log_prob,
)

GAUSSIAN_5 = correlated_gaussian(5)


def test_univariate_update_leaves_a_skewed_density_invariant():
    # Start the update from exact Gamma(2) draws: the results must again be Gamma(2) draws.
    # A small width forces several doublings, so Neal's acceptance test matters.
    def update(start, key):
        def log_density(offset):
            x = start + offset
            return jnp.where(x > 0, jnp.log(jnp.abs(x)) - x, -jnp.inf)

        offset, log_p, satisfied, _ = slice_sample_1d(log_density, log_density(0.0), jnp.array(0.3), 10, key)
        return start + offset, log_p, satisfied

    starts = jax.random.gamma(jax.random.key(0), 2.0, (20000,), jnp.float64)
    ends, log_p, satisfied = jax.jit(jax.vmap(update))(starts, jax.random.split(jax.random.key(1), 20000))
    assert stats.kstest(np.asarray(ends), stats.gamma(2.0).cdf).pvalue > 1e-3
    np.testing.assert_allclose(log_p, np.log(ends) - ends, rtol=1e-10)
    assert float(np.mean(satisfied)) > 0.95
    assert float(np.mean(np.abs(ends - starts) > 1e-12)) > 0.99  # it moves


def test_bounds_not_satisfied_without_doublings():
    kernel = SliceSampler(lambda x: -0.5 * jnp.sum(x**2), step_size=1e-3, max_doublings=0)
    state, results = kernel.one_step(jnp.zeros(2), kernel.bootstrap_results(jnp.zeros(2)), seed=0)
    assert not bool(results.bounds_satisfied)
    assert float(results.upper_bounds - results.lower_bounds) == pytest.approx(1e-3)
    np.testing.assert_allclose(jnp.linalg.norm(results.direction), 1.0)
    assert float(jnp.linalg.norm(state)) <= 1e-3


def test_list_state_keeps_structure_and_dtype():
    def log_prob(a, b):
        return -0.5 * (a**2 + jnp.sum(b**2))

    kernel = SliceSampler(log_prob, step_size=[1.0, 0.5], max_doublings=3)
    init = [jnp.float32(0.0), jnp.zeros(3, jnp.float32)]
    state, results = kernel.one_step(init, kernel.bootstrap_results(init), seed=0)
    assert isinstance(state, list) and state[1].shape == (3,) and state[1].dtype == jnp.float32
    np.testing.assert_allclose(results.target_log_prob, log_prob(*state), rtol=1e-5)


def test_bad_settings():
    with pytest.raises(ValueError, match="max_doublings"):
        SliceSampler(lambda x: -(x**2), step_size=1.0, max_doublings=-1)
    with pytest.raises(TypeError, match="callable"):
        SliceSampler("not a function", step_size=1.0, max_doublings=2)


def test_recovers_correlated_gaussian_5d():
    kernel = SliceSampler(GAUSSIAN_5.log_prob, step_size=1.0, max_doublings=5)
    draws, _ = run_chains(kernel, jnp.asarray(GAUSSIAN_5.mean), 4000, num_burnin_steps=100)
    assert_moments_within_mcse(draws, GAUSSIAN_5.mean, GAUSSIAN_5.variance)


def test_recovers_conjugate_normal():
    kernel = SliceSampler(CONJUGATE_NORMAL.log_prob, step_size=0.5, max_doublings=4)
    draws, _ = run_chains(kernel, jnp.array(0.0), 3000, num_burnin_steps=100)
    assert_moments_within_mcse(
        draws[..., None], [CONJUGATE_NORMAL.posterior_mean], [CONJUGATE_NORMAL.posterior_sd**2]
    )


def test_recovers_eight_schools():
    kernel = SliceSampler(eight_schools_log_prob, step_size=[3.0, 1.0, 1.0], max_doublings=5)
    states, _ = run_chains(kernel, eight_schools_init(), 12000, num_burnin_steps=500)
    mu, tau = eight_schools_summaries(states)
    for name, draws in (("mu", mu), ("tau", tau)):
        mean, _, reference_mcse = EIGHT_SCHOOLS_REFERENCE[name]
        assert_mean_within_mcse(draws, mean, extra_sd=reference_mcse, name=name)
