"""The NegativeBinomial distribution: successes before `total_count` failures."""

from __future__ import annotations

import jax
import jax.numpy as jnp
from jax.scipy import special

from probax._internal import checks
from probax.distributions import constraints
from probax.distributions.distribution import NOT_REPARAMETERIZED, Distribution, ParameterProperties
from probax.distributions.parameterization import LogitsProbsMixin, exactly_one
from probax.math.log_beta import log_beta
from probax.math.random import random_gamma


class NegativeBinomial(LogitsProbsMixin, Distribution):
    """Negative binomial distribution: successes seen before the `total_count`-th failure.

    P[X = k] = Gamma(k + n) / (k! Gamma(n)) p^k (1 - p)^n for k in {0, 1, ...}, where
    n = `total_count` and p is the success probability (TFP's convention; scipy's
    `nbinom(n, 1 - p)`). Give exactly one of `logits` or `probs`.

    Args:
      total_count: number of failures that stops the trials, positive.
      logits: log-odds of a success.
      probs: probability of a success, in [0, 1).
      require_integer_total_count: under `validate_args`, also require an integer
        `total_count` (a real one gives the Gamma-Poisson mixture).
      validate_args: check parameters and values, raising `ValueError` on bad ones.
      allow_nan_stats: return NaN for undefined statistics instead of raising.
      name: a name for this distribution.

    Example:
      >>> d = NegativeBinomial(total_count=3., probs=0.25)
      >>> float(d.mean())
      1.0
      >>> round(float(d.prob(0.)), 6)
      0.421875

    """

    reparameterization_type = NOT_REPARAMETERIZED
    _static_names = ("require_integer_total_count",)
    _value_support = constraints.nonnegative_integer

    def __init__(self, total_count, logits=None, probs=None, require_integer_total_count=True,
                 validate_args=False, allow_nan_stats=True, name=None):
        exactly_one("NegativeBinomial", logits=logits, probs=probs)
        super().__init__(total_count=total_count, logits=logits, probs=probs,
                         require_integer_total_count=bool(require_integer_total_count),
                         validate_args=validate_args, allow_nan_stats=allow_nan_stats, name=name)

    @classmethod
    def _parameter_properties(cls):
        return dict(
            total_count=ParameterProperties(constraint=constraints.positive),
            logits=ParameterProperties(constraint=constraints.real),
            probs=ParameterProperties(constraint=constraints.unit_interval),
        )

    def _validate_parameter_relations(self):
        if self.require_integer_total_count:
            checks.check(
                self.total_count == jnp.floor(self.total_count),
                "NegativeBinomial: parameter `total_count` must be an integer "
                "(pass require_integer_total_count=False to allow real values).",
            )
        if self.probs is not None:
            checks.check(self.probs < 1, "NegativeBinomial: parameter `probs` must be in [0, 1).")

    def _odds(self):
        """P / (1 - p) = exp(logits)."""
        if self.logits is not None:
            return jnp.exp(self.logits)
        return self.probs / (1 - self.probs)

    def _sample(self, shape, key):
        # Gamma-Poisson mixture: X | L ~ Poisson(L), L ~ Gamma(n) * p / (1 - p), drawn in log space.
        gamma_key, poisson_key = jax.random.split(key)
        log_gamma = random_gamma(gamma_key, self.total_count, shape, self.dtype, log_space=True)
        rate = jnp.exp(log_gamma + self.logits_parameter())
        return jax.random.poisson(poisson_key, rate, shape).astype(self.dtype)

    def _log_prob(self, x):
        n = self.total_count
        # Negative values are masked by the base; keep their gradients finite.
        k = jnp.maximum(x, 0)
        if self.logits is not None:
            log_q, log_p = self._log_probs_pair()
            log_unnormalized = n * log_q + k * log_p
        else:
            log_unnormalized = special.xlog1py(n, -self.probs) + special.xlogy(k, self.probs)
        # log Gamma(k + n) / (k! Gamma(n)) = -log B(k + 1, n) - log(k + n).
        return log_unnormalized - log_beta(k + 1, n) - jnp.log(n + k)

    def _cdf(self, x):
        # P[X <= k] = I_{1-p}(n, k + 1).
        k = jnp.floor(x)
        q, _ = self._probs_pair()
        value = special.betainc(self.total_count, jnp.maximum(k, 0) + 1, q)
        return jnp.where(k < 0, 0.0, value)

    def _survival_function(self, x):
        # P[X > k] = I_p(k + 1, n).
        k = jnp.floor(x)
        _, p = self._probs_pair()
        value = special.betainc(jnp.maximum(k, 0) + 1, self.total_count, p)
        return jnp.where(k < 0, 1.0, value)

    def _mean(self):
        return self.total_count * self._odds()

    def _variance(self):
        q, _ = self._probs_pair()
        return self.total_count * self._odds() / q

    def _mode(self):
        # TFP's definition: floor((n - 1) p / (1 - p)) for n > 1, else 0.
        n = self.total_count
        return jnp.floor(jnp.where(n > 1, n - 1, 0.0) * self._odds())
