"""SinhArcsinh: y = multiplier * sinh((asinh(x) + skewness) * tailweight)."""

from __future__ import annotations

import math

import jax.numpy as jnp

from probax._internal import checks
from probax.bijectors.bijector import Bijector

_LOG_TWO = math.log(2.0)


def _log_cosh(z):
    """Compute log cosh(z) = |z| + log1p(exp(-2|z|)) - log 2, finite where cosh(z) overflows."""
    magnitude = jnp.abs(z)
    return magnitude + jnp.log1p(jnp.exp(-2.0 * magnitude)) - _LOG_TWO


def _log1p_square(z):
    """Compute log(1 + z^2), finite where z^2 overflows."""
    magnitude = jnp.abs(z)
    large = magnitude > 1.0
    # For |z| > 1: 2 log|z| + log1p(1 / z^2); the inner where keeps 1/z^2 away from 1/0.
    safe = jnp.where(large, magnitude, 2.0)
    return jnp.where(
        large,
        2.0 * jnp.log(safe) + jnp.log1p(jnp.reciprocal(jnp.square(safe))),
        jnp.log1p(jnp.square(magnitude)),
    )


class SinhArcsinh(Bijector):
    """y = m * sinh((asinh(x) + skewness) * tailweight), a skewing, tail-weighting map of the reals.

    With m = 2 / sinh(asinh(2) * tailweight) (TFP's normalization: with zero skewness,
    x = +-2 are fixed points whatever the tailweight, so the bulk of a standard normal stays put),

        x = sinh(asinh(y / m) / tailweight - skewness),
        log|dy/dx| = log cosh((asinh(x) + skewness) * tailweight) - log(1 + x^2) / 2
                     + log tailweight + log m.

    skewness = 0 and tailweight = 1 give the identity; positive skewness tilts mass to the
    right, tailweight > 1 fattens the tails.

    Args:
      skewness: real skewness (None means 0).
      tailweight: positive tail weight (None means 1).
      validate_args: check that `tailweight` is positive.
      name: a name.

    Example:
      >>> from probax.bijectors import SinhArcsinh
      >>> round(float(SinhArcsinh().forward(1.5)), 5)  # the identity by default
      1.5
      >>> b = SinhArcsinh(skewness=0.5, tailweight=2.)
      >>> round(float(b.inverse(b.forward(1.5))), 5)
      1.5

    """

    def __init__(self, skewness=None, tailweight=None, validate_args: bool = False, name: str | None = None):
        super().__init__(
            skewness=skewness,
            tailweight=tailweight,
            forward_min_event_ndims=0,
            validate_args=validate_args,
            name=name,
        )

    @classmethod
    def _parameter_properties(cls):
        return {"skewness": 0, "tailweight": 0}

    def _validate_parameters(self):
        if self.tailweight is not None:
            checks.check(self.tailweight > 0, "SinhArcsinh: parameter `tailweight` must be positive.")

    # A parameter left at None keeps its default as a Python scalar, so the input's dtype wins.
    def _skewness(self):
        return 0.0 if self.skewness is None else self.skewness

    def _tailweight(self):
        return 1.0 if self.tailweight is None else self.tailweight

    def _log_multiplier(self):
        """Compute log m = log 2 - log sinh(asinh(2) * tailweight), in a form that cannot overflow."""
        if self.tailweight is None:
            return 0.0
        z = math.asinh(2.0) * self.tailweight
        # log sinh(z) = z - log 2 + log(1 - exp(-2z)) for z > 0.
        return 2.0 * _LOG_TWO - z - jnp.log(-jnp.expm1(-2.0 * z))

    def _divided_by_multiplier(self, y):
        return y if self.tailweight is None else y * jnp.exp(-self._log_multiplier())

    def _is_increasing(self):
        # m sinh((asinh(x) + skewness) tailweight) increases: tailweight > 0 and m > 0.
        return True

    def _forward(self, x):
        core = jnp.sinh((jnp.arcsinh(x) + self._skewness()) * self._tailweight())
        return core if self.tailweight is None else core * jnp.exp(self._log_multiplier())

    def _inverse(self, y):
        scaled = self._divided_by_multiplier(y)
        return jnp.sinh(jnp.arcsinh(scaled) / self._tailweight() - self._skewness())

    def _forward_log_det_jacobian(self, x):
        tailweight = self._tailweight()
        return (
            _log_cosh((jnp.arcsinh(x) + self._skewness()) * tailweight)
            - 0.5 * _log1p_square(x)
            + jnp.log(tailweight)
            + self._log_multiplier()
        )

    def _inverse_log_det_jacobian(self, y):
        tailweight = self._tailweight()
        scaled = self._divided_by_multiplier(y)
        return (
            _log_cosh(jnp.arcsinh(scaled) / tailweight - self._skewness())
            - 0.5 * _log1p_square(scaled)
            - jnp.log(tailweight)
            - self._log_multiplier()
        )
