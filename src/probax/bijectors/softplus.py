"""Softplus: y = c * log(1 + exp(x / c)) + low."""

from __future__ import annotations

import jax
import jax.numpy as jnp

from probax._internal import checks
from probax.bijectors.bijector import Bijector


class Softplus(Bijector):
    """y = c * softplus(x / c) + low, mapping the real line onto (low, inf).

    With hinge softness c (default 1) and lower bound `low` (default 0):

        y = c * log(1 + exp(x / c)) + low,
        x = c * log(expm1((y - low) / c)),
        log|dy/dx| = -softplus(-x / c) = log sigmoid(x / c).

    A negative `c` reflects the map: f_{-c}(x) = -f_c(-x).

    Args:
      hinge_softness: non-zero softness of the hinge at the origin (None means 1).
      low: lower bound of the output (None means 0).
      validate_args: check that `hinge_softness` is non-zero.
      name: a name.

    Example:
      >>> from probax.bijectors import Softplus
      >>> round(float(Softplus().forward(0.)), 4)  # log 2
      0.6931
      >>> round(float(Softplus(low=1.).inverse(1.6931472)), 4)
      0.0

    """

    def __init__(self, hinge_softness=None, low=None, validate_args: bool = False, name: str | None = None):
        super().__init__(
            hinge_softness=hinge_softness,
            low=low,
            forward_min_event_ndims=0,
            validate_args=validate_args,
            name=name,
        )

    @classmethod
    def _parameter_properties(cls):
        return {"hinge_softness": 0, "low": 0}

    def _validate_parameters(self):
        if self.hinge_softness is not None:
            checks.check(self.hinge_softness != 0, "Softplus: parameter `hinge_softness` must be non-zero.")

    def _is_increasing(self):
        return True

    def _forward(self, x):
        if self.hinge_softness is None:
            y = jax.nn.softplus(x)
        else:
            y = self.hinge_softness * jax.nn.softplus(x / self.hinge_softness)
        return y if self.low is None else y + self.low

    def _inverse(self, y):
        z = self._standardized(y)
        # softplus^{-1}(z) = log(expm1(z)) = log(-expm1(-z)) + z: no overflow for large z,
        # and -expm1(-z) keeps full precision for tiny z.
        x = jnp.log(-jnp.expm1(-z)) + z
        return x if self.hinge_softness is None else self.hinge_softness * x

    def _forward_log_det_jacobian(self, x):
        if self.hinge_softness is not None:
            x = x / self.hinge_softness
        return -jax.nn.softplus(-x)

    def _inverse_log_det_jacobian(self, y):
        # dx/dy = 1 / (1 - exp(-z)) with z = (y - low) / c.
        return -jnp.log(-jnp.expm1(-self._standardized(y)))

    def _standardized(self, y):
        """(y - low) / c: the standard softplus output that y corresponds to."""
        if self.low is not None:
            y = y - self.low
        return y if self.hinge_softness is None else y / self.hinge_softness
