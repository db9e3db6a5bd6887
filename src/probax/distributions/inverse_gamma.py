"""The InverseGamma distribution: the reciprocal of a Gamma variable."""

from __future__ import annotations

import jax.numpy as jnp
from jax.scipy import special

from probax.distributions import constraints
from probax.distributions.distribution import Distribution, ParameterProperties
from probax.math import gammaincinv
from probax.math.random import random_gamma


class InverseGamma(Distribution):
    """InverseGamma distribution: X = 1 / Y with Y ~ Gamma(concentration, rate=scale).

    pdf(x) = scale**concentration * x**(-concentration - 1) * exp(-scale / x) / Gamma(concentration),
    for x > 0.

    The mean is NaN for concentration <= 1 and the variance for concentration <= 2
    (TFP's convention; scipy reports inf). Samples are reparameterized.

    Args:
      concentration: shape, positive.
      scale: scale, positive.
      validate_args: check parameters and values, raising `ValueError` on bad ones.
      allow_nan_stats: return NaN for undefined statistics instead of raising.
      name: a name for this distribution.

    Example:
      >>> d = InverseGamma(concentration=3., scale=2.)
      >>> float(d.mean())
      1.0
      >>> float(d.mode())
      0.5

    """

    _value_support = constraints.positive

    def __init__(self, concentration, scale, validate_args=False, allow_nan_stats=True, name=None):
        super().__init__(concentration=concentration, scale=scale, validate_args=validate_args,
                         allow_nan_stats=allow_nan_stats, name=name)

    @classmethod
    def _parameter_properties(cls):
        return dict(
            concentration=ParameterProperties(constraint=constraints.positive),
            scale=ParameterProperties(constraint=constraints.positive),
        )

    def _sample(self, shape, key):
        log_gamma = random_gamma(key, self.concentration, shape, self.dtype, log_space=True)
        return jnp.exp(jnp.log(self.scale) - log_gamma)

    def _log_prob(self, x):
        c = self.concentration
        # Outside the support (x <= 0) the base masks the result; keep this branch finite there.
        safe_x = jnp.where(x > 0, x, 1.0)
        return (c * jnp.log(self.scale) - special.gammaln(c) - (c + 1) * jnp.log(safe_x)
                - self.scale / safe_x)

    def _scaled_reciprocal(self, x):
        # scale / x, with inf for x <= 0 so that cdf is 0 there.
        positive = x > 0
        return jnp.where(positive, self.scale / jnp.where(positive, x, 1.0), jnp.inf)

    def _cdf(self, x):
        return special.gammaincc(self.concentration, self._scaled_reciprocal(x))

    def _log_cdf(self, x):
        return jnp.log(self._cdf(x))

    def _survival_function(self, x):
        return special.gammainc(self.concentration, self._scaled_reciprocal(x))

    def _log_survival_function(self, x):
        return jnp.log(self._survival_function(x))

    def _quantile(self, p):
        return self.scale / gammaincinv(self.concentration, 1 - p)

    def _mean(self):
        c = self.concentration
        return jnp.where(c > 1, self.scale / (c - 1), jnp.nan)

    def _variance(self):
        c = self.concentration
        return jnp.where(c > 2, jnp.square(self.scale / (c - 1)) / (c - 2), jnp.nan)

    def _stddev(self):
        c = self.concentration
        return jnp.where(c > 2, self.scale / (c - 1) / jnp.sqrt(jnp.where(c > 2, c - 2, 1.0)), jnp.nan)

    def _mode(self):
        return self.scale / (self.concentration + 1)

    def _entropy(self):
        c = self.concentration
        return c + jnp.log(self.scale) + special.gammaln(c) - (1 + c) * special.digamma(c)
