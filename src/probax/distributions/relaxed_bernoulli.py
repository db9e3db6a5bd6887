"""The RelaxedBernoulli (binary Concrete) distribution on [0, 1]."""

from __future__ import annotations

import jax
import jax.numpy as jnp

from probax._internal import threefry
from probax.distributions import constraints
from probax.distributions.distribution import Distribution, ParameterProperties
from probax.distributions.parameterization import LogitsProbsMixin, exactly_one


class RelaxedBernoulli(LogitsProbsMixin, Distribution):
    """Binary Concrete relaxation of a Bernoulli: Y = sigmoid((logits + L) / t), L ~ Logistic(0, 1).

    Maddison, Mnih and Teh (2017). logit(Y) is Logistic(logits / t, 1 / t), so with
    u = t logit(y) - logits,

        cdf(y) = sigmoid(u),
        pdf(y) = t sigmoid(u) sigmoid(-u) / (y (1 - y)),

    for 0 < y < 1 (the density's limits at 0 and 1 are kept, e.g. `inf` for t < 1).
    As t -> 0, Y approaches a Bernoulli(sigmoid(logits)) draw; draws are reparameterized.

    Args:
      temperature: positive temperature t.
      logits: log-odds of the limiting Bernoulli.
      probs: success probability of the limiting Bernoulli, in [0, 1].
      validate_args: check parameters and values, raising `ValueError` on bad ones.
      allow_nan_stats: return NaN for undefined statistics instead of raising.
      name: a name for this distribution.

    Example:
      >>> d = RelaxedBernoulli(temperature=1., probs=0.5)
      >>> round(float(d.prob(0.3)), 6)  # uniform when t = 1 and p = 1/2
      1.0
      >>> round(float(d.cdf(0.3)), 6)
      0.3

    """

    _value_support = constraints.unit_interval

    def __init__(self, temperature, logits=None, probs=None, validate_args=False, allow_nan_stats=True,
                 name=None):
        exactly_one("RelaxedBernoulli", logits=logits, probs=probs)
        super().__init__(temperature=temperature, logits=logits, probs=probs, validate_args=validate_args,
                         allow_nan_stats=allow_nan_stats, name=name)

    @classmethod
    def _parameter_properties(cls):
        return dict(
            temperature=ParameterProperties(constraint=constraints.positive),
            logits=ParameterProperties(constraint=constraints.real),
            probs=ParameterProperties(constraint=constraints.unit_interval),
        )

    def _sample(self, shape, key):
        noise = threefry.logistic(key, shape, self.dtype)
        return jax.nn.sigmoid((self.logits_parameter() + noise) / self.temperature)

    def _standardized(self, y):
        """The logistic variable t logit(y) - logits (cdf(y) is its sigmoid), for y clipped into [0, 1]."""
        y = jnp.clip(y, 0.0, 1.0)
        return self.temperature * (jnp.log(y) - jnp.log1p(-y)) - self.logits_parameter()

    def _log_prob(self, y):
        t, logits = self.temperature, self.logits_parameter()
        inside = (y > 0) & (y < 1)
        # The endpoints take the density's limits; the interior formula sees a harmless 1/2
        # there, so that neither branch puts NaN into gradients.
        y_inside = jnp.where(inside, y, 0.5)
        log_y, log1m_y = jnp.log(y_inside), jnp.log1p(-y_inside)
        u = t * (log_y - log1m_y) - logits
        # log sigmoid(u) + log sigmoid(-u), written to stay finite for large |u|.
        log_logistic = -jnp.abs(u) - 2 * jax.nn.softplus(-jnp.abs(u))
        interior = jnp.log(t) + log_logistic - log_y - log1m_y
        # Near 0 the density is t exp(-logits) y**(t - 1); near 1, t exp(logits) (1 - y)**(t - 1).
        power_limit = jnp.where(t == 1, 0.0, jnp.where(t < 1, jnp.inf, -jnp.inf))
        endpoint = jnp.log(t) + jnp.where(y <= 0, -logits, logits) + power_limit
        return jnp.where(inside, interior, endpoint)

    def _cdf(self, y):
        return jax.nn.sigmoid(self._standardized(y))

    def _log_cdf(self, y):
        return jax.nn.log_sigmoid(self._standardized(y))

    def _survival_function(self, y):
        return jax.nn.sigmoid(-self._standardized(y))

    def _log_survival_function(self, y):
        return jax.nn.log_sigmoid(-self._standardized(y))

    def _quantile(self, p):
        return jax.nn.sigmoid((self.logits_parameter() + jnp.log(p) - jnp.log1p(-p)) / self.temperature)
