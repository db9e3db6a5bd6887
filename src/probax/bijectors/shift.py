"""Shift: y = x + shift."""

from __future__ import annotations

import jax.numpy as jnp

from probax.bijectors.bijector import Bijector


class Shift(Bijector):
    """y = x + shift, with log-determinant 0.

    Args:
      shift: the offset (broadcasts against x).
      validate_args: check parameters.
      name: a name.

    Example:
      >>> from probax.bijectors import Shift
      >>> float(Shift(2.).forward(1.))
      3.0

    """

    def __init__(self, shift, validate_args: bool = False, name: str | None = None):
        super().__init__(
            shift=shift,
            forward_min_event_ndims=0,
            is_constant_jacobian=True,
            validate_args=validate_args,
            name=name,
        )

    @classmethod
    def _parameter_properties(cls):
        return {"shift": 0}

    def _forward(self, x):
        return x + self.shift

    def _inverse(self, y):
        return y - self.shift

    def _forward_log_det_jacobian(self, x):
        return jnp.zeros_like(self.shift)

    def _is_increasing(self):
        return True
