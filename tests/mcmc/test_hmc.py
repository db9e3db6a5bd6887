"""HamiltonianMonteCarlo: recovery of known posteriors, TFP's results, step size read from results."""

import jax
import jax.numpy as jnp
import numpy as np
import pytest

from probax.mcmc.hmc import HamiltonianMonteCarlo, UncalibratedHamiltonianMonteCarlo
from probax.mcmc.kernel_results import get_field, replace_field
from probax.mcmc.metropolis_hastings import MetropolisHastingsKernelResults
from tests.mcmc.models import (
    CONJUGATE_NORMAL,
    EIGHT_SCHOOLS_REFERENCE,
    GAUSSIAN_50,
    assert_mean_within_mcse,
    assert_moments_within_mcse,
    eight_schools_init,
    eight_schools_log_prob,
    run_chains,
)

KEY = jax.random.key(0)


def states_and_acceptance(state, results):
    return state, results.is_accepted


@pytest.mark.parametrize(
    ("inverse_mass", "step_size", "num_leapfrog_steps"),
    [(None, 0.25, 12), (GAUSSIAN_50.variance, 0.45, 6), (GAUSSIAN_50.covariance, 0.8, 2)],
    ids=["identity", "diagonal", "dense"],
)
def test_gaussian_50(inverse_mass, step_size, num_leapfrog_steps):
    kernel = HamiltonianMonteCarlo(GAUSSIAN_50.log_prob, step_size, num_leapfrog_steps, inverse_mass)
    draws, accepted = run_chains(
        kernel, jnp.zeros(50), KEY, num_results=800, num_burnin=200, trace_fn=states_and_acceptance
    )
    assert 0.5 < float(accepted.mean()) < 1.0
    assert_moments_within_mcse(draws, GAUSSIAN_50.mean, GAUSSIAN_50.variance)


def test_conjugate_normal():
    kernel = HamiltonianMonteCarlo(CONJUGATE_NORMAL.log_prob, step_size=0.4, num_leapfrog_steps=3)
    draws = run_chains(kernel, jnp.array(0.0), KEY, num_results=2000, num_burnin=100)
    model = CONJUGATE_NORMAL
    assert_mean_within_mcse(draws, model.posterior_mean)
    assert_mean_within_mcse((draws - model.posterior_mean) ** 2, model.posterior_sd**2, name="variance")


def test_eight_schools_noncentered():
    kernel = HamiltonianMonteCarlo(eight_schools_log_prob, step_size=0.4, num_leapfrog_steps=8)
    mu, log_tau, _ = run_chains(kernel, eight_schools_init(), KEY, num_results=2000, num_burnin=300)
    for name, draws in [("mu", mu), ("tau", jnp.exp(log_tau))]:
        mean, _, reference_mcse = EIGHT_SCHOOLS_REFERENCE[name]
        assert_mean_within_mcse(draws, mean, extra_sd=reference_mcse, name=name)


def test_results_follow_tfp():
    kernel = HamiltonianMonteCarlo(lambda x, y: -0.5 * (x**2 + jnp.sum(y**2)), 0.3, 4)
    state = [jnp.array(0.5), jnp.ones(2)]
    results = kernel.bootstrap_results(state)
    assert isinstance(results, MetropolisHastingsKernelResults)
    new_state, results = jax.jit(kernel.one_step)(state, results, KEY)
    inner = results.accepted_results
    assert set(inner._fields) >= {
        "log_acceptance_correction",
        "target_log_prob",
        "grads_target_log_prob",
        "initial_momentum",
        "final_momentum",
        "step_size",
        "num_leapfrog_steps",
        "metric",
    }
    assert isinstance(new_state, list) and new_state[1].shape == (2,)
    assert int(inner.num_leapfrog_steps) == 4
    # The gradient kept in the results is the gradient at the state the chain holds.
    np.testing.assert_allclose(inner.grads_target_log_prob[1], -new_state[1], rtol=1e-12)
    np.testing.assert_allclose(inner.target_log_prob, -0.5 * (new_state[0] ** 2 + jnp.sum(new_state[1] ** 2)))
    proposed = results.proposed_results
    kinetic = lambda p: 0.5 * (p[0] ** 2 + jnp.sum(p[1] ** 2))  # noqa: E731
    np.testing.assert_allclose(
        proposed.log_acceptance_correction,
        kinetic(proposed.initial_momentum) - kinetic(proposed.final_momentum),
        rtol=1e-10,
    )
    assert isinstance(kernel.inner_kernel, UncalibratedHamiltonianMonteCarlo)
    assert not kernel.inner_kernel.is_calibrated


def test_step_size_is_read_from_previous_results():
    kernel = HamiltonianMonteCarlo(lambda x: -0.5 * jnp.sum(x**2), step_size=0.1, num_leapfrog_steps=1)
    state = jnp.ones(3)
    results = replace_field(kernel.bootstrap_results(state), "step_size", jnp.array(0.0))
    new_state, results = kernel.one_step(state, results, seed=KEY)
    np.testing.assert_array_equal(new_state, state)  # a zero step does not move
    assert float(get_field(results, "step_size")) == 0.0


def test_per_part_step_size_and_float32():
    kernel = HamiltonianMonteCarlo(lambda a, b: -0.5 * (a**2 + jnp.sum(b**2)), [0.0, 0.2], 2)
    state = [jnp.array(1.0, jnp.float32), jnp.ones(2, jnp.float32)]
    new_state, results = kernel.one_step(state, kernel.bootstrap_results(state), seed=KEY)
    assert float(new_state[0]) == 1.0  # the first part has a zero step size
    assert new_state[1].dtype == jnp.float32 and results.accepted_results.target_log_prob.dtype == jnp.float32


def test_same_seed_same_draws():
    kernel = HamiltonianMonteCarlo(CONJUGATE_NORMAL.log_prob, step_size=0.4, num_leapfrog_steps=3)
    first = run_chains(kernel, jnp.array(0.0), KEY, num_results=50)
    np.testing.assert_array_equal(first, run_chains(kernel, jnp.array(0.0), KEY, num_results=50))
    assert not np.array_equal(first, run_chains(kernel, jnp.array(0.0), jax.random.key(1), num_results=50))


def test_bad_arguments():
    with pytest.raises(ValueError, match="num_leapfrog_steps"):
        HamiltonianMonteCarlo(lambda x: -(x**2), step_size=0.1, num_leapfrog_steps=0)
    with pytest.raises(ValueError, match="step_size"):
        HamiltonianMonteCarlo(lambda x: -(x**2), step_size=None, num_leapfrog_steps=2)
    with pytest.raises(TypeError, match="callable"):
        HamiltonianMonteCarlo("not a function", step_size=0.1, num_leapfrog_steps=2)
    kernel = HamiltonianMonteCarlo(lambda x: -jnp.sum(x**2), 0.1, 2, inverse_mass_matrix=jnp.ones(3))
    with pytest.raises(ValueError, match="inverse_mass_matrix"):
        kernel.bootstrap_results(jnp.zeros(2))
