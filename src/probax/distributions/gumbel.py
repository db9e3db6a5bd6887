"""The Gumbel (maximum extreme value, type I) distribution."""

from __future__ import annotations

import math

import jax
import jax.numpy as jnp

from probax.distributions.loc_scale import LocScaleDistribution
from probax.math.special import log1mexp

_EULER_GAMMA = 0.57721566490153286060651209008240243


class Gumbel(LocScaleDistribution):
    """Gumbel distribution (of maxima) with location `loc` and scale `scale`.

    cdf(x) = exp(-exp(-z)) and pdf(x) = exp(-(z + exp(-z))) / scale, z = (x - loc) / scale.

    Args:
      loc: location (the mode).
      scale: positive scale.
      validate_args: check parameters and values, raising `ValueError` on bad ones.
      allow_nan_stats: return NaN for undefined statistics instead of raising.
      name: a name for this distribution.

    Example:
      >>> d = Gumbel(loc=0., scale=1.)
      >>> round(float(d.cdf(0.)), 6)  # exp(-1)
      0.367879

    """

    def _sample(self, shape, key):
        return self.loc + self.scale * jax.random.gumbel(key, shape, self.dtype)

    def _log_prob(self, x):
        z = self._z(x)
        return -(z + jnp.exp(-z)) - jnp.log(self.scale)

    def _cdf(self, x):
        return jnp.exp(-jnp.exp(-self._z(x)))

    def _log_cdf(self, x):
        return -jnp.exp(-self._z(x))

    def _survival_function(self, x):
        return -jnp.expm1(-jnp.exp(-self._z(x)))

    def _log_survival_function(self, x):
        z = self._z(x)
        # log(1 - exp(-w)) with w = exp(-z); once w < 1e-13 it equals -z - w/2 to rounding, and
        # that form survives z so large that w underflows.
        far = z > 30
        w = jnp.exp(-jnp.where(far, 0.0, z))
        return jnp.where(far, -z, log1mexp(-w))

    def _quantile(self, p):
        return self.loc - self.scale * jnp.log(-jnp.log(p))

    def _mean(self):
        return self.loc + _EULER_GAMMA * self.scale

    def _variance(self):
        return (math.pi**2 / 6) * jnp.square(self.scale) + jnp.zeros_like(self.loc)

    def _stddev(self):
        return (math.pi / math.sqrt(6.0)) * self.scale + jnp.zeros_like(self.loc)

    def _mode(self):
        return self.loc + jnp.zeros_like(self.scale)

    def _entropy(self):
        return jnp.log(self.scale) + (1 + _EULER_GAMMA) + jnp.zeros_like(self.loc)
