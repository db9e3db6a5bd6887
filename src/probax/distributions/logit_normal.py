"""The LogitNormal distribution: sigmoid of a Normal variable."""

from __future__ import annotations

import math

import jax
import jax.numpy as jnp
from jax.scipy import special

from probax._internal import threefry
from probax.distributions import constraints
from probax.distributions.distribution import Distribution, ParameterProperties
from probax.math.normal_tails import log_ndtr

_HALF_LOG_TWO_PI = 0.5 * math.log(2 * math.pi)


class LogitNormal(Distribution):
    """LogitNormal distribution: X = sigmoid(Y) with Y ~ Normal(loc, scale).

    pdf(x) = exp(-((logit x - loc) / scale)**2 / 2) / (x * (1 - x) * scale * sqrt(2 pi)),
    for 0 < x < 1 (the density tends to 0 at both ends).

    The mean, variance, mode and entropy have no closed form and are not
    implemented (TFP offers Monte Carlo approximations instead).

    Args:
      loc: mean of logit X.
      scale: standard deviation of logit X, positive.
      validate_args: check parameters and values, raising `ValueError` on bad ones.
      allow_nan_stats: return NaN for undefined statistics instead of raising.
      name: a name for this distribution.

    Example:
      >>> d = LogitNormal(loc=0., scale=1.)
      >>> float(d.cdf(0.5))
      0.5
      >>> float(d.quantile(0.5))
      0.5

    """

    # Closed: a float sigmoid of an extreme normal draw can round to exactly 0 or 1.
    _value_support = constraints.unit_interval

    def __init__(self, loc, scale, validate_args=False, allow_nan_stats=True, name=None):
        super().__init__(loc=loc, scale=scale, validate_args=validate_args,
                         allow_nan_stats=allow_nan_stats, name=name)

    @classmethod
    def _parameter_properties(cls):
        return dict(
            loc=ParameterProperties(constraint=constraints.real),
            scale=ParameterProperties(constraint=constraints.positive),
        )

    def _sample(self, shape, key):
        return jax.nn.sigmoid(self.loc + self.scale * threefry.normal(key, shape, self.dtype))

    def _log_prob(self, x):
        outside = (x <= 0) | (x >= 1)  # NaN is neither: it propagates
        safe_x = jnp.where(outside, 0.5, x)
        log_x, log1m_x = jnp.log(safe_x), jnp.log1p(-safe_x)
        z = (log_x - log1m_x - self.loc) / self.scale
        result = -0.5 * jnp.square(z) - jnp.log(self.scale) - _HALF_LOG_TWO_PI - log_x - log1m_x
        return jnp.where(outside, -jnp.inf, result)

    def _z(self, x):
        # (logit x - loc) / scale, with -inf below 0 and +inf above 1.
        outside = (x <= 0) | (x >= 1)  # NaN is neither: it propagates
        safe_x = jnp.where(outside, 0.5, x)
        logit = jnp.log(safe_x) - jnp.log1p(-safe_x)
        logit = jnp.where(outside, jnp.where(x <= 0, -jnp.inf, jnp.inf), logit)
        return (logit - self.loc) / self.scale

    def _cdf(self, x):
        return special.ndtr(self._z(x))

    def _log_cdf(self, x):
        return log_ndtr(self._z(x))

    def _survival_function(self, x):
        return special.ndtr(-self._z(x))

    def _log_survival_function(self, x):
        return log_ndtr(-self._z(x))

    def _quantile(self, p):
        return jax.nn.sigmoid(self.loc + self.scale * special.ndtri(p))
