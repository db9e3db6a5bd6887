"""TransformDiagonal: a bijector applied to the diagonal of a matrix."""

from __future__ import annotations

import jax
import jax.numpy as jnp

from probax._internal.shapes import pad_leading
from probax.bijectors.bijector import Bijector


# Compiled as one program: called eagerly, JAX would otherwise dispatch (and compile, for each
# new shape) every primitive on its own.
@jax.jit
def _with_diagonal(x, diagonal):
    """`x` with its diagonal replaced by `diagonal` (whose batch dims may be wider)."""
    rank = max(x.ndim, diagonal.ndim + 1)
    n = x.shape[-1]
    mask = jnp.eye(n, dtype=bool).reshape((1,) * (rank - 2) + (n, n))
    return jnp.where(mask, pad_leading(diagonal[..., None, :], rank), pad_leading(x, rank))


class TransformDiagonal(Bijector):
    """Applies `diag_bijector` to the diagonal of square matrices and leaves the rest as is.

    With d = diag(x): y = x off the diagonal and diag(y) = g(d), so the Jacobian is
    triangular in the entries of x and log|det J| = log|det J_g(d)|, g's log-det over the
    diagonal taken as one vector.

    Args:
      diag_bijector: the bijector g applied to the diagonal (elementwise or on vectors).
      validate_args: check parameters.
      name: a name.

    Example:
      >>> import jax.numpy as jnp
      >>> from probax.bijectors import Exp, TransformDiagonal
      >>> TransformDiagonal(Exp()).forward(jnp.array([[0., 0.], [3., 0.]])).tolist()
      [[1.0, 0.0], [3.0, 1.0]]

    """

    _child_names = ("diag_bijector",)

    def __init__(self, diag_bijector: Bijector, validate_args: bool = False, name: str | None = None):
        if not isinstance(diag_bijector, Bijector):
            raise TypeError(f"TransformDiagonal: diag_bijector must be a Bijector, "
                            f"got {type(diag_bijector).__name__}.")
        if diag_bijector.forward_min_event_ndims > 1 or diag_bijector.forward_event_ndims(1) != 1:
            raise ValueError(
                "TransformDiagonal: diag_bijector must map vectors to vectors (forward_min_event_ndims "
                f"0 or 1, same event rank out), got {type(diag_bijector).__name__} with min event ndims "
                f"{diag_bijector.forward_min_event_ndims} -> {diag_bijector.inverse_min_event_ndims}."
            )
        super().__init__(diag_bijector=diag_bijector, forward_min_event_ndims=2,
                         is_constant_jacobian=diag_bijector.is_constant_jacobian,
                         validate_args=validate_args, name=name)

    def _accepted_keywords(self) -> frozenset[str]:
        return self.diag_bijector._accepted_keywords()

    @staticmethod
    def _diagonal(x):
        if x.ndim < 2 or x.shape[-2] != x.shape[-1]:
            raise ValueError(f"TransformDiagonal: input must end in a square matrix, got shape {x.shape}.")
        return jnp.diagonal(x, 0, -2, -1)

    def _forward(self, x, **kwargs):
        return _with_diagonal(x, self.diag_bijector.forward(self._diagonal(x), **kwargs))

    def _inverse(self, y, **kwargs):
        return _with_diagonal(y, self.diag_bijector.inverse(self._diagonal(y), **kwargs))

    def _forward_and_log_det(self, x, **kwargs):
        diagonal, log_det = self.diag_bijector.forward_and_log_det(self._diagonal(x), 1, **kwargs)
        return _with_diagonal(x, diagonal), log_det

    def _inverse_and_log_det(self, y, **kwargs):
        diagonal, log_det = self.diag_bijector.inverse_and_log_det(self._diagonal(y), 1, **kwargs)
        return _with_diagonal(y, diagonal), log_det

    def _batch_shape(self):
        return self.diag_bijector.experimental_batch_shape(1)
