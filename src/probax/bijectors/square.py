"""Square: y = x ** 2 on the non-negative reals."""

from __future__ import annotations

import math

import jax.numpy as jnp

from probax.bijectors.bijector import Bijector


class Square(Bijector):
    """y = x ** 2, mapping the non-negative reals onto themselves.

        x = sqrt(y),   log|dy/dx| = log 2 + log x.

    Args:
      validate_args: unused (no parameters); kept for TFP's signature.
      name: a name.

    Example:
      >>> from probax.bijectors import Square
      >>> float(Square().inverse(9.))
      3.0

    """

    def __init__(self, validate_args: bool = False, name: str | None = None):
        super().__init__(forward_min_event_ndims=0, validate_args=validate_args, name=name)

    def _is_increasing(self):
        # On its domain, the non-negative reals.
        return True

    def _forward(self, x):
        return jnp.square(x)

    def _inverse(self, y):
        return jnp.sqrt(y)

    def _forward_log_det_jacobian(self, x):
        return math.log(2.0) + jnp.log(x)

    def _inverse_log_det_jacobian(self, y):
        return -math.log(2.0) - 0.5 * jnp.log(y)
