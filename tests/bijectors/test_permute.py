import jax
import jax.numpy as jnp
import numpy as np
import pytest

from probax import bijectors as tfb
from tests.bijectors.harness import BijectorCase, bijector_suite

RNG = np.random.default_rng(1)

CASES = [
    BijectorCase(
        "axis_minus_two", lambda: tfb.Permute(np.array([1, 2, 0]), axis=-2), {}, RNG.normal(size=(2, 3, 2))
    ),
]

test_round_trip, test_log_det, test_transforms, test_extremes = bijector_suite(CASES)


def test_values_against_numpy_indexing():
    x = RNG.normal(size=(2, 4, 3))
    np.testing.assert_array_equal(tfb.Permute([2, 0, 1]).forward(x), x[..., [2, 0, 1]])
    np.testing.assert_array_equal(tfb.Permute([3, 1, 0, 2], axis=-2).forward(x), x[:, [3, 1, 0, 2], :])
    np.testing.assert_array_equal(tfb.Permute([2, 0, 1]).inverse(x[..., [2, 0, 1]]), x)


def test_log_det_zero_and_event_ndims_follow_the_axis():
    b = tfb.Permute([1, 0], axis=-2)
    assert b.forward_min_event_ndims == 2 and b.is_constant_jacobian
    assert b.forward_log_det_jacobian(jnp.ones((5, 2, 3))).shape == ()
    np.testing.assert_array_equal(b.forward_log_det_jacobian(jnp.ones((5, 2, 3)), 3), 0.0)


def test_static_permutation_passes_through_jit():
    b = tfb.Permute([1, 2, 0])
    out = jax.jit(lambda b, x: b.forward(x))(b, jnp.arange(3.0))
    np.testing.assert_array_equal(out, [1.0, 2.0, 0.0])


@pytest.mark.parametrize(
    ("arguments", "error", "match"),
    [
        (([0, 0, 1],), ValueError, "`permutation` must hold each of 0, ..., d - 1 once"),
        (([1, 2],), ValueError, "`permutation` must hold each of 0, ..., d - 1 once"),
        (([0.0, 1.0],), TypeError, "`permutation` must hold ints"),
        (([1, 0], 0), ValueError, "`axis` must be a negative int"),
    ],
)
def test_bad_arguments_are_rejected(arguments, error, match):
    with pytest.raises(error, match=match):
        tfb.Permute(*arguments)


def test_wrong_axis_size_is_rejected():
    with pytest.raises(ValueError, match="no axis -1 of size 3"):
        tfb.Permute([2, 0, 1]).forward(jnp.ones((2, 4)))
    with pytest.raises(ValueError, match="no axis -2 of size 2"):
        tfb.Permute([1, 0], axis=-2).forward_event_shape((2,))


def test_tfp_argument_names():
    b = tfb.Permute(permutation=[1, 0], axis=-1)
    assert b.permutation == (1, 0) and b.axis == -1 and b.name == "permute"
