import jax
import jax.numpy as jnp
import numpy as np
import pytest

import probax.distributions as tfd
from probax.bijectors import Exp
from probax.mcmc.hmc import HamiltonianMonteCarlo
from probax.mcmc.initialization import (
    check_initial_states,
    is_valid_start,
    non_finite_term,
    random_initial_states,
)
from probax.mcmc.transformed_kernel import TransformedTransitionKernel


def kernel_for(target, bijector=None):
    kernel = HamiltonianMonteCarlo(target, step_size=0.1, num_leapfrog_steps=1)
    return kernel if bijector is None else TransformedTransitionKernel(kernel, bijector)


def half_plane(x):
    """Finite only where x[0] > 1: a uniform(-2, 2) draw is valid with probability 1/4."""
    return jnp.where(x[0] > 1.0, -0.5 * jnp.sum(x**2), -jnp.inf)


def test_retries_until_every_chain_is_valid():
    states, valid = random_initial_states(
        kernel_for(half_plane), jnp.zeros(2), num_chains=16, seed=jax.random.key(0)
    )
    assert valid.tolist() == [True] * 16
    states = np.asarray(states)
    assert states.shape == (16, 2)
    assert np.all(states[:, 0] > 1.0) and np.all(np.abs(states) < 2.0)
    # Chains draw independently.
    assert len(np.unique(states[:, 1])) == 16


def test_draws_in_the_unconstrained_space():
    kernel = kernel_for(lambda scale: -jnp.sum(scale), Exp())
    states, valid = random_initial_states(
        kernel, jnp.zeros(3), num_chains=4, seed=jax.random.key(1), bijector=Exp(), radius=0.5
    )
    assert bool(valid.all())
    logs = np.log(np.asarray(states))
    assert np.all(np.abs(logs) < 0.5) and logs.std() > 0.05


def test_a_chain_that_never_finds_a_start_is_reported():
    never = lambda x: jnp.where(x[0] > 5.0, 0.0, -jnp.inf)  # noqa: E731
    kernel = kernel_for(never)
    states, valid = random_initial_states(
        kernel, jnp.zeros(2), num_chains=2, seed=jax.random.key(2), max_tries=5
    )
    assert valid.tolist() == [False, False]
    with pytest.raises(
        ValueError, match=r"random init: chain 0 has no valid start: target_log_prob_fn\(state\) = -inf"
    ):
        check_initial_states(kernel, never, states, valid, what="random init")


def test_non_finite_gradient_is_named_by_its_path():
    target = lambda state: jnp.sqrt(state["scale"]) + jnp.sum(state["loc"])  # noqa: E731
    kernel = kernel_for(target)
    state = {"loc": jnp.zeros(2), "scale": jnp.zeros(())}
    assert not bool(is_valid_start(kernel, state))
    assert non_finite_term(kernel, target, state) == "gradient ['scale'] = inf"


def test_non_finite_part_of_a_joint_distribution_is_named():
    model = tfd.JointDistributionNamed(
        dict(scale=tfd.HalfNormal(1.0), y=lambda scale: tfd.Normal(0.0, scale))
    )
    posterior = model.experimental_pin(y=1.0)
    kernel = kernel_for(
        posterior.unnormalized_log_prob, posterior.experimental_default_event_space_bijector()
    )
    term = non_finite_term(
        kernel,
        posterior.unnormalized_log_prob,
        {"scale": jnp.asarray(-1.0)},
        posterior.unnormalized_log_prob_parts,
    )
    assert term == "log prob part ['scale'] = -inf"
    assert (
        non_finite_term(
            kernel,
            posterior.unnormalized_log_prob,
            {"scale": jnp.asarray(1.0)},
            posterior.unnormalized_log_prob_parts,
        )
        == "no term (all finite)"
    )
