import jax
import jax.numpy as jnp
import numpy as np
import pytest
from scipy import stats

from probax.mcmc.random_walk_metropolis import (
    RandomWalkMetropolis,
    UncalibratedRandomWalk,
    random_walk_normal_fn,
    random_walk_uniform_fn,
)
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


def test_normal_proposal_has_the_per_part_scales():
    propose = jax.jit(jax.vmap(random_walk_normal_fn([0.5, 3.0]), in_axes=(None, 0)))
    keys = jax.random.split(jax.random.key(0), 20000)
    first, second = propose([jnp.ones(2), jnp.zeros(())], keys)
    assert first.shape == (20000, 2) and second.shape == (20000,)
    assert stats.kstest(np.ravel((first - 1.0) / 0.5), "norm").pvalue > 1e-3
    assert stats.kstest(np.asarray(second) / 3.0, "norm").pvalue > 1e-3


def test_uniform_proposal_stays_within_scale_and_is_uniform():
    propose = jax.jit(jax.vmap(random_walk_uniform_fn(0.2), in_axes=(None, 0)))
    (draws,) = propose([jnp.full(3, 5.0)], jax.random.split(jax.random.key(1), 5000))
    assert stats.kstest(np.ravel(draws), stats.uniform(4.8, 0.4).cdf).pvalue > 1e-3


def test_proposal_scale_is_a_leaf_of_the_kernel():
    kernel = RandomWalkMetropolis(lambda x: -0.5 * x**2, random_walk_normal_fn(1.0))
    assert [float(leaf) for leaf in jax.tree.leaves(kernel)] == [1.0]
    # The same key with twice the scale proposes twice as far.
    kernels = [UncalibratedRandomWalk(lambda x: -0.5 * x**2, random_walk_normal_fn(s)) for s in (1.0, 2.0)]
    one, two = (k.one_step(jnp.array(0.0), k.bootstrap_results(jnp.array(0.0)), seed=3)[0] for k in kernels)
    np.testing.assert_allclose(2 * one, two, rtol=1e-12)


def test_uncalibrated_results_and_structure():
    def log_prob(state):
        return -0.5 * (state["a"] ** 2 + jnp.sum(state["b"] ** 2))

    kernel = UncalibratedRandomWalk(log_prob)
    init = {"a": jnp.array(0.0), "b": jnp.zeros(2)}
    state, results = kernel.one_step(init, kernel.bootstrap_results(init), seed=0)
    assert set(state) == {"a", "b"} and state["b"].shape == (2,)
    np.testing.assert_allclose(results.target_log_prob, log_prob(state))
    assert float(results.log_acceptance_correction) == 0.0
    assert not kernel.is_calibrated and RandomWalkMetropolis(log_prob).is_calibrated


def test_bad_proposal_functions_are_rejected():
    with pytest.raises(TypeError, match="new_state_fn"):
        RandomWalkMetropolis(lambda x: -(x**2), new_state_fn=3.0)
    kernel = RandomWalkMetropolis(lambda a, b: -(a**2) - b**2, new_state_fn=lambda parts, seed: parts[:1])
    init = [jnp.array(0.0), jnp.array(0.0)]
    with pytest.raises(ValueError, match="returned 1 state parts"):
        kernel.one_step(init, kernel.bootstrap_results(init), seed=0)
    with pytest.raises(ValueError, match="scale has 2 parts"):
        random_walk_normal_fn([1.0, 2.0])([jnp.zeros(())], 0)


def test_same_seed_same_draws():
    kernel = RandomWalkMetropolis(CONJUGATE_NORMAL.log_prob, random_walk_normal_fn(0.5))
    first, _ = run_chains(kernel, jnp.array(1.0), 50, num_chains=2, seed=7)
    second, _ = run_chains(kernel, jnp.array(1.0), 50, num_chains=2, seed=7)
    third, _ = run_chains(kernel, jnp.array(1.0), 50, num_chains=2, seed=8)
    np.testing.assert_array_equal(first, second)
    assert not np.array_equal(first, third)


def test_recovers_correlated_gaussian_5d():
    # The 50-d Gaussian needs more random-walk steps than a test affords; 5-d has the same structure.
    kernel = RandomWalkMetropolis(GAUSSIAN_5.log_prob, random_walk_normal_fn(0.5))
    draws, _ = run_chains(kernel, jnp.asarray(GAUSSIAN_5.mean), 20000, num_burnin_steps=500)
    assert_moments_within_mcse(draws, GAUSSIAN_5.mean, GAUSSIAN_5.variance)


def test_recovers_conjugate_normal():
    kernel = RandomWalkMetropolis(CONJUGATE_NORMAL.log_prob, random_walk_uniform_fn(1.0))
    draws, _ = run_chains(kernel, jnp.array(0.0), 5000, num_burnin_steps=200)
    assert_moments_within_mcse(
        draws[..., None], [CONJUGATE_NORMAL.posterior_mean], [CONJUGATE_NORMAL.posterior_sd**2]
    )


def test_recovers_eight_schools():
    kernel = RandomWalkMetropolis(eight_schools_log_prob, random_walk_normal_fn([1.5, 0.3, 0.4]))
    states, _ = run_chains(kernel, eight_schools_init(), 20000, num_burnin_steps=1000)
    mu, tau = eight_schools_summaries(states)
    for name, draws in (("mu", mu), ("tau", tau)):
        mean, _, reference_mcse = EIGHT_SCHOOLS_REFERENCE[name]
        assert_mean_within_mcse(draws, mean, extra_sd=reference_mcse, name=name)
