"""The BetaBinomial distribution: a Binomial whose success probability is Beta distributed."""

from __future__ import annotations

import jax
import jax.numpy as jnp

from probax.distributions import constraints
from probax.distributions.binomial import log_binomial_coefficient
from probax.distributions.distribution import NOT_REPARAMETERIZED, Distribution, ParameterProperties
from probax.math.log_beta import log_beta
from probax.math.random import random_gamma


class BetaBinomial(Distribution):
    """Beta-binomial distribution: Binomial(n, P) successes with P ~ Beta(c1, c0).

    P[X = k] = (n choose k) B(k + c1, n - k + c0) / B(c1, c0) for k in {0, ..., n},
    with n = `total_count`, c1 = `concentration1`, c0 = `concentration0`.

    Args:
      total_count: number of trials, a non-negative integer (stored as a float).
      concentration1: positive Beta concentration of successes.
      concentration0: positive Beta concentration of failures.
      validate_args: check parameters and values, raising `ValueError` on bad ones.
      allow_nan_stats: return NaN for undefined statistics instead of raising.
      name: a name for this distribution.

    Example:
      >>> d = BetaBinomial(total_count=2., concentration1=1., concentration0=1.)
      >>> round(float(d.prob(1.)), 6)  # uniform over {0, 1, 2}
      0.333333
      >>> float(d.mean())
      1.0

    """

    reparameterization_type = NOT_REPARAMETERIZED

    def __init__(self, total_count, concentration1, concentration0, validate_args=False,
                 allow_nan_stats=True, name=None):
        super().__init__(total_count=total_count, concentration1=concentration1,
                         concentration0=concentration0, validate_args=validate_args,
                         allow_nan_stats=allow_nan_stats, name=name)

    @classmethod
    def _parameter_properties(cls):
        return dict(
            total_count=ParameterProperties(constraint=constraints.nonnegative_integer),
            concentration1=ParameterProperties(constraint=constraints.positive),
            concentration0=ParameterProperties(constraint=constraints.positive),
        )

    def _support(self):
        return constraints.integer_interval(0, self.total_count, "an integer in [0, total_count]")

    def _sample(self, shape, key):
        # P = G1 / (G1 + G0) with log-gamma draws, so logit(P) = log G1 - log G0 keeps tiny
        # concentrations from rounding P to exactly 0 or 1 before it has to.
        key1, key0, binomial_key = jax.random.split(key, 3)
        log_g1 = random_gamma(key1, self.concentration1, shape, self.dtype, log_space=True)
        log_g0 = random_gamma(key0, self.concentration0, shape, self.dtype, log_space=True)
        probs = jax.nn.sigmoid(log_g1 - log_g0)
        return jax.random.binomial(binomial_key, self.total_count, probs, shape, self.dtype)

    def _log_prob(self, x):
        n, c1, c0 = self.total_count, self.concentration1, self.concentration0
        # Clip so values outside the support (masked by the base) keep finite gradients.
        k = jnp.clip(x, 0, n)
        return log_binomial_coefficient(n, k) + log_beta(k + c1, n - k + c0) - log_beta(c1, c0)

    def _mean(self):
        c1, c0 = self.concentration1, self.concentration0
        return self.total_count * c1 / (c1 + c0)

    def _variance(self):
        n, c1, c0 = self.total_count, self.concentration1, self.concentration0
        total = c1 + c0
        return n * c1 * c0 * (total + n) / (jnp.square(total) * (total + 1))
