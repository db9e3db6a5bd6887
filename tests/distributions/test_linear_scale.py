"""Scale operators against dense NumPy linear algebra; event-size checks."""

import jax
import jax.numpy as jnp
import numpy as np
import pytest

from probax.distributions._linear_scale import (
    DiagPlusLowRankScale,
    DiagScale,
    TriLScale,
    covariance_trace_ratio,
    event_size_of,
)

RNG = np.random.default_rng(1)
D = 4
DIAG = RNG.uniform(0.5, 2.0, size=(2, D)) * np.array([1, -1, 1, 1])
TRIL = np.tril(RNG.normal(size=(2, D, D)), -1) + np.einsum("bi,ij->bij", DIAG, np.eye(D))
FACTOR, PERTURB = RNG.normal(size=(2, D, 2)), RNG.normal(size=(2, 2))
DIAG_DENSE = np.einsum("bi,ij->bij", DIAG, np.eye(D))
SCALES = {
    "diag": (DiagScale(jnp.asarray(DIAG), D), DIAG_DENSE),
    "identity": (DiagScale(None, D), np.broadcast_to(np.eye(D), (2, D, D))),
    "tril": (TriLScale(jnp.asarray(TRIL)), TRIL),
    "low_rank": (DiagPlusLowRankScale(jnp.asarray(DIAG), jnp.asarray(FACTOR), jnp.asarray(PERTURB)),
                 DIAG_DENSE + np.einsum("bik,bk,bjk->bij", FACTOR, PERTURB, FACTOR)),
    "low_rank_unit": (DiagPlusLowRankScale(jnp.asarray(DIAG), jnp.asarray(FACTOR), None),
                      DIAG_DENSE + np.einsum("bik,bjk->bij", FACTOR, FACTOR)),
}


def _full(x, shape):
    """`x` broadcast to `shape` (the identity's results carry no batch axes)."""
    return np.broadcast_to(np.asarray(x), shape)


@pytest.mark.parametrize("name", SCALES)
def test_products_match_dense(name):
    scale, dense = SCALES[name]
    # Operators take rank-aligned inputs (the distributions align them): one vector per member.
    vectors = RNG.normal(size=(2, D))
    np.testing.assert_allclose(scale.matvec(vectors), np.einsum("bij,bj->bi", dense, vectors), rtol=1e-10)
    solved = np.linalg.solve(dense, vectors[..., None])[..., 0]
    np.testing.assert_allclose(scale.solvevec(vectors), solved, rtol=1e-9, atol=1e-12)
    np.testing.assert_allclose(scale.squared_mahalanobis(vectors), np.sum(np.square(solved), axis=-1),
                               rtol=1e-9)
    matrix = RNG.normal(size=(2, D, 3))
    np.testing.assert_allclose(scale.solve(matrix), np.linalg.solve(dense, matrix), rtol=1e-9, atol=1e-12)
    np.testing.assert_allclose(_full(scale.log_abs_determinant(), (2,)), np.linalg.slogdet(dense)[1],
                               rtol=1e-10)
    covariance = dense @ np.swapaxes(dense, -1, -2)
    np.testing.assert_allclose(_full(scale.covariance(np.float64), (2, D, D)), covariance, rtol=1e-10)
    np.testing.assert_allclose(_full(scale.covariance_diag(np.float64), (2, D)),
                               np.diagonal(covariance, axis1=-2, axis2=-1), rtol=1e-10)
    cholesky = _full(scale.covariance_cholesky(np.float64), (2, D, D))
    np.testing.assert_allclose(cholesky, np.linalg.cholesky(covariance), rtol=1e-9, atol=1e-12)
    np.testing.assert_allclose(_full(scale.to_dense(np.float64), (2, D, D)), dense, rtol=1e-12)


def test_triangular_solve_shares_matrices_across_batch_axes():
    # Matrix batch (1, 2, 1) against vectors (3, 1, 5): the size-1 axes go into the columns.
    tril = TRIL.reshape(1, 2, 1, D, D)
    vectors = RNG.normal(size=(3, 1, 5, D))
    got = TriLScale(jnp.asarray(tril)).solvevec(jnp.asarray(vectors))
    assert got.shape == (3, 2, 5, D)
    matrices = np.broadcast_to(tril, (3, 2, 5, D, D))
    columns = np.broadcast_to(vectors, (3, 2, 5, D))[..., None]
    expected = np.linalg.solve(matrices, columns)
    np.testing.assert_allclose(got, expected[..., 0], rtol=1e-9)


@pytest.mark.parametrize("numerator", SCALES)
@pytest.mark.parametrize("denominator", SCALES)
def test_covariance_trace_ratio(numerator, denominator):
    (a, a_dense), (b, b_dense) = SCALES[numerator], SCALES[denominator]
    a_cov, b_cov = a_dense @ np.swapaxes(a_dense, -1, -2), b_dense @ np.swapaxes(b_dense, -1, -2)
    expected = np.trace(np.linalg.solve(b_cov, a_cov), axis1=-2, axis2=-1)
    np.testing.assert_allclose(_full(covariance_trace_ratio(a, b, np.float64), (2,)), expected, rtol=1e-9)


def test_event_size_of_reports_shapes():
    assert event_size_of("F", {"loc": ((2, 1), (-1,)), "scale_tril": ((3, 3), (-1, -2))}) == 3
    assert event_size_of("F", {"loc": ((2, 5), (-1,)), "scale_tril": (None, (-1, -2))}) == 5
    with pytest.raises(ValueError, match=r"event size d: `loc` \(2,\), `scale_tril` \(3, 3\)"):
        event_size_of("F", {"loc": ((2,), (-1,)), "scale_tril": ((3, 3), (-1, -2))})
    with pytest.raises(ValueError, match="square"):
        event_size_of("F", {"scale_tril": ((3, 2), (-1, -2))})
    with pytest.raises(ValueError, match="at least 2 dimension"):
        event_size_of("F", {"scale_tril": ((3,), (-1, -2))})



@pytest.mark.parametrize("dtype", [jnp.float32, jnp.float64])
def test_diagonal_squared_mahalanobis_is_exactly_the_plain_sum(dtype):
    # The fusion split (a reduce_precision to the values' own precision) changes no bit, value or gradient.
    diag, vectors = jnp.asarray(DIAG, dtype), jnp.asarray(RNG.normal(size=(2, D)), dtype)

    def plain(diag):
        return jnp.sum(jnp.square(DiagScale(diag, D).solvevec(vectors)), axis=-1)

    def split(diag):
        return DiagScale(diag, D).squared_mahalanobis(vectors)

    np.testing.assert_array_equal(split(diag), plain(diag))
    assert split(diag).dtype == dtype
    np.testing.assert_array_equal(jax.jacobian(split)(diag), jax.jacobian(plain)(diag))
