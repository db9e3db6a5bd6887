import jax.numpy as jnp
import numpy as np
import pytest

from probax import bijectors as tfb
from tests.bijectors.harness import BijectorCase, bijector_suite

RNG = np.random.default_rng(0)
X6 = RNG.normal(size=(3, 6))


def lower_entries(n):
    rows, cols = np.tril_indices(n)
    return lambda matrix: matrix[rows, cols]


CASES = [
    BijectorCase("lower", lambda: tfb.FillTriangular(), {}, X6, to_free_output=lower_entries(3)),
]

test_round_trip, test_log_det, test_transforms, test_extremes = bijector_suite(CASES)


def test_packing_matches_tfp_documented_example():
    # The example in TFP's `fill_triangular` documentation.
    x = jnp.arange(1.0, 7.0)
    np.testing.assert_array_equal(tfb.FillTriangular().forward(x), [[4, 0, 0], [6, 5, 0], [3, 2, 1]])
    upper = tfb.FillTriangular(upper=True).forward(x)
    np.testing.assert_array_equal(upper, [[1, 2, 3], [0, 5, 6], [0, 0, 4]])


def test_every_entry_lands_once_in_the_triangle_and_the_rest_is_zero():
    n = 5
    x = np.arange(1.0, n * (n + 1) // 2 + 1)
    for upper, keep in [(False, np.tril), (True, np.triu)]:
        y = np.asarray(tfb.FillTriangular(upper=upper).forward(x))
        np.testing.assert_array_equal(y, keep(y))
        np.testing.assert_array_equal(np.sort(y[keep(np.ones((n, n), bool))]), x)
        np.testing.assert_array_equal(tfb.FillTriangular(upper=upper).inverse(y), x)


def test_shapes_follow_tfp():
    b = tfb.FillTriangular()
    assert b.forward_min_event_ndims == 1 and b.inverse_min_event_ndims == 2 and b.is_constant_jacobian
    assert b.forward_event_shape([4, 10]) == (4, 4, 4)
    assert b.inverse_event_shape([2, 3, 3]) == (2, 6)
    assert b.forward(jnp.zeros((2, 7, 3))).shape == (2, 7, 2, 2)
    assert b.forward_log_det_jacobian(jnp.zeros((2, 3))).shape == ()
    np.testing.assert_array_equal(b.forward(jnp.array([[2.0]])), [[[2.0]]])
    np.testing.assert_array_equal(b.inverse(jnp.array([[[2.0]]])), [[2.0]])


def test_bad_sizes_are_named():
    with pytest.raises(ValueError, match="triangular number"):
        tfb.FillTriangular().forward(jnp.ones(4))
    with pytest.raises(ValueError, match="triangular number"):
        tfb.FillTriangular().forward_event_shape([5])
    with pytest.raises(ValueError, match="square matrix"):
        tfb.FillTriangular().inverse(jnp.ones((2, 3)))
