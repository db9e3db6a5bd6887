"""The Cauchy distribution."""

from __future__ import annotations

import math

import jax.numpy as jnp

from probax._internal import threefry
from probax.distributions.loc_scale import LocScaleDistribution

_LOG_PI = math.log(math.pi)


def log1p_square(z):
    """log(1 + z**2) without overflow for huge |z| and with full precision for tiny |z|.

    Example:
      >>> round(float(log1p_square(jnp.float32(1e30))), 3)  # 2 * log(1e30); z**2 would overflow
      138.155

    """
    # One log1p per element (this sits in the hot path of StudentT and Cauchy log_prob): beyond
    # |z| = 1/eps, log1p(z**2) = 2 log1p(|z|) to within an absolute 2/|z| <= 2 eps, and below
    # it z**2 cannot overflow.
    big = jnp.abs(z) > 1 / jnp.finfo(jnp.result_type(z, float)).eps
    r = jnp.log1p(jnp.where(big, jnp.abs(z), jnp.square(z)))
    return jnp.where(big, 2 * r, r)


def log_arctan_tail(w):
    """log(arctan2(1, w)) = log P-tail angle, stable as w -> +inf (where it tends to -log w).

    Example:
      >>> round(float(log_arctan_tail(jnp.float32(1e30))), 3)  # -log(1e30)
      -69.078

    """
    # arctan(1/w) = (1/w)(1 - 1/(3 w**2) + ...): past 1/sqrt(eps) the correction is below rounding,
    # and -log(w) keeps working where 1/w would underflow.
    far = w > 1 / math.sqrt(float(jnp.finfo(jnp.result_type(w)).eps))
    return jnp.where(far, -jnp.log(jnp.where(far, w, 1.0)), jnp.log(jnp.arctan2(1.0, jnp.where(far, 1.0, w))))


class Cauchy(LocScaleDistribution):
    """Cauchy distribution with location `loc` and scale `scale`.

    pdf(x) = 1 / (pi * scale * (1 + ((x - loc) / scale)**2)).

    The mean and variance do not exist: they are NaN (or raise when
    `allow_nan_stats=False`).

    Args:
      loc: location (the median and mode).
      scale: half width at half maximum, positive.
      validate_args: check parameters and values, raising `ValueError` on bad ones.
      allow_nan_stats: return NaN for undefined statistics instead of raising.
      name: a name for this distribution.

    Example:
      >>> d = Cauchy(loc=0., scale=1.)
      >>> float(d.cdf(1.))
      0.75

    """

    def _sample(self, shape, key):
        return self.loc + self.scale * threefry.cauchy(key, shape, self.dtype)

    def _log_prob(self, x):
        return -_LOG_PI - jnp.log(self.scale) - log1p_square(self._z(x))

    # arctan2(1, -z) / pi = 1/2 + arctan(z) / pi, without the cancellation in the lower tail.
    def _cdf(self, x):
        return jnp.arctan2(1.0, -self._z(x)) / jnp.pi

    def _log_cdf(self, x):
        return log_arctan_tail(-self._z(x)) - _LOG_PI

    def _survival_function(self, x):
        return jnp.arctan2(1.0, self._z(x)) / jnp.pi

    def _log_survival_function(self, x):
        return log_arctan_tail(self._z(x)) - _LOG_PI

    def _quantile(self, p):
        # tan(pi (p - 1/2)) loses p's precision in the tails; there -cot(pi p) and cot(pi (1 - p))
        # keep it (1 - p is exact for p >= 1/2).
        central = jnp.abs(p - 0.5) < 0.25
        lower = p < 0.5
        tail = jnp.where(lower, p, 1 - p)
        tail_value = 1 / jnp.tan(jnp.pi * jnp.where(central, 0.25, tail))
        z = jnp.where(
            central,
            jnp.tan(jnp.pi * jnp.where(central, p - 0.5, 0.0)),
            jnp.where(lower, -tail_value, tail_value),
        )
        return self.loc + self.scale * z

    def _mean(self):
        return jnp.full_like(self.loc + self.scale, jnp.nan)

    def _variance(self):
        return jnp.full_like(self.loc + self.scale, jnp.nan)

    def _mode(self):
        return self.loc + jnp.zeros_like(self.scale)

    def _entropy(self):
        return math.log(4 * math.pi) + jnp.log(self.scale) + jnp.zeros_like(self.loc)
