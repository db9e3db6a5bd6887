import jax
import jax.numpy as jnp
import numpy as np
import pytest
from scipy import stats

from probax.mcmc.langevin import MetropolisAdjustedLangevinAlgorithm, UncalibratedLangevin
from tests.mcmc.chains import eight_schools_summaries, run_chains
from tests.mcmc.models import (
    CONJUGATE_NORMAL,
    EIGHT_SCHOOLS_REFERENCE,
    GAUSSIAN_50,
    assert_mean_within_mcse,
    assert_moments_within_mcse,
    eight_schools_init,
    eight_schools_log_prob,
)


def quartic(x):
    return -0.25 * jnp.sum(x**4) - jnp.sum(x)


def test_correction_is_the_reverse_over_forward_proposal_density():
    step_size = jnp.array([0.3, 0.05])  # one per coordinate: a diagonal proposal
    kernel = UncalibratedLangevin(quartic, step_size)
    x = jnp.array([0.7, -1.2])
    proposed, results = kernel.one_step(x, kernel.bootstrap_results(x), seed=4)
    grad = jax.grad(quartic)
    forward_mean = x + 0.5 * step_size * grad(x)
    reverse_mean = proposed + 0.5 * step_size * grad(proposed)
    scale = np.sqrt(step_size)
    reverse = stats.norm.logpdf(x, reverse_mean, scale)
    expected = np.sum(reverse - stats.norm.logpdf(proposed, forward_mean, scale))
    np.testing.assert_allclose(results.log_acceptance_correction, expected, rtol=1e-10)
    np.testing.assert_allclose(results.target_log_prob, quartic(proposed), rtol=1e-12)
    np.testing.assert_allclose(results.grads_target_log_prob, grad(proposed), rtol=1e-12)


def test_one_target_evaluation_per_step():
    evaluations = []

    def counted(x):
        jax.debug.callback(lambda: evaluations.append(1))
        return -0.5 * jnp.sum(x**2)

    kernel = MetropolisAdjustedLangevinAlgorithm(counted, step_size=0.5)
    state = jnp.zeros(2)
    results = kernel.bootstrap_results(state)
    step = jax.jit(kernel.one_step)
    evaluations.clear()
    for key in range(3):
        state, results = step(state, results, jax.random.key(key))
    jax.effects_barrier()
    assert len(evaluations) == 3  # the value and gradient at each proposal, nothing recomputed


def test_list_state_and_per_part_step_size_float32():
    def log_prob(a, b):
        return -0.5 * (a**2 + jnp.sum(b**2))

    kernel = MetropolisAdjustedLangevinAlgorithm(log_prob, step_size=[0.5, jnp.float32(0.1)])
    init = [jnp.float32(0.0), jnp.zeros(3, jnp.float32)]
    state, results = kernel.one_step(init, kernel.bootstrap_results(init), seed=0)
    assert isinstance(state, list) and state[1].shape == (3,)
    assert state[0].dtype == jnp.float32 and results.log_accept_ratio.dtype == jnp.float32
    assert results.accepted_results.step_size[1].dtype == jnp.float32


def test_missing_step_size_is_an_error():
    with pytest.raises(ValueError, match="step_size is required"):
        MetropolisAdjustedLangevinAlgorithm(quartic, step_size=None)


def test_recovers_correlated_gaussian_50d():
    # Per-coordinate step sizes proportional to the variances (a diagonal preconditioner).
    step_size = jnp.asarray(0.5 * GAUSSIAN_50.variance)
    kernel = MetropolisAdjustedLangevinAlgorithm(GAUSSIAN_50.log_prob, step_size)
    draws, accepted = run_chains(
        kernel, jnp.asarray(GAUSSIAN_50.mean), 4000, num_burnin_steps=200,
        trace_fn=lambda _, results: results.is_accepted,
    )
    assert 0.3 < float(np.mean(accepted)) < 0.95
    assert_moments_within_mcse(draws, GAUSSIAN_50.mean, GAUSSIAN_50.variance)


def test_recovers_conjugate_normal():
    kernel = MetropolisAdjustedLangevinAlgorithm(CONJUGATE_NORMAL.log_prob, step_size=0.4)
    draws, _ = run_chains(kernel, jnp.array(0.0), 3000, num_burnin_steps=100)
    assert_moments_within_mcse(
        draws[..., None], [CONJUGATE_NORMAL.posterior_mean], [CONJUGATE_NORMAL.posterior_sd**2]
    )


def test_recovers_eight_schools():
    kernel = MetropolisAdjustedLangevinAlgorithm(eight_schools_log_prob, step_size=[4.0, 0.1, 0.2])
    states, _ = run_chains(kernel, eight_schools_init(), 10000, num_burnin_steps=1000)
    mu, tau = eight_schools_summaries(states)
    for name, draws in (("mu", mu), ("tau", tau)):
        mean, _, reference_mcse = EIGHT_SCHOOLS_REFERENCE[name]
        assert_mean_within_mcse(draws, mean, extra_sd=reference_mcse, name=name)
