"""Reciprocal: y = 1 / x."""

from __future__ import annotations

import jax.numpy as jnp

from probax.bijectors.bijector import Bijector


class Reciprocal(Bijector):
    """y = 1 / x on the non-zero reals; the map is its own inverse.

        log|dy/dx| = -2 log|x|.

    Args:
      validate_args: unused (no parameters); kept for TFP's signature.
      name: a name.

    Example:
      >>> from probax.bijectors import Reciprocal
      >>> float(Reciprocal().forward(4.))
      0.25

    """

    def __init__(self, validate_args: bool = False, name: str | None = None):
        super().__init__(forward_min_event_ndims=0, validate_args=validate_args, name=name)

    def _is_increasing(self):
        return False

    def _forward(self, x):
        return jnp.reciprocal(x)

    def _inverse(self, y):
        return jnp.reciprocal(y)

    def _forward_log_det_jacobian(self, x):
        return -2.0 * jnp.log(jnp.abs(x))

    def _inverse_log_det_jacobian(self, y):
        return -2.0 * jnp.log(jnp.abs(y))
