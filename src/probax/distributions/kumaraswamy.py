"""The Kumaraswamy distribution on [0, 1]."""

from __future__ import annotations

import jax.numpy as jnp
from jax.scipy import special

from probax._internal import threefry
from probax.distributions import constraints
from probax.distributions.distribution import Distribution, ParameterProperties
from probax.math import log1mexp
from probax.math.log_beta import log_beta

_EULER_GAMMA = 0.5772156649015329


class Kumaraswamy(Distribution):
    """Kumaraswamy distribution: a Beta-like law on [0, 1] with a closed-form cdf.

    With a = `concentration1`, b = `concentration0`:
    pdf(x) = a * b * x**(a - 1) * (1 - x**a)**(b - 1) and
    cdf(x) = 1 - (1 - x**a)**b, for 0 <= x <= 1, so sampling inverts the cdf exactly
    (reparameterized).

    Args:
      concentration1: positive exponent a.
      concentration0: positive exponent b.
      validate_args: check parameters and values, raising `ValueError` on bad ones.
      allow_nan_stats: return NaN for undefined statistics instead of raising.
      name: a name for this distribution.

    Example:
      >>> d = Kumaraswamy(concentration1=2., concentration0=3.)
      >>> round(float(d.cdf(0.5)), 6)  # 1 - (1 - 0.25)**3
      0.578125

    """

    _value_support = constraints.unit_interval

    def __init__(self, concentration1=1.0, concentration0=1.0, validate_args=False, allow_nan_stats=True,
                 name=None):
        super().__init__(concentration1=concentration1, concentration0=concentration0,
                         validate_args=validate_args, allow_nan_stats=allow_nan_stats, name=name)

    @classmethod
    def _parameter_properties(cls):
        return dict(
            concentration1=ParameterProperties(constraint=constraints.positive),
            concentration0=ParameterProperties(constraint=constraints.positive),
        )

    def _log1m_x_pow_a(self, x):
        """log(1 - x**a) for x clipped to [0, 1]: exact near both ends via log1mexp."""
        return log1mexp(self.concentration1 * jnp.log(jnp.clip(x, 0.0, 1.0)))

    def _sample(self, shape, key):
        return self._quantile(threefry.uniform(key, shape, self.dtype))

    def _log_prob(self, x):
        a, b = self.concentration1, self.concentration0
        x = jnp.clip(x, 0.0, 1.0)
        # 1 - x**a = -expm1(a log x) keeps its relative precision near x = 1; xlogy makes the
        # b == 1 term vanish at x = 1 (where the log is -inf) with the right gradient in b.
        one_minus_x_pow_a = -jnp.expm1(a * jnp.log(x))
        return jnp.log(a) + jnp.log(b) + special.xlogy(a - 1, x) + special.xlogy(b - 1, one_minus_x_pow_a)

    def _log_survival_function(self, x):
        return self.concentration0 * self._log1m_x_pow_a(x)

    def _survival_function(self, x):
        return jnp.exp(self._log_survival_function(x))

    def _cdf(self, x):
        return -jnp.expm1(self._log_survival_function(x))

    def _log_cdf(self, x):
        return log1mexp(self._log_survival_function(x))

    def _quantile(self, p):
        # x = (1 - (1 - p)**(1/b))**(1/a), each step in log space.
        return jnp.exp(log1mexp(jnp.log1p(-p) / self.concentration0) / self.concentration1)

    def _raw_moment(self, n):
        """E[X**n] = b * B(1 + n / a, b)."""
        a, b = self.concentration1, self.concentration0
        return jnp.exp(jnp.log(b) + log_beta(1 + n / a, b))

    def _mean(self):
        return self._raw_moment(1)

    def _variance(self):
        return self._raw_moment(2) - jnp.square(self._raw_moment(1))

    def _mode(self):
        # Defined when the density is bounded and not flat: both >= 1 and not both == 1 (then 0 or 1).
        a, b = self.concentration1, self.concentration0
        defined = (a >= 1) & (b >= 1) & (a + b > 2)
        ratio = (a - 1) / jnp.where(defined, a * b - 1, 1.0)
        return jnp.where(defined, jnp.power(ratio, 1 / a), jnp.nan)

    def _entropy(self):
        a, b = self.concentration1, self.concentration0
        harmonic_b = special.digamma(b + 1) + _EULER_GAMMA
        return (1 - 1 / b) + (1 - 1 / a) * harmonic_b - jnp.log(a) - jnp.log(b)


