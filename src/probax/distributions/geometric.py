"""The Geometric distribution: failures before the first success."""

from __future__ import annotations

import jax
import jax.numpy as jnp
from jax.scipy import special

from probax._internal import checks, threefry
from probax.distributions import constraints
from probax.distributions.distribution import NOT_REPARAMETERIZED, Distribution, ParameterProperties
from probax.distributions.parameterization import LogitsProbsMixin, exactly_one
from probax.math.special import log1mexp

# Below this logit, (1 - p) / p * -log(1 - p) = 1 - p / 2 + O(p^2) to working precision.
_SMALL_LOGIT = -20.0


class Geometric(LogitsProbsMixin, Distribution):
    """Geometric distribution: the number of failures before the first success.

    P[X = k] = (1 - p)^k p for k in {0, 1, 2, ...} (scipy's `geom(p, loc=-1)`).
    Give exactly one of `logits` or `probs`.

    Args:
      logits: log-odds of a success.
      probs: probability of a success, in (0, 1].
      force_probs_to_zero_outside_support: accepted for TFP compatibility; probax always
        gives `-inf` log-probability to negative and non-integer values.
      validate_args: check parameters and values, raising `ValueError` on bad ones.
      allow_nan_stats: return NaN for undefined statistics instead of raising.
      name: a name for this distribution.

    Example:
      >>> d = Geometric(probs=0.25)
      >>> float(d.mean())
      3.0
      >>> float(d.quantile(0.5))
      2.0

    """

    reparameterization_type = NOT_REPARAMETERIZED
    _static_names = ("force_probs_to_zero_outside_support",)
    _value_support = constraints.nonnegative_integer

    def __init__(self, logits=None, probs=None, force_probs_to_zero_outside_support=False,
                 validate_args=False, allow_nan_stats=True, name=None):
        exactly_one("Geometric", logits=logits, probs=probs)
        super().__init__(logits=logits, probs=probs,
                         force_probs_to_zero_outside_support=bool(force_probs_to_zero_outside_support),
                         validate_args=validate_args, allow_nan_stats=allow_nan_stats, name=name)

    @classmethod
    def _parameter_properties(cls):
        return dict(
            logits=ParameterProperties(constraint=constraints.real),
            probs=ParameterProperties(constraint=constraints.unit_interval),
        )

    def _validate_parameter_relations(self):
        if self.probs is not None:
            checks.check(self.probs > 0, "Geometric: parameter `probs` must be in (0, 1].")

    def _log_survival_at(self, k):
        """Log P[X > k] = (k + 1) log(1 - p) for integer k >= 0."""
        log_q, _ = self._log_probs_pair()
        # Where log(1 - p) = -inf (p = 1), (k + 1) * -inf is -inf as wanted since k + 1 >= 1.
        return (k + 1) * log_q

    def _sample(self, shape, key):
        # Inverse cdf: P[floor(log U / log(1 - p)) >= k] = P[U <= (1 - p)^k].
        log_q, _ = self._log_probs_pair()
        u = threefry.uniform(key, shape, self.dtype, minval=jnp.finfo(self.dtype).tiny, maxval=1.0)
        return jnp.floor(jnp.log(u) / log_q)

    def _log_prob(self, x):
        # Negative values are masked by the base; keep their gradients finite.
        k = jnp.maximum(x, 0)
        if self.logits is not None:
            log_q, log_p = self._log_probs_pair()
            return k * log_q + log_p
        return special.xlog1py(k, -self.probs) + jnp.log(self.probs)

    def _cdf(self, x):
        k = jnp.floor(x)
        return jnp.where(k < 0, 0.0, -jnp.expm1(self._log_survival_at(jnp.maximum(k, 0))))

    def _log_cdf(self, x):
        k = jnp.floor(x)
        return jnp.where(k < 0, -jnp.inf, log1mexp(self._log_survival_at(jnp.maximum(k, 0))))

    def _survival_function(self, x):
        k = jnp.floor(x)
        return jnp.where(k < 0, 1.0, jnp.exp(self._log_survival_at(jnp.maximum(k, 0))))

    def _log_survival_function(self, x):
        k = jnp.floor(x)
        return jnp.where(k < 0, 0.0, self._log_survival_at(jnp.maximum(k, 0)))

    def _quantile(self, u):
        # Smallest k >= 0 with 1 - (1 - p)^(k + 1) >= u, i.e. k + 1 >= log(1 - u) / log(1 - p).
        log_q, _ = self._log_probs_pair()
        certain = log_q == -jnp.inf  # p = 1: all mass at 0
        log_q = jnp.where(certain, -1.0, log_q)
        k = jnp.maximum(jnp.ceil(jnp.log1p(-u) / log_q) - 1, 0.0)
        # Rounding in the ratio can overshoot by one: step back when cdf(k - 1) already reaches u.
        k = jnp.where((k > 0) & (-jnp.expm1(k * log_q) >= u), k - 1, k)
        return jnp.where(certain, 0.0, k)

    def _mean(self):
        # (1 - p) / p = exp(-logits).
        if self.logits is not None:
            return jnp.exp(-self.logits)
        return (1 - self.probs) / self.probs

    def _variance(self):
        # (1 - p) / p^2.
        return self._mean() / self.probs_parameter()

    def _mode(self):
        return jnp.zeros_like(self.probs_parameter())

    def _entropy(self):
        # H = -log p - (1 - p) / p * log(1 - p).
        _, log_p = self._log_probs_pair()
        if self.logits is not None:
            logits = self.logits
            small = logits < _SMALL_LOGIT
            # exp(-logits) * softplus(logits), with a safe input where exp(-logits) would overflow.
            safe = jnp.where(small, 0.0, logits)
            ratio = jnp.where(small, 1 - 0.5 * jnp.exp(logits), jnp.exp(-safe) * jax.nn.softplus(safe))
        else:
            ratio = -special.xlog1py(1 - self.probs, -self.probs) / self.probs
        return ratio - log_p
