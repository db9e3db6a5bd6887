"""CorrelationCholesky: unconstrained vectors to Cholesky factors of correlation matrices."""

from __future__ import annotations

import jax
import jax.numpy as jnp

from probax.bijectors.bijector import Bijector
from probax.bijectors.fill_triangular import fill_triangular, fill_triangular_inverse, triangular_size


def _weights(n: int, rank: int, dtype):
    """The weights i + 2 for row i (0-based), shaped to `rank` dims (strict rank promotion)."""
    return jnp.arange(2, n + 2, dtype=dtype).reshape((1,) * (rank - 1) + (n,))


def _check_square(y):
    if y.ndim < 2 or y.shape[-2] != y.shape[-1]:
        raise ValueError(f"CorrelationCholesky: y must end in a square matrix, got shape {y.shape}.")


# Each map is compiled as one program: called eagerly, JAX would otherwise dispatch (and
# compile, for each new shape) every primitive on its own.
@jax.jit
def _forward_and_log_det(x):
    strict = fill_triangular(x, upper=False)  # (n - 1) x (n - 1): rows 1.. and columns ..n-2 of Z
    z = jnp.pad(strict, [(0, 0)] * (strict.ndim - 2) + [(1, 0), (0, 1)])
    n = z.shape[-1]
    z = z + jnp.eye(n, dtype=z.dtype).reshape((1,) * (z.ndim - 2) + (n, n))
    # Scale each row by about 1 / its largest entry (a power of two) before taking the norm, and
    # keep the norm in log space, so entries up to the float range do not overflow when squared.
    # The power stays >= 2^-125, a normal float32: float32 subnormals may be flushed to zero,
    # and dividing by a huge number (a multiply by its subnormal reciprocal) would zero the row.
    _, exponent = jnp.frexp(jnp.max(jnp.abs(z), axis=-1, keepdims=True))
    scale = jnp.exp2(-jnp.minimum(exponent, 125).astype(z.dtype))
    rescaled = z * scale
    squared_norm = jnp.sum(jnp.square(rescaled), axis=-1, keepdims=True)
    log_diagonal = (jnp.log(scale) - 0.5 * jnp.log(squared_norm))[..., 0]
    log_det = jnp.sum(_weights(n, log_diagonal.ndim, x.dtype) * log_diagonal, axis=-1)
    return rescaled * jax.lax.rsqrt(squared_norm), log_det


@jax.jit
def _inverse(y):
    z = y / jnp.diagonal(y, 0, -2, -1)[..., None]
    return fill_triangular_inverse(z[..., 1:, :-1], upper=False)


@jax.jit
def _inverse_log_det_jacobian(y):
    log_diagonal = jnp.log(jnp.diagonal(y, 0, -2, -1))
    return -jnp.sum(_weights(y.shape[-1], log_diagonal.ndim, y.dtype) * log_diagonal, axis=-1)


class CorrelationCholesky(Bijector):
    """Maps R^{n(n-1)/2} onto Cholesky factors L of n x n correlation matrices (L L^T has unit diagonal).

    The vector fills the strictly lower triangle of an n x n matrix Z with unit diagonal (in
    TFP's `FillTriangular` order), and each row is normalized: L_i = Z_i / ||Z_i||. Row i
    (0-based) has i free entries z, and z -> z / sqrt(1 + |z|^2) has determinant
    (1 + |z|^2)^{-(i + 2)/2} = L_ii^{i + 2}, so in the free coordinates (the strictly lower
    triangle of L)

        log|det J| = sum_i (i + 2) log L_ii.

    With `LKJ`'s Cholesky form this gives an unconstrained parameterization of correlations.

    Args:
      validate_args: check parameters.
      name: a name.

    Example:
      >>> import jax.numpy as jnp
      >>> from probax.bijectors import CorrelationCholesky
      >>> L = CorrelationCholesky().forward(jnp.array([0.75]))
      >>> [[round(float(v), 4) for v in row] for row in L]
      [[1.0, 0.0], [0.6, 0.8]]

    """

    def __init__(self, validate_args: bool = False, name: str | None = None):
        super().__init__(forward_min_event_ndims=1, inverse_min_event_ndims=2,
                         validate_args=validate_args, name=name)

    def _forward_and_log_det(self, x):
        triangular_size(x.shape[-1], "x", "CorrelationCholesky")
        return _forward_and_log_det(x)

    def _inverse(self, y):
        _check_square(y)
        return _inverse(y)

    def _inverse_log_det_jacobian(self, y):
        _check_square(y)
        return _inverse_log_det_jacobian(y)

    def _forward_event_shape(self, shape):
        if not shape:
            raise ValueError("CorrelationCholesky: input_shape must have rank >= 1.")
        n = triangular_size(shape[-1], "input_shape", "CorrelationCholesky") + 1
        return (*shape[:-1], n, n)

    def _inverse_event_shape(self, shape):
        if len(shape) < 2 or shape[-1] != shape[-2]:
            raise ValueError(f"CorrelationCholesky: output_shape must end in a square matrix, got {shape}.")
        n = shape[-1]
        return (*shape[:-2], n * (n - 1) // 2)
