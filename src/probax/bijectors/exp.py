"""Exp (y = exp(x)) and Log, its inverse."""

from __future__ import annotations

import jax.numpy as jnp

from probax.bijectors.bijector import Bijector
from probax.bijectors.invert import Invert


class Exp(Bijector):
    """y = exp(x), mapping the real line onto the positive reals; log|dy/dx| = x.

    Example:
      >>> from probax.bijectors import Exp
      >>> float(Exp().inverse(1.))
      0.0

    """

    def __init__(self, validate_args: bool = False, name: str | None = None):
        super().__init__(forward_min_event_ndims=0, validate_args=validate_args, name=name)

    def _forward(self, x):
        return jnp.exp(x)

    def _inverse(self, y):
        return jnp.log(y)

    def _forward_log_det_jacobian(self, x):
        return x

    def _inverse_log_det_jacobian(self, y):
        return -jnp.log(y)

    def _is_increasing(self):
        return True


class Log(Invert):
    """y = log(x), the inverse of `Exp`, mapping the positive reals onto the real line.

    Example:
      >>> from probax.bijectors import Log
      >>> round(float(Log().forward_log_det_jacobian(2.)), 6)  # -log(2)
      -0.693147

    """

    def __init__(self, validate_args: bool = False, name: str | None = None):
        super().__init__(Exp(), validate_args=validate_args, name=name or "log")
