"""ScaleMatvecTriL: y = L @ x for a lower-triangular L."""

from __future__ import annotations

import jax
import jax.numpy as jnp
from jax.scipy.linalg import solve_triangular

from probax._internal import checks
from probax.bijectors.bijector import Bijector


class ScaleMatvecTriL(Bijector):
    """y = L @ x (or L^T @ x with `adjoint`) for lower-triangular L; log|det J| = sum_i log|L_ii|.

    Entries of `scale_tril` above the diagonal are ignored (treated as zero), as in TFP.
    The inverse is a triangular solve. The Jacobian is constant, so the log-determinant has
    the parameters' batch shape.

    Args:
      scale_tril: the lower-triangular matrix, shape `batch + [k, k]`, non-zero diagonal.
      adjoint: multiply by the transpose of L (an upper-triangular map) instead of L.
      validate_args: check that the diagonal of `scale_tril` has no zero entry.
      name: a name.
      dtype: float dtype for `scale_tril` (default: inferred from it).

    Example:
      >>> import jax.numpy as jnp
      >>> from probax.bijectors import ScaleMatvecTriL
      >>> b = ScaleMatvecTriL(jnp.array([[2., 0.], [1., 1.]]))
      >>> b.forward(jnp.array([1., 1.])).tolist()
      [2.0, 2.0]
      >>> b.inverse(jnp.array([2., 2.])).tolist()
      [1.0, 1.0]

    """

    _static_names = ("adjoint",)

    def __init__(
        self,
        scale_tril,
        adjoint: bool = False,
        validate_args: bool = False,
        name: str | None = None,
        dtype=None,
    ):
        if dtype is not None:
            # TFP converts to `dtype` when given; the base would promote it with the argument's own.
            scale_tril = jnp.asarray(scale_tril, dtype)
        super().__init__(
            scale_tril=scale_tril,
            adjoint=bool(adjoint),
            forward_min_event_ndims=1,
            is_constant_jacobian=True,
            validate_args=validate_args,
            name=name or "scale_matvec_tril",
            dtype=dtype,
        )

    @classmethod
    def _parameter_properties(cls):
        return {"scale_tril": 2}

    def _validate_parameters(self):
        diagonal = jnp.diagonal(self.scale_tril, axis1=-2, axis2=-1)
        checks.check(diagonal != 0, "ScaleMatvecTriL: parameter `scale_tril` must have a non-zero diagonal.")

    def _forward(self, x):
        tril = jnp.tril(self.scale_tril)
        matrix = jnp.swapaxes(tril, -1, -2) if self.adjoint else tril
        # Full float32 precision: on GPUs the default matmul may round its inputs (TF32), which
        # would break the round trip with the triangular solve.
        return jnp.matmul(matrix, x[..., None], precision=jax.lax.Precision.HIGHEST)[..., 0]

    def _inverse(self, y):
        solved = solve_triangular(
            jnp.tril(self.scale_tril), y[..., None], trans="T" if self.adjoint else 0, lower=True
        )
        return solved[..., 0]

    def _forward_log_det_jacobian(self, x):
        return jnp.sum(jnp.log(jnp.abs(jnp.diagonal(self.scale_tril, axis1=-2, axis2=-1))), axis=-1)
