import jax
import jax.numpy as jnp
import numpy as np
import pytest

from probax import bijectors as tfb
from tests.bijectors.harness import BijectorCase, bijector_suite

N = 3
ROWS, COLS = np.tril_indices(N)


def random_cholesky(rng, batch):
    factor = np.tril(rng.normal(size=(batch, N, N)))
    factor[:, np.arange(N), np.arange(N)] = np.abs(factor[:, np.arange(N), np.arange(N)]) + 0.5
    return factor


def lower_entries(matrix):
    return matrix[ROWS, COLS]


def from_lower_entries(free):
    return jnp.zeros((N, N), free.dtype).at[ROWS, COLS].set(free)


FACTORS = random_cholesky(np.random.default_rng(3), 3)

CASES = [
    # Free coordinates: the lower triangle of L, and the lower triangle of the symmetric L L^T.
    BijectorCase("cholesky", lambda: tfb.CholeskyOuterProduct(), {}, FACTORS, to_free=lower_entries,
                 from_free=from_lower_entries, to_free_output=lower_entries),
]

test_round_trip, test_log_det, test_transforms, test_extremes = bijector_suite(CASES)


def test_values_against_numpy():
    bijector = tfb.CholeskyOuterProduct()
    y = np.asarray(bijector.forward(FACTORS))
    np.testing.assert_allclose(y, FACTORS @ np.swapaxes(FACTORS, -1, -2), rtol=1e-12)
    np.testing.assert_allclose(bijector.inverse(y), np.linalg.cholesky(y), rtol=1e-10)
    # n log 2 + sum_i (n - i + 1) log L_ii, 1-based.
    diagonal = np.diagonal(FACTORS, axis1=-2, axis2=-1)
    expected = N * np.log(2.0) + np.sum(np.arange(N, 0, -1) * np.log(diagonal), axis=-1)
    np.testing.assert_allclose(bijector.forward_log_det_jacobian(FACTORS), expected, rtol=1e-12)


def test_custom_cholesky_fn_and_validation():
    calls = []

    def cholesky(matrix):
        calls.append(matrix.shape)
        return jnp.linalg.cholesky(matrix)

    y = tfb.CholeskyOuterProduct().forward(FACTORS[0])
    custom = tfb.CholeskyOuterProduct(cholesky_fn=cholesky)
    np.testing.assert_allclose(custom.inverse(y), FACTORS[0], rtol=1e-10)
    assert calls == [(N, N)]
    jax.jit(lambda b, y: b.inverse(y))(custom, y)
    with pytest.raises(ValueError, match="diagonal of x must be positive"):
        tfb.CholeskyOuterProduct(validate_args=True).forward(-FACTORS[0])
