"""`chain_value_and_grad`: the plain value and gradient for one chain, and under every kind of vmap."""

import jax
import jax.numpy as jnp
import numpy as np
import pytest

from probax.mcmc.chain_gradient import chain_value_and_grad

PRECISION = np.array([[2.0, 0.3, 0.0], [0.3, 1.0, -0.4], [0.0, -0.4, 0.5]])


def quadratic(z):
    return -0.5 * z @ (jnp.asarray(PRECISION, z.dtype) @ z)


@pytest.mark.parametrize("dtype", [jnp.float32, jnp.float64])
def test_matches_value_and_grad_for_one_chain_and_a_batch(dtype):
    states = jnp.asarray(np.random.default_rng(0).normal(size=(5, 3)), dtype)
    value_and_grad = chain_value_and_grad(quadratic, states[0])
    expected_values, expected_grads = jax.vmap(jax.value_and_grad(quadratic))(states)
    for values, grads in (
        jax.vmap(value_and_grad)(states),
        jax.jit(jax.vmap(value_and_grad))(states),
    ):
        assert values.dtype == grads.dtype == dtype
        np.testing.assert_allclose(values, expected_values, rtol=1e-6)
        np.testing.assert_allclose(grads, expected_grads, rtol=1e-6)
    value, grad = value_and_grad(states[1])
    np.testing.assert_allclose(grad, -PRECISION @ np.asarray(states[1], np.float64), rtol=1e-5)
    np.testing.assert_allclose(value, expected_values[1], rtol=1e-6)


def test_target_closing_over_a_vmapped_data_set():
    centers = jnp.array([0.0, 1.0, 3.0])

    def per_data_set(center, state):
        return chain_value_and_grad(lambda z: -jnp.sum((z - center) ** 2), state)(state)

    states = jnp.array([[1.0, 2.0], [0.0, 0.5], [3.0, 3.0]])
    # Data and state batched together, data alone, and data and chains on two nested axes.
    values, grads = jax.vmap(per_data_set)(centers, states)
    np.testing.assert_allclose(grads, -2.0 * (states - centers[:, None]))
    np.testing.assert_allclose(values, -np.sum((states - centers[:, None]) ** 2, axis=1))
    _, grads = jax.vmap(per_data_set, (0, None))(centers, states[0])
    np.testing.assert_allclose(grads, -2.0 * (states[:1] - centers[:, None]))
    _, grads = jax.vmap(jax.vmap(per_data_set, (None, 0)), (0, None))(centers, states)
    np.testing.assert_allclose(grads, -2.0 * (states[None, :, :] - centers[:, None, None]))


def test_differentiable_like_value_and_grad():
    states = jnp.array([[0.5, -1.0, 2.0], [1.0, 1.0, 1.0]])
    value_and_grad = chain_value_and_grad(lambda z: -jnp.sum(jnp.sin(z) * z**2), states[0])

    def summed_gradients(fn):
        return lambda x: jnp.sum(jax.vmap(fn)(x)[1] ** 2)

    plain = jax.value_and_grad(lambda z: -jnp.sum(jnp.sin(z) * z**2))
    np.testing.assert_allclose(
        jax.grad(summed_gradients(value_and_grad))(states),
        jax.grad(summed_gradients(plain))(states),
        rtol=1e-5,
    )
    np.testing.assert_allclose(
        jax.jacfwd(summed_gradients(value_and_grad))(states),
        jax.jacfwd(summed_gradients(plain))(states),
        rtol=1e-5,
    )


def test_one_chain_failing_leaves_the_others_alone():
    value_and_grad = chain_value_and_grad(lambda z: jnp.sum(jnp.log(z)), jnp.ones(2))
    values, grads = jax.vmap(value_and_grad)(jnp.array([[1.0, 2.0], [-1.0, 4.0]]))
    np.testing.assert_allclose(values[0], np.log(2.0))
    np.testing.assert_allclose(grads[0], [1.0, 0.5])
    assert np.isnan(values[1])
    np.testing.assert_allclose(grads[1], [-1.0, 0.25])
