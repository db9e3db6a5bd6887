"""The continuous Uniform distribution on [low, high]."""

from __future__ import annotations

import math

import jax.numpy as jnp

from probax._internal import checks, threefry
from probax.distributions import constraints
from probax.distributions.distribution import Distribution, ParameterProperties
from probax.distributions.kl import RegisterKL


class Uniform(Distribution):
    """Uniform distribution with constant density on `[low, high]`.

    pdf(x) = 1 / (high - low) for low <= x <= high, else 0.

    `cdf(low) = 0`, `cdf(high) = 1`, `quantile(0) = low` and `quantile(1) = high`
    exactly. Every point of the support is a mode; `mode()` returns `low`, the
    first of them.

    Args:
      low: lower bound of the support.
      high: upper bound of the support, greater than `low`.
      validate_args: check parameters and values, raising `ValueError` on bad ones.
      allow_nan_stats: return NaN for undefined statistics instead of raising.
      name: a name for this distribution.

    Example:
      >>> d = Uniform(low=1., high=3.)
      >>> float(d.cdf(1.5))
      0.25
      >>> float(d.quantile(1.))
      3.0

    """

    def __init__(self, low=0.0, high=1.0, validate_args=False, allow_nan_stats=True, name=None):
        super().__init__(low=low, high=high, validate_args=validate_args,
                         allow_nan_stats=allow_nan_stats, name=name)

    @classmethod
    def _parameter_properties(cls):
        return dict(
            low=ParameterProperties(constraint=constraints.real),
            high=ParameterProperties(constraint=constraints.real),
        )

    def _validate_parameter_relations(self):
        checks.check(self.low < self.high, "Uniform: parameter `low` must be less than `high`.")

    def _support(self):
        return constraints.interval(self.low, self.high, description="inside [low, high]")

    def _range(self):
        return self.high - self.low

    def _sample(self, shape, key):
        u = threefry.uniform(key, shape, self.dtype)
        return self.low + self._range() * u

    def _log_prob(self, x):
        return jnp.where(jnp.isnan(x), jnp.nan, -jnp.log(self._range()))

    def _cdf(self, x):
        return jnp.clip((x - self.low) / self._range(), 0.0, 1.0)

    def _log_cdf(self, x):
        return jnp.log(self._cdf(x))

    def _survival_function(self, x):
        # From the upper end, so values near `high` keep their relative precision.
        return jnp.clip((self.high - x) / self._range(), 0.0, 1.0)

    def _log_survival_function(self, x):
        return jnp.log(self._survival_function(x))

    def _quantile(self, p):
        return jnp.where(p >= 1, self.high, self.low + p * self._range())

    def _mean(self):
        return self.low + 0.5 * self._range()

    def _variance(self):
        return jnp.square(self._range()) / 12.0

    def _stddev(self):
        return self._range() / math.sqrt(12.0)

    def _mode(self):
        return jnp.broadcast_to(self.low, jnp.broadcast_shapes(self.low.shape, self.high.shape))

    def _entropy(self):
        return jnp.log(self._range())


@RegisterKL(Uniform, Uniform)
def _kl_uniform_uniform(p: Uniform, q: Uniform):
    # Finite only when p's support lies inside q's.
    inside = (q.low <= p.low) & (p.high <= q.high)
    return jnp.where(inside, jnp.log(q._range()) - jnp.log(p._range()), jnp.inf)
