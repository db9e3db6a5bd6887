"""ScaleMatvecDiag: y = diag(scale_diag) @ x."""

from __future__ import annotations

import jax.numpy as jnp

from probax._internal import checks
from probax.bijectors.bijector import Bijector


class ScaleMatvecDiag(Bijector):
    """y = diag(scale_diag) @ x on vectors; log|det J| = sum_i log|scale_diag_i|.

    The Jacobian is constant, so the log-determinant has the parameters' batch shape.

    Args:
      scale_diag: the diagonal, shape `batch + [k]`, with non-zero entries.
      adjoint: use the adjoint of the scale matrix (the same matrix for a real diagonal;
        kept for TFP's signature).
      validate_args: check that `scale_diag` has no zero entry.
      name: a name.
      dtype: float dtype for `scale_diag` (default: inferred from it).

    Example:
      >>> import jax.numpy as jnp
      >>> from probax.bijectors import ScaleMatvecDiag
      >>> b = ScaleMatvecDiag(jnp.array([2., 0.5]))
      >>> b.forward(jnp.array([1., 4.])).tolist()
      [2.0, 2.0]
      >>> float(b.forward_log_det_jacobian(jnp.zeros(2)))
      0.0

    """

    _static_names = ("adjoint",)

    def __init__(
        self,
        scale_diag,
        adjoint: bool = False,
        validate_args: bool = False,
        name: str | None = None,
        dtype=None,
    ):
        if dtype is not None:
            # TFP converts to `dtype` when given; the base would promote it with the argument's own.
            scale_diag = jnp.asarray(scale_diag, dtype)
        super().__init__(
            scale_diag=scale_diag,
            adjoint=bool(adjoint),
            forward_min_event_ndims=1,
            is_constant_jacobian=True,
            validate_args=validate_args,
            name=name,
            dtype=dtype,
        )

    @classmethod
    def _parameter_properties(cls):
        return {"scale_diag": 1}

    def _validate_parameters(self):
        checks.check(
            self.scale_diag != 0, "ScaleMatvecDiag: parameter `scale_diag` must have non-zero entries."
        )

    def _forward(self, x):
        return self.scale_diag * x

    def _inverse(self, y):
        return y / self.scale_diag

    def _forward_log_det_jacobian(self, x):
        return jnp.sum(jnp.log(jnp.abs(self.scale_diag)), axis=-1)
