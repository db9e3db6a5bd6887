"""NormalCDF: y = Phi(x), the standard normal distribution function."""

from __future__ import annotations

import math

import jax.numpy as jnp
from jax.scipy.special import ndtr, ndtri

from probax.bijectors.bijector import Bijector

_HALF_LOG_TWO_PI = 0.5 * math.log(2.0 * math.pi)


class NormalCDF(Bijector):
    """y = Phi(x), mapping the real line onto (0, 1).

        x = Phi^{-1}(y) (ndtri),
        log|dy/dx| = log phi(x) = -x^2 / 2 - log(2 pi) / 2.

    The log-determinants are computed in log space from x, never as log(phi(x)), so they
    stay finite where phi(x) underflows; the inverse log-det is x^2 / 2 + log(2 pi) / 2
    at x = ndtri(y).

    Args:
      validate_args: unused (no parameters); kept for TFP's signature.
      name: a name (TFP's default, "normal").

    Example:
      >>> from probax.bijectors import NormalCDF
      >>> float(NormalCDF().forward(0.))
      0.5
      >>> float(NormalCDF().inverse(0.5))
      0.0

    """

    def __init__(self, validate_args: bool = False, name: str | None = None):
        super().__init__(forward_min_event_ndims=0, validate_args=validate_args, name=name or "normal")

    def _is_increasing(self):
        return True

    def _forward(self, x):
        return ndtr(x)

    def _inverse(self, y):
        return ndtri(y)

    def _forward_log_det_jacobian(self, x):
        return -0.5 * jnp.square(x) - _HALF_LOG_TWO_PI
