import jax.numpy as jnp
import numpy as np
import pytest

from probax import bijectors as tfb
from tests.bijectors.harness import BijectorCase, bijector_suite

RNG = np.random.default_rng(4)
X6 = RNG.normal(size=(3, 6)) * 2.0  # 6 = 4 * 3 / 2: 4 x 4 factors
STRICT_ROWS, STRICT_COLS = np.tril_indices(4, -1)


def strictly_lower(matrix):
    return matrix[STRICT_ROWS, STRICT_COLS]


CASES = [
    BijectorCase("four_by_four", lambda: tfb.CorrelationCholesky(), {}, X6, to_free_output=strictly_lower,
                 extremes_x=[[1e20, -1e20, 1e-20, 3e38, 0.0, -3e38]],
                 extremes_y=[[[1.0, 0.0], [1.0 - 1e-7, 3e-4]], [[1.0, 0.0], [-1e-30, 1.0]]]),
]

test_round_trip, test_log_det, test_transforms, test_extremes = bijector_suite(CASES)


def test_rows_are_normalized_strict_lower_triangle():
    # Independent construction: Z has the packed entries below a unit diagonal; L = rows of Z / norms.
    x = X6[0]
    z = np.eye(4)
    z[1:, :-1] += np.asarray(tfb.FillTriangular().forward(x))
    expected = z / np.linalg.norm(z, axis=-1, keepdims=True)
    factor = np.asarray(tfb.CorrelationCholesky().forward(x))
    np.testing.assert_allclose(factor, expected, rtol=1e-12)
    correlation = factor @ factor.T
    np.testing.assert_allclose(np.diagonal(correlation), 1.0, rtol=1e-12)
    assert np.all(np.linalg.eigvalsh(correlation) > 0)
    # log|det J| = sum_i (i + 2) log L_ii, 0-based rows.
    np.testing.assert_allclose(tfb.CorrelationCholesky().forward_log_det_jacobian(x),
                               np.sum(np.arange(2, 6) * np.log(np.diagonal(factor))), rtol=1e-12)


def test_shapes_follow_tfp():
    b = tfb.CorrelationCholesky()
    assert (b.forward_min_event_ndims, b.inverse_min_event_ndims) == (1, 2)
    assert b.forward_event_shape([5, 3]) == (5, 3, 3)
    assert b.inverse_event_shape([4, 4]) == (6,)
    np.testing.assert_array_equal(b.forward(jnp.zeros((2, 0))), np.ones((2, 1, 1)))
    with pytest.raises(ValueError, match="CorrelationCholesky: the last dimension of x"):
        b.forward(jnp.ones(4))
