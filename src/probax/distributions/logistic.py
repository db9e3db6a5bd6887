"""The logistic distribution."""

from __future__ import annotations

import math

import jax
import jax.numpy as jnp

from probax._internal import threefry
from probax.distributions.loc_scale import LocScaleDistribution


class Logistic(LocScaleDistribution):
    """Logistic distribution with location `loc` and scale `scale`.

    cdf(x) = sigmoid((x - loc) / scale), so
    pdf(x) = sigmoid(z) * sigmoid(-z) / scale with z = (x - loc) / scale.

    Args:
      loc: location (mean, median and mode).
      scale: positive scale; the variance is `(pi * scale)**2 / 3`.
      validate_args: check parameters and values, raising `ValueError` on bad ones.
      allow_nan_stats: return NaN for undefined statistics instead of raising.
      name: a name for this distribution.

    Example:
      >>> d = Logistic(loc=0., scale=1.)
      >>> float(d.cdf(0.))
      0.5

    """

    def _sample(self, shape, key):
        return self.loc + self.scale * threefry.logistic(key, shape, self.dtype)

    def _log_prob(self, x):
        # Symmetric in z; written with -|z| so that exp never overflows.
        abs_z = jnp.abs(self._z(x))
        return -abs_z - 2 * jax.nn.softplus(-abs_z) - jnp.log(self.scale)

    def _cdf(self, x):
        return jax.nn.sigmoid(self._z(x))

    def _log_cdf(self, x):
        return -jax.nn.softplus(-self._z(x))

    def _survival_function(self, x):
        return jax.nn.sigmoid(-self._z(x))

    def _log_survival_function(self, x):
        return -jax.nn.softplus(self._z(x))

    def _quantile(self, p):
        # logit(p) = log(p) - log1p(-p) cancels near p = 1/2; there log1p((2p - 1) / (1 - p)) is
        # accurate (2p - 1 is exact for p >= 1/4, and 1 - p is exact for p >= 1/2).
        lower = p < 0.25
        p_low = jnp.where(lower, p, 0.25)
        p_high = jnp.where(lower, 0.5, p)
        logit = jnp.where(
            lower,
            jnp.log(p_low) - jnp.log1p(-p_low),
            jnp.log1p((2 * p_high - 1) / (1 - p_high)),
        )
        return self.loc + self.scale * logit

    def _mean(self):
        return self.loc + jnp.zeros_like(self.scale)

    def _variance(self):
        return (math.pi**2 / 3) * jnp.square(self.scale) + jnp.zeros_like(self.loc)

    def _stddev(self):
        return (math.pi / math.sqrt(3.0)) * self.scale + jnp.zeros_like(self.loc)

    def _mode(self):
        return self._mean()

    def _entropy(self):
        return 2 + jnp.log(self.scale) + jnp.zeros_like(self.loc)
