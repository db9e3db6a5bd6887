"""Tests of the leapfrog integrator: reversibility, second-order energy error, flattening helpers."""

import jax
import jax.numpy as jnp
import numpy as np
import pytest

from probax.mcmc.leapfrog import PhasePoint, flat_step_size, flat_target, leapfrog
from probax.mcmc.metric import make_metric

COVARIANCE = np.array([[1.0, 0.8, 0.0], [0.8, 2.0, 0.3], [0.0, 0.3, 0.5]])
PRECISION = np.linalg.inv(COVARIANCE)


def gaussian(x):
    return -0.5 * x @ (jnp.asarray(PRECISION, x.dtype) @ x)


def start_point(dtype=jnp.float64):
    _, _, value_and_grad = flat_target(gaussian, jnp.zeros(3, dtype))
    position = jnp.asarray([0.5, -1.0, 0.8], dtype)
    value, grad = value_and_grad(position)
    return value_and_grad, PhasePoint(position, jnp.asarray([1.0, 0.2, -0.7], dtype), value, grad)


def hamiltonian(metric, point):
    inverse_mass = np.asarray(metric.inverse_mass_matrix)
    matrix = inverse_mass if inverse_mass.ndim == 2 else np.diag(inverse_mass)
    p = np.asarray(point.momentum)
    return -float(point.target_log_prob) + 0.5 * p @ matrix @ p


METRICS = [make_metric(jnp.ones(3)), make_metric(jnp.array([1.0, 2.0, 0.5])), make_metric(COVARIANCE)]


@pytest.mark.parametrize("metric", METRICS, ids=["identity", "diagonal", "dense"])
def test_reversible(metric):
    value_and_grad, start = start_point()
    forward = leapfrog(value_and_grad, metric, jnp.array(0.1), start, num_steps=25)
    flipped = forward._replace(momentum=-forward.momentum)
    back = leapfrog(value_and_grad, metric, jnp.array(0.1), flipped, num_steps=25)
    np.testing.assert_allclose(back.position, start.position, atol=1e-12)
    np.testing.assert_allclose(-back.momentum, start.momentum, atol=1e-12)
    # Negative step sizes integrate backwards in time.
    backwards = leapfrog(value_and_grad, metric, jnp.array(-0.1), forward, num_steps=25)
    np.testing.assert_allclose(backwards.position, start.position, atol=1e-12)


@pytest.mark.parametrize("metric", METRICS, ids=["identity", "diagonal", "dense"])
def test_energy_error_is_second_order(metric):
    value_and_grad, start = start_point()
    initial = hamiltonian(metric, start)
    errors = []
    for step_size, num_steps in [(0.1, 10), (0.05, 20), (0.025, 40)]:
        end = leapfrog(value_and_grad, metric, jnp.array(step_size), start, num_steps=num_steps)
        errors.append(abs(hamiltonian(metric, end) - initial))
    ratios = np.array(errors[:-1]) / np.array(errors[1:])
    np.testing.assert_allclose(ratios, 4.0, rtol=0.1)


def test_state_matches_target_gradient_and_float32():
    value_and_grad, start = start_point(jnp.float32)
    end = leapfrog(value_and_grad, METRICS[2], jnp.array(0.1, jnp.float32), start, num_steps=5)
    assert end.position.dtype == jnp.float32 and end.momentum.dtype == jnp.float32
    np.testing.assert_allclose(end.grads_target_log_prob, jax.grad(gaussian)(end.position), rtol=1e-5)
    np.testing.assert_allclose(end.target_log_prob, gaussian(end.position), rtol=1e-5)


def test_one_gradient_evaluation_per_step():
    target_traces, gradient_calls = [], []

    def counting(x):
        target_traces.append(None)
        return gaussian(x)

    _, _, value_and_grad = flat_target(counting, jnp.zeros(3))
    assert len(target_traces) == 1  # traced once, to a jaxpr

    def counted(flat):
        gradient_calls.append(None)
        return value_and_grad(flat)

    _, start = start_point()
    leapfrog(counted, METRICS[0], jnp.array(0.1), start, num_steps=1)
    assert len(gradient_calls) == 1
    gradient_calls.clear()
    jax.jit(lambda p: leapfrog(counted, METRICS[0], jnp.array(0.1), p, num_steps=50))(start)
    assert len(gradient_calls) == 1  # traced once inside the loop
    assert len(target_traces) == 1  # the jaxpr is reused, never the Python function


def test_flat_target_structures():
    state = {"a": jnp.array(1.0), "b": jnp.array([2.0, 3.0])}
    flat, unravel, value_and_grad = flat_target(lambda s: -(s["a"] ** 2) - jnp.sum(s["b"] ** 3), state)
    value, grad = value_and_grad(flat)
    assert float(value) == -36.0
    np.testing.assert_allclose(grad, [-2.0, -12.0, -27.0])
    assert unravel(flat)["b"].shape == (2,)
    with pytest.raises(TypeError, match="floating"):
        flat_target(lambda x: 0.0, jnp.arange(3))


def test_flat_step_size():
    state = [jnp.zeros(()), jnp.zeros((2, 2))]
    np.testing.assert_allclose(flat_step_size(0.1, state, jnp.float64), 0.1)
    np.testing.assert_allclose(flat_step_size([0.1, 0.2], state, jnp.float64), [0.1, 0.2, 0.2, 0.2, 0.2])
    with pytest.raises(ValueError, match="step_size"):
        flat_step_size([0.1, jnp.ones(3)], state, jnp.float64)
