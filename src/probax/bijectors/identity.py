"""Identity: y = x."""

from __future__ import annotations

import jax.numpy as jnp

from probax.bijectors.bijector import Bijector


class Identity(Bijector):
    """The identity map, y = x, with log-determinant 0.

    Example:
      >>> from probax.bijectors import Identity
      >>> float(Identity().forward_log_det_jacobian(3.))
      0.0

    """

    def __init__(self, validate_args: bool = False, name: str | None = None):
        super().__init__(
            forward_min_event_ndims=0, is_constant_jacobian=True, validate_args=validate_args, name=name
        )

    def _forward(self, x):
        return x

    def _inverse(self, y):
        return y

    def _forward_log_det_jacobian(self, x):
        return jnp.zeros((), jnp.result_type(x, float))

    def _is_increasing(self):
        return True
