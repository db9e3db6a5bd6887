"""Scale matrices of location-scale multivariate families, without a LinearOperator library.

A multivariate normal or Student t is `x = loc + S z`, with `z` standard and `S` a `d x d`
scale matrix. Each scale structure here (diagonal, lower triangular, diagonal plus low rank)
offers the few products the distributions need, each at the cost its structure allows:
`S v`, `S^{-1} v`, `|S^{-1} v|^2`, `S^{-1} B`, `log|det S|`, `diag(S S^T)`, `S S^T` and a
Cholesky factor of `S S^T`. Arrays carry the distribution's batch dimensions in front
(rank-aligned by the caller); vectors are `[..., d]` and matrices `[..., d, k]`.

The module also holds the constraints the scale parameters are validated against.

Example:
  >>> import jax.numpy as jnp
  >>> scale = TriLScale(jnp.array([[2., 0.], [1., 1.]]))
  >>> scale.solvevec(jnp.array([2., 2.])).tolist()
  [1.0, 1.0]
  >>> float(scale.log_abs_determinant())  # log(2 * 1)
  0.6931...

"""

from __future__ import annotations

from typing import NamedTuple

import jax
import jax.numpy as jnp
import numpy as np
from jax.scipy.linalg import solve_triangular

from probax._internal.dtypes import at_own_precision
from probax._internal.shapes import broadcast_shapes, pad_leading

# Full float32 precision in matrix products: GPUs may otherwise round inputs to TF32.
_HIGHEST = jax.lax.Precision.HIGHEST


def _matvec(matrix, vectors):
    """`matrix @ v` for each vector, broadcasting batch dimensions without copying the matrix."""
    return jnp.matmul(matrix, vectors[..., None], precision=_HIGHEST)[..., 0]


def _squared_norm(vectors):
    """`|v|^2` over the last axis."""
    return jnp.sum(jnp.square(vectors), axis=-1)


def _eye(size: int, ndim: int, dtype):
    """The identity of `size`, with leading unit axes up to `ndim` dimensions."""
    return jnp.eye(size, dtype=dtype).reshape((1,) * (ndim - 2) + (size, size))


def _eye_like(diagonal):
    """`diag(diagonal)` as a dense matrix: `[..., d] -> [..., d, d]`."""
    return diagonal[..., None] * _eye(diagonal.shape[-1], diagonal.ndim + 1, diagonal.dtype)


def _solve_lower_shared(tril, vectors):
    """`L^{-1} v` for every vector, solving for all vectors that share a matrix at once.

    Batch axes where `tril` has size 1 but `vectors` do not are gathered into the rows of one
    right-hand side `V`, and `X L^T = V` is solved with the matrix on the right: a single matrix
    against many vectors is one triangular solve (no copy of the matrix per vector, and no
    transpose when the shared axes lead, as in `[n, d]` values against one distribution).
    """
    rank = max(tril.ndim - 2, vectors.ndim - 1)
    tril, vectors = pad_leading(tril, rank + 2), pad_leading(vectors, rank + 1)
    size = tril.shape[-1]
    batch = broadcast_shapes(tril.shape[:-2], vectors.shape[:-1], what="scale and value batch")
    shared = tuple(i for i in range(rank) if tril.shape[i] == 1 and batch[i] != 1)
    own = tuple(i for i in range(rank) if i not in shared)
    own_shape = tuple(batch[i] for i in own)
    order = (*own, *shared, rank)
    rows = jnp.transpose(jnp.broadcast_to(vectors, (*batch, size)), order)
    rows = rows.reshape((*own_shape, -1, size))
    matrices = jnp.broadcast_to(
        tril.reshape((*(tril.shape[i] for i in own), size, size)), (*own_shape, size, size)
    )
    if rows.shape[-2] >= size:
        # Many vectors per matrix: invert each matrix once (d^3 / 3) and multiply (a GEMM runs
        # several times faster than a triangular solve with many right-hand sides on CPU; the
        # inverse of a triangular matrix is computed column by column, as accurately as a solve).
        eye = jnp.broadcast_to(jnp.eye(size, dtype=matrices.dtype), matrices.shape)
        inverse = jax.lax.linalg.triangular_solve(matrices, eye, left_side=True, lower=True)
        solved = jnp.matmul(rows, jnp.swapaxes(inverse, -1, -2), precision=_HIGHEST)
    else:
        solved = jax.lax.linalg.triangular_solve(
            matrices, rows, left_side=False, lower=True, transpose_a=True
        )
    solved = solved.reshape((*own_shape, *(batch[i] for i in shared), size))
    return jnp.transpose(solved, tuple(np.argsort(order)))


class DiagScale(NamedTuple):
    """`S = diag(diag)`; `diag=None` is the identity of size `event_size`. Never builds a matrix."""

    diag: jax.Array | None
    event_size: int

    def matvec(self, vectors):
        """`S v`."""
        return vectors if self.diag is None else self.diag * vectors

    def solvevec(self, vectors):
        """`S^{-1} v`."""
        # One reciprocal per parameter, then products: a division per value entry costs more.
        return vectors if self.diag is None else vectors * jnp.reciprocal(self.diag)

    def squared_mahalanobis(self, vectors):
        """`|S^{-1} v|^2`, reduced over the last axis."""
        # Rounded to its own precision (a no-op): XLA:CPU then runs the squares as a threaded XLA loop
        # and the sum apart, ~15% faster than one YNNPACK kernel doing both (TriL: fused is faster).
        return jnp.sum(at_own_precision(jnp.square(self.solvevec(vectors))), axis=-1)

    def solve(self, matrix):
        """`S^{-1} B` for `B` shaped `[..., d, k]`."""
        return matrix if self.diag is None else matrix / self.diag[..., None]

    def log_abs_determinant(self):
        """`log|det S|`, shaped like the batch."""
        if self.diag is None:
            return jnp.zeros(())  # rank 0 combines with any batch rank
        return jnp.sum(jnp.log(jnp.abs(self.diag)), axis=-1)

    def to_dense(self, dtype):
        """`S` as a dense `[..., d, d]` matrix."""
        return jnp.eye(self.event_size, dtype=dtype) if self.diag is None else _eye_like(self.diag)

    def covariance_diag(self, dtype):
        """`diag(S S^T)`."""
        return jnp.ones(self.event_size, dtype) if self.diag is None else jnp.square(self.diag)

    def covariance(self, dtype):
        """`S S^T`."""
        return _eye_like(self.covariance_diag(dtype))

    def covariance_cholesky(self, dtype):
        """The lower-triangular `L` with positive diagonal and `L L^T = S S^T`."""
        return _eye_like(jnp.sqrt(self.covariance_diag(dtype)))


class TriLScale(NamedTuple):
    """`S = tril(tril)`, lower triangular; entries above the diagonal are ignored."""

    tril: jax.Array

    @property
    def event_size(self) -> int:
        """The dimension `d`."""
        return self.tril.shape[-1]

    def _lower(self):
        return jnp.tril(self.tril)

    def matvec(self, vectors):
        """`S v`."""
        return _matvec(self._lower(), vectors)

    def solvevec(self, vectors):
        """`S^{-1} v`, by one triangular solve per distinct matrix."""
        return _solve_lower_shared(self.tril, vectors)

    def squared_mahalanobis(self, vectors):
        """`|S^{-1} v|^2`, reduced over the last axis (fused with the solve's product: faster here)."""
        return _squared_norm(self.solvevec(vectors))

    def solve(self, matrix):
        """`S^{-1} B` for `B` shaped `[..., d, k]`."""
        batch = broadcast_shapes(self.tril.shape[:-2], matrix.shape[:-2], what="scale and matrix batch")
        tril = jnp.broadcast_to(self.tril, (*batch, *self.tril.shape[-2:]))
        return solve_triangular(tril, jnp.broadcast_to(matrix, (*batch, *matrix.shape[-2:])), lower=True)

    def log_abs_determinant(self):
        """`log|det S|`: the sum of log|diagonal|."""
        return jnp.sum(jnp.log(jnp.abs(jnp.diagonal(self.tril, axis1=-2, axis2=-1))), axis=-1)

    def to_dense(self, dtype):
        """`S` as a dense matrix."""
        return self._lower().astype(dtype)

    def covariance_diag(self, dtype):
        """`diag(S S^T)`: squared row norms."""
        return jnp.sum(jnp.square(self._lower()), axis=-1).astype(dtype)

    def covariance(self, dtype):
        """`S S^T`."""
        lower = self._lower()
        return jnp.matmul(lower, jnp.swapaxes(lower, -1, -2), precision=_HIGHEST).astype(dtype)

    def covariance_cholesky(self, dtype):
        """`S` with each column's sign flipped so that the diagonal is positive."""
        signs = jnp.sign(jnp.diagonal(self.tril, axis1=-2, axis2=-1))
        return (self._lower() * signs[..., None, :]).astype(dtype)


def tril_scale(scale_tril, event_size: int):
    """The scale `tril(scale_tril)`, or the identity of size `event_size` when it is None."""
    return DiagScale(None, event_size) if scale_tril is None else TriLScale(scale_tril)


class DiagPlusLowRankScale(NamedTuple):
    """`S = diag(diag) + U diag(m) U^T` with `U = factor` (`[..., d, r]`) and `m = perturb_diag`.

    Solves use the Woodbury identity and `log|det S|` the matrix determinant lemma, both through
    the `r x r` capacitance matrix `C = I + diag(m) U^T diag(diag)^{-1} U`, so each costs
    O(d r^2 + r^3) per distribution rather than O(d^3). `perturb_diag=None` means `m = 1`.
    """

    diag: jax.Array
    factor: jax.Array
    perturb_diag: jax.Array | None

    @property
    def event_size(self) -> int:
        """The dimension `d`."""
        return self.factor.shape[-2]

    def _m(self):
        if self.perturb_diag is None:
            return jnp.ones((*self.factor.shape[:-2], self.factor.shape[-1]), self.factor.dtype)
        return self.perturb_diag

    def _factor_over_diag(self):
        """`D^{-1} U`."""
        return self.factor / self.diag[..., None]

    def _capacitance(self):
        """`C = I_r + diag(m) U^T D^{-1} U`."""
        gram = jnp.matmul(jnp.swapaxes(self.factor, -1, -2), self._factor_over_diag(), precision=_HIGHEST)
        return _eye(gram.shape[-1], gram.ndim, gram.dtype) + self._m()[..., None] * gram

    def _woodbury_right(self):
        """`W = C^{-1} diag(m) U^T D^{-1}`, `[..., r, d]`: then `S^{-1} = D^{-1} (I - U W)`."""
        right = self._m()[..., None] * jnp.swapaxes(self._factor_over_diag(), -1, -2)
        return jnp.linalg.solve(self._capacitance(), right)

    def matvec(self, vectors):
        """`S v`."""
        projected = self._m() * _matvec(jnp.swapaxes(self.factor, -1, -2), vectors)
        return self.diag * vectors + _matvec(self.factor, projected)

    def solvevec(self, vectors):
        """`S^{-1} v` by the Woodbury identity."""
        scaled = vectors / self.diag
        return scaled - _matvec(self._factor_over_diag(), _matvec(self._woodbury_right(), vectors))

    def squared_mahalanobis(self, vectors):
        """`|S^{-1} v|^2`, reduced over the last axis."""
        return _squared_norm(self.solvevec(vectors))

    def solve(self, matrix):
        """`S^{-1} B` for `B` shaped `[..., d, k]`."""
        matrix = pad_leading(matrix, self.factor.ndim)  # the identity's dense form has no batch axes
        correction = jnp.matmul(self._woodbury_right(), matrix, precision=_HIGHEST)
        return matrix / self.diag[..., None] - jnp.matmul(self._factor_over_diag(), correction,
                                                          precision=_HIGHEST)

    def log_abs_determinant(self):
        """`log|det S| = log|det D| + log|det C|` (matrix determinant lemma)."""
        _, log_abs_det_capacitance = jnp.linalg.slogdet(self._capacitance())
        return jnp.sum(jnp.log(jnp.abs(self.diag)), axis=-1) + log_abs_det_capacitance

    def _low_rank_dense(self):
        """`P = U diag(m) U^T`."""
        return jnp.matmul(self.factor * self._m()[..., None, :], jnp.swapaxes(self.factor, -1, -2),
                          precision=_HIGHEST)

    def to_dense(self, dtype):
        """`S` as a dense matrix."""
        return (_eye_like(self.diag) + self._low_rank_dense()).astype(dtype)

    def covariance_diag(self, dtype):
        """`diag(S S^T) = D^2 + 2 D diag(P) + diag(P^2)` in O(d r^2), with `P = U diag(m) U^T`."""
        m = self._m()
        low_rank_diag = jnp.sum(jnp.square(self.factor) * m[..., None, :], axis=-1)
        gram = jnp.matmul(jnp.swapaxes(self.factor, -1, -2), self.factor, precision=_HIGHEST)
        inner = m[..., :, None] * gram * m[..., None, :]  # diag(m) U^T U diag(m)
        squared_diag = jnp.sum(jnp.matmul(self.factor, inner, precision=_HIGHEST) * self.factor, axis=-1)
        return (jnp.square(self.diag) + 2 * self.diag * low_rank_diag + squared_diag).astype(dtype)

    def covariance(self, dtype):
        """`S S^T` (= `S^2`: `S` is symmetric)."""
        dense = self.to_dense(dtype)
        return jnp.matmul(dense, jnp.swapaxes(dense, -1, -2), precision=_HIGHEST)

    def covariance_cholesky(self, dtype):
        """The Cholesky factor of `S S^T`."""
        return jnp.linalg.cholesky(self.covariance(dtype))


LinearScale = DiagScale | TriLScale | DiagPlusLowRankScale


def covariance_trace_ratio(numerator: LinearScale, denominator: LinearScale, dtype):
    """`tr((B B^T)^{-1} A A^T) = ||B^{-1} A||_F^2` for scales `A = numerator`, `B = denominator`.

    A diagonal denominator needs only `diag(A A^T)`, so no matrix is formed for it.
    """
    if isinstance(denominator, DiagScale):
        ratio = numerator.covariance_diag(dtype)
        if denominator.diag is not None:
            ratio = pad_leading(ratio, denominator.diag.ndim) / jnp.square(denominator.diag)
        return jnp.sum(ratio, axis=-1)
    return jnp.sum(jnp.square(denominator.solve(numerator.to_dense(dtype))), axis=(-2, -1))


# ---------------------------------------------------------------- shapes and constraints
def event_size_of(family: str, dims: dict[str, tuple[tuple[int, ...] | None, tuple[int, ...]]],
                  broadcastable: tuple[str, ...] = ("loc",)) -> int:
    """The event size `d` the parameters agree on, or a `ValueError` that shows their shapes.

    Args:
      family: class name, for errors.
      dims: parameter name -> (its shape, or None when absent; the axes that must equal `d`).
      broadcastable: parameters whose size along those axes may also be 1 (TFP broadcasts `loc`).

    Returns:
      The event size.

    Example:
      >>> event_size_of("MultivariateNormalTriL", {"loc": ((3,), (-1,)), "scale_tril": ((3, 3), (-1, -2))})
      3

    """
    sizes = {}
    for name, (shape, axes) in dims.items():
        if shape is None:
            continue
        needed = max(-a for a in axes)
        if len(shape) < needed:
            raise ValueError(f"{family}: `{name}` must have at least {needed} dimension(s), got {shape}.")
        sizes[name] = {shape[a] for a in axes}
    for name, found in sizes.items():
        if len(found) > 1:
            raise ValueError(f"{family}: `{name}` must be square in its last two axes, got sizes {found}.")
    strict = {s for name, found in sizes.items() if name not in broadcastable for s in found}
    loose = {s for name, found in sizes.items() if name in broadcastable for s in found}
    if len(strict) > 1 or (not strict and len(loose) > 1) or (strict and not loose <= strict | {1}):
        shown = ", ".join(f"`{name}` {dims[name][0]}" for name in sizes)
        raise ValueError(f"{family}: parameters disagree on the event size d: {shown}.")
    return next(iter(strict or loose), 0)  # 0: no parameter given (the base class says so)


def shape_of(value) -> tuple[int, ...] | None:
    """`np.shape(value)`, or None for an absent parameter."""
    return None if value is None else tuple(np.shape(value))
