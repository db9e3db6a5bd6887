"""The half-Cauchy distribution, supported on [loc, inf)."""

from __future__ import annotations

import math

import jax.numpy as jnp

from probax._internal import threefry
from probax.distributions import constraints
from probax.distributions.cauchy import log1p_square, log_arctan_tail
from probax.distributions.distribution import Distribution, ParameterProperties

_LOG_TWO_OVER_PI = math.log(2 / math.pi)


class HalfCauchy(Distribution):
    """Half-Cauchy distribution: `loc + |C|` with `C ~ Cauchy(0, scale)`.

    pdf(x) = 2 / (pi * scale * (1 + ((x - loc) / scale)**2)) for x >= loc.

    The mean and variance are infinite; as in TFP they are reported as NaN (or
    raise when `allow_nan_stats=False`).

    Args:
      loc: lower end of the support (and the mode).
      scale: positive scale; `loc + scale` is the median.
      validate_args: check parameters and values, raising `ValueError` on bad ones.
      allow_nan_stats: return NaN for undefined statistics instead of raising.
      name: a name for this distribution.

    Example:
      >>> d = HalfCauchy(loc=0., scale=1.)
      >>> float(d.cdf(1.))
      0.5

    """

    def __init__(self, loc, scale, validate_args=False, allow_nan_stats=True, name=None):
        super().__init__(loc=loc, scale=scale, validate_args=validate_args,
                         allow_nan_stats=allow_nan_stats, name=name)

    @classmethod
    def _parameter_properties(cls):
        return dict(
            loc=ParameterProperties(constraint=constraints.real),
            scale=ParameterProperties(constraint=constraints.positive),
        )

    def _support(self):
        return constraints.greater_than_eq(self.loc, "at least `loc`")

    def _z(self, x):
        # Clipped at 0 so that every formula below is evaluated inside the support.
        return jnp.maximum((x - self.loc) / self.scale, 0.0)

    def _sample(self, shape, key):
        return self.loc + self.scale * jnp.abs(threefry.cauchy(key, shape, self.dtype))

    def _log_prob(self, x):
        return _LOG_TWO_OVER_PI - jnp.log(self.scale) - log1p_square((x - self.loc) / self.scale)

    def _cdf(self, x):
        return (2 / math.pi) * jnp.arctan(self._z(x))

    def _log_cdf(self, x):
        z = self._z(x)
        # log(arctan z) is accurate while the cdf is small; near 1 use log1p(-survival) instead.
        near_zero = z < 1
        return jnp.where(
            near_zero,
            _LOG_TWO_OVER_PI + jnp.log(jnp.arctan(jnp.where(near_zero, z, 1.0))),
            jnp.log1p(-(2 / math.pi) * jnp.arctan2(1.0, z)),
        )

    def _survival_function(self, x):
        return (2 / math.pi) * jnp.arctan2(1.0, self._z(x))

    def _log_survival_function(self, x):
        return _LOG_TWO_OVER_PI + log_arctan_tail(self._z(x))

    def _quantile(self, p):
        # tan(pi p / 2) = cot(pi (1 - p) / 2): the cotangent form keeps precision as p -> 1.
        lower = p < 0.5
        z = jnp.where(
            lower,
            jnp.tan((math.pi / 2) * jnp.where(lower, p, 0.25)),
            1 / jnp.tan((math.pi / 2) * (1 - jnp.where(lower, 0.75, p))),
        )
        return self.loc + self.scale * z

    def _mean(self):
        return jnp.full_like(self.loc + self.scale, jnp.nan)

    def _variance(self):
        return jnp.full_like(self.loc + self.scale, jnp.nan)

    def _mode(self):
        return self.loc + jnp.zeros_like(self.scale)

    def _entropy(self):
        return math.log(2 * math.pi) + jnp.log(self.scale) + jnp.zeros_like(self.loc)
