"""FillTriangular: a vector of n(n+1)/2 numbers laid out as an n x n triangular matrix."""

from __future__ import annotations

import functools
import math

import jax
import jax.numpy as jnp
import numpy as np

from probax.bijectors.bijector import Bijector


def triangular_size(num_entries: int, argument: str, owner: str = "FillTriangular") -> int:
    """The n such that n(n+1)/2 == num_entries, or a ValueError naming `owner` and `argument`."""
    n = (math.isqrt(8 * num_entries + 1) - 1) // 2
    if n * (n + 1) // 2 != num_entries:
        raise ValueError(
            f"{owner}: the last dimension of {argument} must be a triangular number n(n+1)/2, "
            f"got {num_entries}."
        )
    return n


@functools.cache
def _layout(n: int, upper: bool) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(source, mask, inverse): gather indices of TFP's packing, its triangle, and the way back.

    TFP's packing (kept so that packed vectors port unchanged) reads the n x n matrix row
    by row from the sequence `x[n:] ++ reversed(x)` (lower) or `x ++ reversed(x[n:])`
    (upper) and keeps the triangle; each entry of x lands in the triangle exactly once.
    `source[i, j]` is the entry of x at (i, j), `inverse[k]` the flat position of x[k].
    """
    m = n * (n + 1) // 2
    order = np.arange(m)
    sequence = (np.concatenate([order, order[n:][::-1]]) if upper
                else np.concatenate([order[n:], order[::-1]]))
    source = sequence.reshape(n, n)
    mask = np.triu(np.ones((n, n), bool)) if upper else np.tril(np.ones((n, n), bool))
    inverse = np.empty(m, np.int64)
    inverse[source[mask]] = np.flatnonzero(mask)
    return source, mask, inverse


# The maps are compiled as one program each: called eagerly, JAX would otherwise dispatch and
# compile each primitive of the gather on its own.
@functools.partial(jax.jit, static_argnames="upper")
def fill_triangular(x, upper: bool = False):
    """The n x n triangular matrices packed (TFP's order) in the last axis of `x`, n(n+1)/2 long."""
    n = triangular_size(x.shape[-1], "x")
    source, mask, _ = _layout(n, upper)
    filled = x[..., source.ravel()].reshape((*x.shape[:-1], n, n))
    return jnp.where(mask.reshape((1,) * (x.ndim - 1) + mask.shape), filled, jnp.zeros((), x.dtype))


@functools.partial(jax.jit, static_argnames="upper")
def fill_triangular_inverse(y, upper: bool = False):
    """The packed vectors of the triangles of the n x n matrices `y` (inverse of `fill_triangular`)."""
    n = y.shape[-1]
    _, _, inverse = _layout(n, upper)
    return y.reshape((*y.shape[:-2], n * n))[..., inverse]


class FillTriangular(Bijector):
    """Packs a vector of n(n+1)/2 entries into an n x n lower (or upper) triangular matrix.

    The map only rearranges entries (the other triangle is zero), so log|det J| = 0 in the
    free coordinates, the entries of the triangle. The packing is TFP's: for n = 3,
    `[1, 2, 3, 4, 5, 6]` becomes `[[4, 0, 0], [6, 5, 0], [3, 2, 1]]` (lower) or
    `[[1, 2, 3], [0, 5, 6], [0, 0, 4]]` (upper).

    Args:
      upper: fill the upper triangle instead of the lower one.
      validate_args: check parameters.
      name: a name.

    Example:
      >>> import jax.numpy as jnp
      >>> from probax.bijectors import FillTriangular
      >>> FillTriangular().forward(jnp.array([1., 2., 3.])).tolist()
      [[3.0, 0.0], [2.0, 1.0]]

    """

    _static_names = ("upper",)

    def __init__(self, upper: bool = False, validate_args: bool = False, name: str | None = None):
        super().__init__(upper=bool(upper), forward_min_event_ndims=1, inverse_min_event_ndims=2,
                         is_constant_jacobian=True, validate_args=validate_args, name=name)

    def _forward(self, x):
        triangular_size(x.shape[-1], "x")
        return fill_triangular(x, self.upper)

    def _inverse(self, y):
        if y.ndim < 2 or y.shape[-2] != y.shape[-1]:
            raise ValueError(f"FillTriangular: y must end in a square matrix, got shape {y.shape}.")
        return fill_triangular_inverse(y, self.upper)

    def _forward_log_det_jacobian(self, x):
        return jnp.zeros((), x.dtype)

    def _forward_event_shape(self, shape):
        if not shape:
            raise ValueError("FillTriangular: input_shape must have rank >= 1.")
        n = triangular_size(shape[-1], "input_shape")
        return (*shape[:-1], n, n)

    def _inverse_event_shape(self, shape):
        if len(shape) < 2 or shape[-1] != shape[-2]:
            raise ValueError(f"FillTriangular: output_shape must end in a square matrix, got {shape}.")
        n = shape[-1]
        return (*shape[:-2], n * (n + 1) // 2)
