"""The half-normal distribution: |X| for X ~ Normal(0, scale)."""

from __future__ import annotations

import math

import jax.numpy as jnp
from jax.scipy import special

from probax._internal import threefry
from probax.distributions import constraints
from probax.distributions.distribution import Distribution, ParameterProperties
from probax.math.normal_tails import log_ndtr

_LOG_TWO = math.log(2.0)
_SQRT_TWO = math.sqrt(2.0)


class HalfNormal(Distribution):
    """Half-normal distribution with scale `scale`, supported on [0, inf).

    pdf(x) = sqrt(2 / pi) / scale * exp(-(x / scale)**2 / 2) for x >= 0.

    Args:
      scale: the scale of the normal distribution folded at 0, positive.
      validate_args: check parameters and values, raising `ValueError` on bad ones.
      allow_nan_stats: return NaN for undefined statistics instead of raising.
      name: a name for this distribution.

    Example:
      >>> d = HalfNormal(scale=1.)
      >>> round(float(d.cdf(1.)), 6)  # erf(1 / sqrt(2))
      0.682689

    """

    _value_support = constraints.nonnegative

    def __init__(self, scale, validate_args=False, allow_nan_stats=True, name=None):
        super().__init__(scale=scale, validate_args=validate_args,
                         allow_nan_stats=allow_nan_stats, name=name)

    @classmethod
    def _parameter_properties(cls):
        return dict(scale=ParameterProperties(constraint=constraints.positive))

    def _z(self, x):
        # Clipped at 0 so that every formula below is evaluated inside the support.
        return jnp.maximum(x / self.scale, 0.0)

    def _sample(self, shape, key):
        return self.scale * jnp.abs(threefry.normal(key, shape, self.dtype))

    def _log_prob(self, x):
        z = x / self.scale
        return 0.5 * math.log(2 / math.pi) - jnp.log(self.scale) - 0.5 * jnp.square(z)

    def _cdf(self, x):
        return special.erf(self._z(x) / _SQRT_TWO)

    def _log_cdf(self, x):
        z = self._z(x)
        # log(erf) is accurate while erf is small; near 1 use log1p(-erfc) instead.
        near_zero = z < 1
        return jnp.where(
            near_zero,
            jnp.log(special.erf(jnp.where(near_zero, z, 1.0) / _SQRT_TWO)),
            jnp.log1p(-special.erfc(z / _SQRT_TWO)),
        )

    def _survival_function(self, x):
        return special.erfc(self._z(x) / _SQRT_TWO)

    def _log_survival_function(self, x):
        z = self._z(x)
        # Near 0, log1p(-erf) keeps the tiny log survival exact; beyond, P[X > x] = 2 Phi(-z) and
        # log_ndtr stays accurate far into the tail.
        near_zero = z < 1
        return jnp.where(
            near_zero,
            jnp.log1p(-special.erf(jnp.where(near_zero, z, 0.0) / _SQRT_TWO)),
            _LOG_TWO + log_ndtr(-jnp.where(near_zero, 1.0, z)),
        )

    def _quantile(self, p):
        # erfinv(p) loses 1 - p's precision near p = 1; there use -ndtri((1 - p) / 2), 1 - p being exact.
        lower = p < 0.5
        z = jnp.where(
            lower,
            _SQRT_TWO * special.erfinv(jnp.where(lower, p, 0.0)),
            -special.ndtri(0.5 * (1 - jnp.where(lower, 0.5, p))),
        )
        return self.scale * z

    def _mean(self):
        return math.sqrt(2 / math.pi) * self.scale

    def _variance(self):
        return (1 - 2 / math.pi) * jnp.square(self.scale)

    def _stddev(self):
        return math.sqrt(1 - 2 / math.pi) * self.scale

    def _mode(self):
        return jnp.zeros_like(self.scale)

    def _entropy(self):
        return 0.5 * math.log(math.pi / 2) + 0.5 + jnp.log(self.scale)
