"""The Laplace (double exponential) distribution."""

from __future__ import annotations

import math

import jax.numpy as jnp

from probax._internal import threefry
from probax.distributions.kl import RegisterKL
from probax.distributions.loc_scale import LocScaleDistribution

_LOG_TWO = math.log(2.0)


class Laplace(LocScaleDistribution):
    """Laplace distribution with location `loc` and scale `scale`.

    pdf(x) = exp(-|x - loc| / scale) / (2 * scale).

    Args:
      loc: location (mean, median and mode).
      scale: positive scale; the variance is `2 * scale**2`.
      validate_args: check parameters and values, raising `ValueError` on bad ones.
      allow_nan_stats: return NaN for undefined statistics instead of raising.
      name: a name for this distribution.

    Example:
      >>> d = Laplace(loc=0., scale=1.)
      >>> float(d.cdf(0.))
      0.5

    """

    def _sample(self, shape, key):
        return self.loc + self.scale * threefry.laplace(key, shape, self.dtype)

    def _log_prob(self, x):
        z = self._z(x)
        # |z| as z * sign(z): at the kink its derivative is 0, the symmetric (average) one.
        return -z * jnp.sign(z) - jnp.log(self.scale) - _LOG_TWO

    # Below the median the cdf is exp(z) / 2, above it 1 - exp(-z) / 2; the survival function mirrors it.
    @staticmethod
    def _lower_tail(z):
        return 0.5 * jnp.exp(-jnp.abs(z))

    def _cdf(self, x):
        z = self._z(x)
        tail = self._lower_tail(z)
        return jnp.where(z < 0, tail, 1 - tail)

    def _log_cdf(self, x):
        z = self._z(x)
        return jnp.where(z < 0, z - _LOG_TWO, jnp.log1p(-self._lower_tail(z)))

    def _survival_function(self, x):
        z = self._z(x)
        tail = self._lower_tail(z)
        return jnp.where(z > 0, tail, 1 - tail)

    def _log_survival_function(self, x):
        z = self._z(x)
        return jnp.where(z > 0, -z - _LOG_TWO, jnp.log1p(-self._lower_tail(z)))

    def _quantile(self, p):
        # 2 (1 - p) is exact for p >= 1/2, so both tails keep their precision.
        lower = p < 0.5
        z = jnp.where(lower, jnp.log(2 * p), -jnp.log(2 * (1 - p)))
        return self.loc + self.scale * z

    def _mean(self):
        return self.loc + jnp.zeros_like(self.scale)

    def _variance(self):
        return 2 * jnp.square(self.scale) + jnp.zeros_like(self.loc)

    def _stddev(self):
        return math.sqrt(2.0) * self.scale + jnp.zeros_like(self.loc)

    def _mode(self):
        return self._mean()

    def _entropy(self):
        return 1 + _LOG_TWO + jnp.log(self.scale) + jnp.zeros_like(self.loc)


@RegisterKL(Laplace, Laplace)
def _kl_laplace_laplace(p: Laplace, q: Laplace):
    # KL = log(b_q / b_p) + |mu_p - mu_q| / b_q + (b_p / b_q) exp(-|mu_p - mu_q| / b_p) - 1,
    # with the last two terms joined in an expm1 so that KL(p || p) is exactly 0.
    distance = jnp.abs(p.loc - q.loc)
    log_ratio = jnp.log(p.scale) - jnp.log(q.scale)
    return distance / q.scale - log_ratio + jnp.expm1(log_ratio - distance / p.scale)
