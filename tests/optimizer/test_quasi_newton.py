import jax.numpy as jnp
import numpy as np
import pytest

from probax.optimizer import quasi_newton


def test_integer_positions_become_floating():
    position = quasi_newton.as_initial_position([[1, 2], [3, 4]], "caller")
    assert jnp.issubdtype(position.dtype, jnp.floating) and position.shape == (2, 2)


@pytest.mark.parametrize("bad", [1.0, np.zeros((3, 0))], ids=["scalar", "empty_last_axis"])
def test_positions_without_a_domain_axis_are_rejected(bad):
    with pytest.raises(ValueError, match="caller: initial_position must have shape"):
        quasi_newton.as_initial_position(bad, "caller")


@pytest.mark.parametrize(
    "objective",
    [lambda x: jnp.sum(x**2), lambda x: (x, x), lambda x: (jnp.sum(x), x[:1])],
    ids=["not_a_pair", "vector_value", "short_gradient"],
)
def test_objectives_with_wrong_outputs_are_named(objective):
    with pytest.raises(ValueError, match="value_and_gradients_function"):
        quasi_newton.check_objective(objective, jnp.zeros(3), "caller")


def test_batch_axes_flatten_and_come_back():
    array = jnp.arange(24.0).reshape(2, 3, 4)
    flat = quasi_newton.flatten_batch(array, (2, 3), event_ndims=1)
    assert flat.shape == (6, 4)
    np.testing.assert_array_equal(quasi_newton.unflatten_batch(flat, (2, 3)), array)
    assert quasi_newton.flatten_batch(array[0, 0], (), event_ndims=1).shape == (4,)
