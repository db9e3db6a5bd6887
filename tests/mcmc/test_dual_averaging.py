import math

import jax
import jax.numpy as jnp
import numpy as np

from probax.mcmc.dual_averaging import dual_averaging_init, dual_averaging_update


def stan_dual_averaging(initial_step_size, accept_probs, target, gamma=0.05, t0=10.0, kappa=0.75):
    """Stan's stepsize_adaptation::learn_stepsize, written as in Stan (running mean of the errors)."""
    mu = math.log(10 * initial_step_size)
    s_bar = x_bar = 0.0
    iterates = []
    for counter, accept in enumerate(accept_probs, start=1):
        accept = min(accept, 1.0)
        eta = 1.0 / (counter + t0)
        s_bar = (1.0 - eta) * s_bar + eta * (target - accept)
        x = mu - s_bar * math.sqrt(counter) / gamma
        x_eta = counter**-kappa
        x_bar = (1.0 - x_eta) * x_bar + x_eta * x
        iterates.append((x, x_bar))
    return np.array(iterates)


def run(initial_step_size, accept_probs, target, dtype=jnp.float64, **kwargs):
    state = dual_averaging_init(jnp.asarray(initial_step_size, dtype))
    iterates = []
    for accept in accept_probs:
        state = dual_averaging_update(state, accept, target, **kwargs)
        iterates.append((state.log_step_size, state.log_averaged_step_size))
    return state, np.array(iterates, np.float64)


def test_matches_stans_recursion():
    accepts = np.random.default_rng(0).uniform(0.0, 1.3, size=30)  # includes values above 1 (capped)
    _, iterates = run(0.3, accepts, 0.8)
    np.testing.assert_allclose(iterates, stan_dual_averaging(0.3, accepts, 0.8), rtol=1e-12)
    _, iterates = run(0.3, accepts, 0.65, shrinkage=0.1, decay_rate=0.6, decay_offset=5.0)
    expected = stan_dual_averaging(0.3, accepts, 0.65, gamma=0.1, t0=5.0, kappa=0.6)
    np.testing.assert_allclose(iterates, expected, rtol=1e-12)


def test_nan_counts_as_a_rejection():
    _, with_nan = run(1.0, [0.9, float("nan"), 0.7], 0.8)
    _, with_zero = run(1.0, [0.9, 0.0, 0.7], 0.8)
    np.testing.assert_array_equal(with_nan, with_zero)


def test_init_state():
    state = dual_averaging_init(0.5)
    assert int(state.step) == 0 and state.step.dtype == jnp.int32
    np.testing.assert_allclose(state.shrinkage_target, math.log(5.0))
    np.testing.assert_allclose(state.log_step_size, math.log(0.5))


def test_float32_and_vmap_over_step_sizes():
    initial = jnp.array([0.1, 1.0, 10.0], jnp.float32)
    state = jax.vmap(dual_averaging_init)(initial)
    update = jax.jit(jax.vmap(dual_averaging_update, in_axes=(0, 0, None)))
    state = update(state, jnp.array([0.2, 0.5, 0.9], jnp.float32), 0.8)
    assert state.log_step_size.dtype == jnp.float32 and state.log_step_size.shape == (3,)
    for i, accept in enumerate([0.2, 0.5, 0.9]):
        expected = stan_dual_averaging(float(initial[i]), [accept], 0.8)[-1]
        actual = [state.log_step_size[i], state.log_averaged_step_size[i]]
        np.testing.assert_allclose(actual, expected, rtol=1e-5)


def test_finds_the_step_size_with_the_target_acceptance():
    # A model of HMC: the acceptance probability falls as the step size grows, exp(-step_size**2).
    target = 0.8
    state = dual_averaging_init(5.0)

    def body(state, _):
        accept = jnp.exp(-jnp.exp(2 * state.log_step_size))
        return dual_averaging_update(state, accept, target), None

    state, _ = jax.lax.scan(body, state, length=2000)
    np.testing.assert_allclose(np.exp(state.log_averaged_step_size), math.sqrt(-math.log(target)), rtol=0.02)
