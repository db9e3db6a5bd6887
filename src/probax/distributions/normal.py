"""The Normal (Gaussian) distribution."""

from __future__ import annotations

import math

import jax.numpy as jnp
from jax.scipy import special

from probax._internal import threefry
from probax.distributions.kl import RegisterKL
from probax.distributions.loc_scale import LocScaleDistribution
from probax.math.normal_tails import log_ndtr

_HALF_LOG_TWO_PI = 0.5 * math.log(2 * math.pi)


class Normal(LocScaleDistribution):
    """Normal distribution with mean `loc` and standard deviation `scale`.

    pdf(x) = exp(-((x - loc) / scale)**2 / 2) / (scale * sqrt(2 pi)).

    Args:
      loc: mean.
      scale: standard deviation, positive.
      validate_args: check parameters and values, raising `ValueError` on bad ones.
      allow_nan_stats: return NaN for undefined statistics instead of raising.
      name: a name for this distribution.

    Example:
      >>> d = Normal(loc=0., scale=1.)
      >>> x = d.sample(seed=0)
      >>> float(d.cdf(0.))
      0.5

    """

    def _sample(self, shape, key):
        return self.loc + self.scale * threefry.normal(key, shape, self.dtype)

    def _log_prob(self, x):
        # The parameter-only terms are summed first, so each value costs one subtraction for them.
        return -0.5 * jnp.square(self._z(x)) - (jnp.log(self.scale) + _HALF_LOG_TWO_PI)

    def _cdf(self, x):
        return special.ndtr(self._z(x))

    def _log_cdf(self, x):
        return log_ndtr(self._z(x))

    def _survival_function(self, x):
        return special.ndtr(-self._z(x))

    def _log_survival_function(self, x):
        return log_ndtr(-self._z(x))

    def _quantile(self, p):
        return self.loc + self.scale * special.ndtri(p)

    def _mean(self):
        return self.loc

    def _mode(self):
        return self.loc

    def _stddev(self):
        return self.scale

    def _entropy(self):
        return 0.5 + _HALF_LOG_TWO_PI + jnp.log(self.scale)


@RegisterKL(Normal, Normal)
def _kl_normal_normal(p: Normal, q: Normal):
    ratio = p.scale / q.scale
    return 0.5 * (jnp.square((p.loc - q.loc) / q.scale) + jnp.square(ratio) - 1) - jnp.log(ratio)
