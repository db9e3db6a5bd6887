"""The Bernoulli distribution over {0, 1}."""

from __future__ import annotations

import jax
import jax.numpy as jnp

from probax._internal import threefry
from probax.distributions import constraints
from probax.distributions.distribution import NOT_REPARAMETERIZED, Distribution, ParameterProperties
from probax.distributions.kl import RegisterKL
from probax.distributions.parameterization import exactly_one, log_probs_from_logits


class Bernoulli(Distribution):
    """Bernoulli distribution: 1 with probability `probs`, else 0.

    Give exactly one of `logits` (log-odds, preferred for stability) or `probs`.

    Args:
      logits: log-odds of a 1.
      probs: probability of a 1, in [0, 1].
      dtype: dtype of samples (int32 by default, as in TFP).
      validate_args: check parameters and values, raising `ValueError` on bad ones.
      allow_nan_stats: return NaN for undefined statistics instead of raising.
      name: a name for this distribution.

    Example:
      >>> d = Bernoulli(probs=0.3)
      >>> round(float(d.prob(1)), 6)
      0.3

    """

    reparameterization_type = NOT_REPARAMETERIZED
    _static_names = ("dtype",)
    _value_support = constraints.boolean

    def __init__(self, logits=None, probs=None, dtype=jnp.int32, validate_args=False,
                 allow_nan_stats=True, name=None):
        exactly_one("Bernoulli", logits=logits, probs=probs)
        super().__init__(logits=logits, probs=probs, dtype=dtype, validate_args=validate_args,
                         allow_nan_stats=allow_nan_stats, name=name)

    @classmethod
    def _parameter_properties(cls):
        return dict(
            logits=ParameterProperties(constraint=constraints.real),
            probs=ParameterProperties(constraint=constraints.unit_interval),
        )

    def logits_parameter(self):
        """Log-odds, whichever parameter was given."""
        return self.logits if self.logits is not None else jnp.log(self.probs) - jnp.log1p(-self.probs)

    def probs_parameter(self):
        """Probability of a 1, whichever parameter was given."""
        return self.probs if self.probs is not None else jax.nn.sigmoid(self.logits)

    def _log_probs_of_outcomes(self):
        """(log P[X=0], log P[X=1])."""
        if self.logits is not None:
            return log_probs_from_logits(self.logits)
        return jnp.log1p(-self.probs), jnp.log(self.probs)

    def _sample(self, shape, key):
        return threefry.bernoulli(key, self.probs_parameter(), shape).astype(self.dtype)

    def _log_prob(self, x):
        log_p0, log_p1 = self._log_probs_of_outcomes()
        # Values other than 0 and 1 are masked by the base; NaN stays NaN.
        return jnp.where(x == 1, log_p1, jnp.where(x == 0, log_p0, jnp.nan))

    def _cdf(self, x):
        p1 = self.probs_parameter()
        return jnp.where(x < 0, 0.0, jnp.where(x < 1, 1 - p1, 1.0))

    def _log_cdf(self, x):
        log_p0, _ = self._log_probs_of_outcomes()
        return jnp.where(x < 0, -jnp.inf, jnp.where(x < 1, log_p0, 0.0))

    def _quantile(self, p):
        return jnp.where(p <= 1 - self.probs_parameter(), 0, 1).astype(p.dtype)

    def _mean(self):
        return self.probs_parameter()

    def _variance(self):
        p1 = self.probs_parameter()
        return p1 * (1 - p1)

    def _mode(self):
        return (self.probs_parameter() > 0.5).astype(self.dtype)

    def _entropy(self):
        log_p0, log_p1 = self._log_probs_of_outcomes()
        p1 = self.probs_parameter()
        return -(p1 * jnp.where(p1 > 0, log_p1, 0.0) + (1 - p1) * jnp.where(p1 < 1, log_p0, 0.0))


@RegisterKL(Bernoulli, Bernoulli)
def _kl_bernoulli_bernoulli(p: Bernoulli, q: Bernoulli):
    p_log0, p_log1 = p._log_probs_of_outcomes()
    q_log0, q_log1 = q._log_probs_of_outcomes()
    p1 = p.probs_parameter()
    term1 = jnp.where(p1 > 0, p1 * (p_log1 - q_log1), 0.0)
    term0 = jnp.where(p1 < 1, (1 - p1) * (p_log0 - q_log0), 0.0)
    return term1 + term0
