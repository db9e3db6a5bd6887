"""The Binomial distribution: successes in `total_count` independent trials."""

from __future__ import annotations

import jax
import jax.numpy as jnp
from jax.scipy import special

from probax.distributions import constraints
from probax.distributions.distribution import NOT_REPARAMETERIZED, Distribution, ParameterProperties
from probax.distributions.parameterization import LogitsProbsMixin, exactly_one
from probax.math.log_beta import log_beta


def log_binomial_coefficient(n, k):
    """log(n choose k) = -log(n + 1) - log B(n - k + 1, k + 1), stable for huge `n`."""
    return -jnp.log1p(n) - log_beta(n - k + 1, k + 1)


class Binomial(LogitsProbsMixin, Distribution):
    """Binomial distribution: the number of successes in `total_count` trials.

    P[X = k] = (n choose k) p^k (1 - p)^(n - k) for k in {0, ..., n}, n = `total_count`.
    Give exactly one of `logits` (log-odds of a success) or `probs`.

    Args:
      total_count: number of trials, a non-negative integer (stored as a float).
      logits: log-odds of a success.
      probs: probability of a success, in [0, 1].
      validate_args: check parameters and values, raising `ValueError` on bad ones.
      allow_nan_stats: return NaN for undefined statistics instead of raising.
      name: a name for this distribution.

    Example:
      >>> d = Binomial(total_count=4., probs=0.5)
      >>> round(float(d.prob(2.)), 6)
      0.375
      >>> float(d.mean())
      2.0

    """

    reparameterization_type = NOT_REPARAMETERIZED

    def __init__(self, total_count, logits=None, probs=None, validate_args=False, allow_nan_stats=True,
                 name=None):
        exactly_one("Binomial", logits=logits, probs=probs)
        super().__init__(total_count=total_count, logits=logits, probs=probs, validate_args=validate_args,
                         allow_nan_stats=allow_nan_stats, name=name)

    @classmethod
    def _parameter_properties(cls):
        return dict(
            total_count=ParameterProperties(constraint=constraints.nonnegative_integer),
            logits=ParameterProperties(constraint=constraints.real),
            probs=ParameterProperties(constraint=constraints.unit_interval),
        )

    def _support(self):
        return constraints.integer_interval(0, self.total_count, "an integer in [0, total_count]")

    def _sample(self, shape, key):
        draws = jax.random.binomial(key, self.total_count, self.probs_parameter(), shape, self.dtype)
        return draws.astype(self.dtype)

    def _log_prob(self, x):
        n = self.total_count
        # Clip so values outside the support (masked by the base) keep finite gradients.
        k = jnp.clip(x, 0, n)
        if self.logits is not None:
            log_q, log_p = self._log_probs_pair()
            log_unnormalized = k * log_p + (n - k) * log_q
        else:
            log_unnormalized = special.xlogy(k, self.probs) + special.xlog1py(n - k, -self.probs)
        return log_binomial_coefficient(n, k) + log_unnormalized

    def _tail_arguments(self, x):
        """floor(x), whether it lies strictly inside [0, n), and safe betainc shapes there."""
        n = self.total_count
        k = jnp.floor(x)
        inside = (k >= 0) & (k < n)
        k_safe = jnp.where(inside, k, 0.0)
        return k, inside, jnp.where(inside, n - k_safe, 1.0), k_safe + 1

    def _cdf(self, x):
        # P[X <= k] = I_{1-p}(n - k, k + 1).
        k, inside, a, b = self._tail_arguments(x)
        q, _ = self._probs_pair()
        value = special.betainc(a, b, q)
        return jnp.where(k < 0, 0.0, jnp.where(inside, value, 1.0))

    def _survival_function(self, x):
        # P[X > k] = I_p(k + 1, n - k).
        k, inside, a, b = self._tail_arguments(x)
        _, p = self._probs_pair()
        value = special.betainc(b, a, p)
        return jnp.where(k < 0, 1.0, jnp.where(inside, value, 0.0))

    def _mean(self):
        return self.total_count * self.probs_parameter()

    def _variance(self):
        q, p = self._probs_pair()
        return self.total_count * p * q

    def _mode(self):
        # TFP's choice: when (n + 1) p is an integer both it and (n + 1) p - 1 are modes; take the larger.
        n = self.total_count
        return jnp.minimum(jnp.floor((n + 1) * self.probs_parameter()), n)
