"""The LogNormal distribution: exp of a Normal variable."""

from __future__ import annotations

import math

import jax.numpy as jnp
from jax.scipy import special

from probax._internal import threefry
from probax.distributions import constraints
from probax.distributions.distribution import Distribution, ParameterProperties
from probax.distributions.kl import RegisterKL
from probax.math.normal_tails import log_ndtr

_HALF_LOG_TWO_PI = 0.5 * math.log(2 * math.pi)


class LogNormal(Distribution):
    """LogNormal distribution: X = exp(Y) with Y ~ Normal(loc, scale).

    pdf(x) = exp(-((log x - loc) / scale)**2 / 2) / (x * scale * sqrt(2 pi)), for x > 0.

    Args:
      loc: mean of log X.
      scale: standard deviation of log X, positive.
      validate_args: check parameters and values, raising `ValueError` on bad ones.
      allow_nan_stats: return NaN for undefined statistics instead of raising.
      name: a name for this distribution.

    Example:
      >>> d = LogNormal(loc=0., scale=1.)
      >>> float(d.cdf(1.))
      0.5
      >>> float(d.mode()) == float(jnp.exp(-1.))
      True

    """

    _value_support = constraints.positive

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
        return jnp.exp(self.loc + self.scale * threefry.normal(key, shape, self.dtype))

    def _log_x(self, x):
        # log x, with -inf for x <= 0 (no NaN from negative values, finite gradients elsewhere).
        positive = x > 0
        return jnp.where(positive, jnp.log(jnp.where(positive, x, 1.0)), -jnp.inf)

    def _log_prob(self, x):
        # Outside the support the base masks the result; evaluate at x = 1 there to stay finite.
        log_x = jnp.log(jnp.where(x > 0, x, 1.0))
        z = (log_x - self.loc) / self.scale
        return -0.5 * jnp.square(z) - jnp.log(self.scale) - _HALF_LOG_TWO_PI - log_x

    def _z(self, x):
        return (self._log_x(x) - self.loc) / self.scale

    def _cdf(self, x):
        return special.ndtr(self._z(x))

    def _log_cdf(self, x):
        return log_ndtr(self._z(x))

    def _survival_function(self, x):
        return special.ndtr(-self._z(x))

    def _log_survival_function(self, x):
        return log_ndtr(-self._z(x))

    def _quantile(self, p):
        return jnp.exp(self.loc + self.scale * special.ndtri(p))

    def _mean(self):
        return jnp.exp(self.loc + 0.5 * jnp.square(self.scale))

    def _variance(self):
        s2 = jnp.square(self.scale)
        return jnp.expm1(s2) * jnp.exp(2 * self.loc + s2)

    def _stddev(self):
        s2 = jnp.square(self.scale)
        return jnp.sqrt(jnp.expm1(s2)) * jnp.exp(self.loc + 0.5 * s2)

    def _mode(self):
        return jnp.exp(self.loc - jnp.square(self.scale))

    def _entropy(self):
        return self.loc + 0.5 + _HALF_LOG_TWO_PI + jnp.log(self.scale)


@RegisterKL(LogNormal, LogNormal)
def _kl_lognormal_lognormal(p: LogNormal, q: LogNormal):
    # KL is invariant under the shared bijection exp: it equals KL between the underlying Normals.
    ratio = p.scale / q.scale
    return 0.5 * (jnp.square((p.loc - q.loc) / q.scale) + jnp.square(ratio) - 1) - jnp.log(ratio)
