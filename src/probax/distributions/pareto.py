"""The Pareto distribution on [scale, inf)."""

from __future__ import annotations

import jax.numpy as jnp

from probax._internal import threefry
from probax.distributions import constraints
from probax.distributions.distribution import Distribution, ParameterProperties
from probax.math import log1mexp


class Pareto(Distribution):
    """Pareto distribution with tail index `concentration` and minimum `scale`.

    pdf(x) = concentration * scale**concentration / x**(concentration + 1), for x >= scale;
    survival_function(x) = (scale / x)**concentration.

    The mean is inf for concentration <= 1 and the variance inf for
    concentration <= 2 (as in TFP and scipy).

    Args:
      concentration: tail index, positive.
      scale: the smallest value, positive.
      validate_args: check parameters and values, raising `ValueError` on bad ones.
      allow_nan_stats: return NaN for undefined statistics instead of raising.
      name: a name for this distribution.

    Example:
      >>> d = Pareto(concentration=2., scale=1.)
      >>> float(d.survival_function(2.))
      0.25
      >>> float(d.log_prob(0.5))
      -inf

    """

    def __init__(self, concentration, scale=1.0, validate_args=False, allow_nan_stats=True, name=None):
        super().__init__(concentration=concentration, scale=scale, validate_args=validate_args,
                         allow_nan_stats=allow_nan_stats, name=name)

    @classmethod
    def _parameter_properties(cls):
        return dict(
            concentration=ParameterProperties(constraint=constraints.positive),
            scale=ParameterProperties(constraint=constraints.positive),
        )

    def _support(self):
        return constraints.greater_than_eq(self.scale, description="at least `scale`")

    def _log_ratio(self, x):
        """log(x / scale), clamped at 0 below the support; log1p keeps x near scale accurate."""
        return jnp.log1p(jnp.maximum(x - self.scale, 0.0) / self.scale)

    def _sample(self, shape, key):
        return self.scale * jnp.exp(threefry.exponential(key, shape, self.dtype) / self.concentration)

    def _log_prob(self, x):
        c = self.concentration
        return jnp.log(c) - jnp.log(self.scale) - (c + 1) * self._log_ratio(x)

    def _log_survival_function(self, x):
        return -self.concentration * self._log_ratio(x)

    def _survival_function(self, x):
        return jnp.exp(self._log_survival_function(x))

    def _cdf(self, x):
        return -jnp.expm1(self._log_survival_function(x))

    def _log_cdf(self, x):
        return log1mexp(self._log_survival_function(x))

    def _quantile(self, p):
        return self.scale * jnp.exp(-jnp.log1p(-p) / self.concentration)

    def _mean(self):
        c = self.concentration
        return jnp.where(c > 1, c * self.scale / jnp.where(c > 1, c - 1, 1.0), jnp.inf)

    def _variance(self):
        c = self.concentration
        safe_c = jnp.where(c > 2, c, 3.0)
        value = jnp.square(self.scale / (safe_c - 1)) * safe_c / (safe_c - 2)
        return jnp.where(c > 2, value, jnp.inf)

    def _mode(self):
        return jnp.broadcast_to(self.scale, jnp.broadcast_shapes(self.scale.shape, self.concentration.shape))

    def _entropy(self):
        c = self.concentration
        return jnp.log(self.scale) - jnp.log(c) + 1 / c + 1
