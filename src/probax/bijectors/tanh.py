"""Tanh: y = tanh(x)."""

from __future__ import annotations

import math

import jax.numpy as jnp
import numpy as np

from probax.bijectors.bijector import Bijector


class Tanh(Bijector):
    """y = tanh(x), mapping the real line onto (-1, 1).

        x = atanh(y),
        log|dy/dx| = log(1 - tanh(x)^2) = 2 * (log 2 - |x| - log(1 + exp(-2|x|))).

    In float32, tanh(x) rounds to +-1 once |x| exceeds about 9; the inverse treats such
    y as the nearest float inside (-1, 1), so it stays finite (about +-9.01 in float32).

    Args:
      validate_args: unused (no parameters); kept for TFP's signature.
      name: a name.

    Example:
      >>> from probax.bijectors import Tanh
      >>> float(Tanh().inverse(0.))
      0.0
      >>> float(Tanh().forward_log_det_jacobian(0.))
      0.0

    """

    def __init__(self, validate_args: bool = False, name: str | None = None):
        super().__init__(forward_min_event_ndims=0, validate_args=validate_args, name=name)

    def _is_increasing(self):
        return True

    def _forward(self, x):
        return jnp.tanh(x)

    def _inverse(self, y):
        # A saturated forward pass returns exactly +-1; clip to the largest float below 1 so
        # that atanh (and the log-det through it) stays finite instead of returning inf.
        dtype = jnp.result_type(y, float)
        inside = np.nextafter(np.array(1, dtype), np.array(0, dtype))
        return jnp.arctanh(jnp.clip(y, -inside, inside))

    def _forward_log_det_jacobian(self, x):
        # 1 - tanh(x)^2 = 4 / (e^x + e^-x)^2; written with |x| (the map's slope is even in x)
        # so that nothing overflows or cancels for large |x|.
        magnitude = jnp.abs(x)
        return 2.0 * (math.log(2.0) - magnitude - jnp.log1p(jnp.exp(-2.0 * magnitude)))
