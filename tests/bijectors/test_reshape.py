import jax
import jax.numpy as jnp
import numpy as np
import pytest

from probax import bijectors as tfb
from tests.bijectors.harness import BijectorCase, bijector_suite

RNG = np.random.default_rng(0)

CASES = [
    BijectorCase(
        "vector_to_matrix", lambda: tfb.Reshape(event_shape_out=(2, 3)), {}, RNG.normal(size=(2, 6))
    ),
    BijectorCase("scalar_to_vector", lambda: tfb.Reshape((1,), event_shape_in=()), {}, RNG.normal(size=(3,))),
]

test_round_trip, test_log_det, test_transforms, test_extremes = bijector_suite(CASES)


def test_values_and_event_shapes_as_numpy_reshape():
    x = np.arange(24.0).reshape(2, 12)
    b = tfb.Reshape(event_shape_out=(3, -1), event_shape_in=(12,))
    np.testing.assert_array_equal(b.forward(x), x.reshape(2, 3, 4))
    np.testing.assert_array_equal(b.inverse(x.reshape(2, 3, 4)), x)
    assert b.forward_min_event_ndims == 1 and b.inverse_min_event_ndims == 2
    assert b.forward_event_shape((5, 12)) == (5, 3, 4)
    assert b.inverse_event_shape((5, 3, 4)) == (5, 12)
    assert tfb.Reshape((2, 3)).inverse_event_shape((7, 2, 3)) == (7, 6)
    inferred = tfb.Reshape((-1,), event_shape_in=(2, 2))
    np.testing.assert_array_equal(inferred.forward(x.reshape(6, 2, 2)), x.reshape(6, 4))
    assert inferred.inverse_event_shape((3, 4)) == (3, 2, 2)


def test_log_det_is_zero_summed_over_wider_events():
    b = tfb.Reshape((2, 3))
    assert b.forward_log_det_jacobian(jnp.ones((4, 6))).shape == ()
    np.testing.assert_array_equal(b.forward_log_det_jacobian(jnp.ones((4, 6)), 2), 0.0)
    np.testing.assert_array_equal(b.inverse_log_det_jacobian(jnp.ones((4, 2, 3)), 3), 0.0)


def test_works_inside_jit_and_vmap():
    b = tfb.Reshape((2, 3))
    out = jax.jit(jax.vmap(b.forward))(jnp.ones((4, 5, 6)))
    assert out.shape == (4, 5, 2, 3)


@pytest.mark.parametrize(
    ("arguments", "match"),
    [
        (((2, 3), (5,)), "different numbers of elements"),
        (((-1, -1), (4,)), "`event_shape_out` entries must be positive or a single -1"),
        (((2, 0), (4,)), "`event_shape_out` entries must be positive"),
        (((4,), (-2, 2)), "`event_shape_in` entries must be positive"),
        (((2.5,), (4,)), "`event_shape_out` must be a sequence of ints"),
    ],
)
def test_bad_shapes_are_rejected(arguments, match):
    with pytest.raises(ValueError, match=match):
        tfb.Reshape(*arguments)


def test_input_not_matching_event_shape_in_is_rejected():
    b = tfb.Reshape((2, 3), event_shape_in=(6,))
    with pytest.raises(ValueError, match=r"event shape \(5,\) does not match `event_shape_in` \(6,\)"):
        b.forward(jnp.ones((2, 5)))
    with pytest.raises(ValueError, match="cannot take `event_shape_out`"):
        tfb.Reshape((4, -1)).forward(jnp.ones(6))
    with pytest.raises(ValueError, match="fewer dimensions"):
        b.inverse_event_shape((3,))


def test_tfp_argument_names():
    b = tfb.Reshape(event_shape_out=[2, 3], event_shape_in=np.array([6]))
    assert b.event_shape_out == (2, 3) and b.event_shape_in == (6,) and b.name == "reshape"
