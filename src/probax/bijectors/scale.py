"""Scale: y = scale * x."""

from __future__ import annotations

import jax.numpy as jnp

from probax._internal import checks
from probax.bijectors.bijector import Bijector


class Scale(Bijector):
    """y = scale * x elementwise; log|dy/dx| = log|scale|.

    Args:
      scale: the (non-zero) multiplier; give it or `log_scale`.
      log_scale: log of a positive multiplier.
      validate_args: check that `scale` is non-zero.
      name: a name.

    Example:
      >>> from probax.bijectors import Scale
      >>> float(Scale(2.).inverse(3.))
      1.5

    """

    def __init__(self, scale=None, log_scale=None, validate_args: bool = False, name: str | None = None):
        if (scale is None) == (log_scale is None):
            raise ValueError("Scale: give exactly one of `scale` and `log_scale`.")
        super().__init__(
            scale=scale,
            log_scale=log_scale,
            forward_min_event_ndims=0,
            is_constant_jacobian=True,
            validate_args=validate_args,
            name=name,
        )

    @classmethod
    def _parameter_properties(cls):
        return {"scale": 0, "log_scale": 0}

    def _validate_parameters(self):
        if self.scale is not None:
            checks.check(self.scale != 0, "Scale: parameter `scale` must be non-zero.")

    def _multiplier(self):
        return self.scale if self.scale is not None else jnp.exp(self.log_scale)

    def _forward(self, x):
        return x * self._multiplier()

    def _inverse(self, y):
        return y / self._multiplier()

    def _forward_log_det_jacobian(self, x):
        return self.log_scale if self.log_scale is not None else jnp.log(jnp.abs(self.scale))

    def _is_increasing(self):
        return True if self.scale is None else self.scale > 0
