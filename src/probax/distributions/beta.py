"""The Beta distribution on [0, 1]."""

from __future__ import annotations

import jax
import jax.numpy as jnp
from jax.scipy import special

from probax.distributions import constraints
from probax.distributions.distribution import Distribution, ParameterProperties
from probax.distributions.kl import RegisterKL
from probax.math import betaincinv, log1m
from probax.math.log_beta import log_beta
from probax.math.random import random_gamma


class Beta(Distribution):
    """Beta distribution with concentrations `concentration1` (of x) and `concentration0` (of 1 - x).

    pdf(x) = x**(concentration1 - 1) * (1 - x)**(concentration0 - 1) / B(concentration1, concentration0),
    for 0 <= x <= 1.

    `log_prob` and samples are differentiable in both concentrations. Samples are
    G1 / (G1 + G2) with G1 ~ Gamma(concentration1), G2 ~ Gamma(concentration0) (as in
    TFP), differentiated through the Gammas' implicit gradients: unbiased pathwise
    gradients of expectations, though per draw not equal to -(dF/da) / pdf(x).

    `cdf`, `survival_function` and their logs use `jax.scipy.special.betainc`, which
    has no gradient with respect to its shape arguments: they are differentiable in
    the value only, not in the concentrations (JAX raises if asked).

    Args:
      concentration1: positive concentration of x (scipy's `a`).
      concentration0: positive concentration of 1 - x (scipy's `b`).
      force_probs_to_zero_outside_support: accepted for TFP compatibility; probax always
        gives `-inf` log-probability outside the support (TFP gives NaN unless this is True).
      validate_args: check parameters and values, raising `ValueError` on bad ones.
      allow_nan_stats: return NaN for undefined statistics instead of raising.
      name: a name for this distribution.

    Example:
      >>> d = Beta(concentration1=2., concentration0=2.)
      >>> float(d.mean())
      0.5
      >>> round(float(d.cdf(0.5)), 4)
      0.5

    """

    _static_names = ("force_probs_to_zero_outside_support",)
    _value_support = constraints.unit_interval

    def __init__(self, concentration1, concentration0, validate_args=False, allow_nan_stats=True,
                 force_probs_to_zero_outside_support=False, name=None):
        super().__init__(concentration1=concentration1, concentration0=concentration0,
                         force_probs_to_zero_outside_support=bool(force_probs_to_zero_outside_support),
                         validate_args=validate_args, allow_nan_stats=allow_nan_stats, name=name)

    @classmethod
    def _parameter_properties(cls):
        return dict(
            concentration1=ParameterProperties(constraint=constraints.positive),
            concentration0=ParameterProperties(constraint=constraints.positive),
        )

    def _total(self):
        return self.concentration1 + self.concentration0

    def _sample(self, shape, key):
        # X = G1 / (G1 + G0), formed as sigmoid(log G1 - log G0) so tiny concentrations keep
        # draws off exactly 0 and 1 as long as the dtype allows.
        key1, key0 = jax.random.split(key)
        log_g1 = random_gamma(key1, self.concentration1, shape, self.dtype, log_space=True)
        log_g0 = random_gamma(key0, self.concentration0, shape, self.dtype, log_space=True)
        return jax.nn.sigmoid(log_g1 - log_g0)

    def _log_prob(self, x):
        a, b = self.concentration1, self.concentration0
        # xlogy-style: a power of exactly 0 contributes 0 even where the log is -inf.
        log1m_x = jnp.where(b == 1, 0.0, (b - 1) * log1m(x))
        return special.xlogy(a - 1, x) + log1m_x - log_beta(a, b)

    def _cdf(self, x):
        return special.betainc(self.concentration1, self.concentration0, jnp.clip(x, 0.0, 1.0))

    def _log_cdf(self, x):
        return jnp.log(self._cdf(x))

    def _survival_parts(self, x):
        """(use 1 - cdf?, cdf, I_{1-x}(b, a)) for choosing the accurate form of the survival function."""
        a, b = self.concentration1, self.concentration0
        x = jnp.clip(x, 0.0, 1.0)
        cdf = special.betainc(a, b, x)
        # I_{1-x}(b, a) is accurate unless rounding 1 - x moves it by more than 1 - cdf does:
        # its error is about eps * pdf(x) (x < 1/2), that of 1 - cdf about eps * cdf.
        upper = special.betainc(b, a, 1 - x)
        use_cdf = (x < 0.5) & (jnp.log(cdf) < self._log_prob(x))
        return use_cdf, cdf, upper

    def _survival_function(self, x):
        use_cdf, cdf, upper = self._survival_parts(x)
        return jnp.where(use_cdf, 1 - cdf, upper)

    def _log_survival_function(self, x):
        use_cdf, cdf, upper = self._survival_parts(x)
        return jnp.where(use_cdf, jnp.log1p(-cdf), jnp.log(upper))

    def _quantile(self, p):
        return betaincinv(self.concentration1, self.concentration0, p)

    def _mean(self):
        return self.concentration1 / self._total()

    def _variance(self):
        total = self._total()
        return self.concentration1 * self.concentration0 / (jnp.square(total) * (total + 1))

    def _mode(self):
        # Defined when the density is bounded and not flat: both >= 1 and not both == 1 (then 0 or 1).
        a, b = self.concentration1, self.concentration0
        defined = (a >= 1) & (b >= 1) & (a + b > 2)
        return jnp.where(defined, (a - 1) / jnp.where(defined, a + b - 2, 1.0), jnp.nan)

    def _entropy(self):
        a, b = self.concentration1, self.concentration0
        total = a + b
        return (log_beta(a, b) - (a - 1) * special.digamma(a) - (b - 1) * special.digamma(b)
                + (total - 2) * special.digamma(total))


@RegisterKL(Beta, Beta)
def _kl_beta_beta(p: Beta, q: Beta):
    a1, b1 = p.concentration1, p.concentration0
    a2, b2 = q.concentration1, q.concentration0
    return (
        log_beta(a2, b2)
        - log_beta(a1, b1)
        + (a1 - a2) * special.digamma(a1)
        + (b1 - b2) * special.digamma(b1)
        + (a2 - a1 + b2 - b1) * special.digamma(a1 + b1)
    )
