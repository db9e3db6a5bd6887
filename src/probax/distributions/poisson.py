"""The Poisson distribution over the non-negative integers."""

from __future__ import annotations

import jax.numpy as jnp
from jax.scipy import special

from probax.distributions import constraints
from probax.distributions.distribution import NOT_REPARAMETERIZED, Distribution, ParameterProperties
from probax.distributions.kl import RegisterKL
from probax.distributions.parameterization import exactly_one
from probax.math.log_factorial import log_factorial
from probax.math.random import random_poisson


class Poisson(Distribution):
    """Poisson distribution with mean `rate`.

    P[X = k] = rate^k exp(-rate) / k! for k in {0, 1, 2, ...}. Give exactly one of
    `rate` or `log_rate`.

    Args:
      rate: the mean, non-negative.
      log_rate: the log of the mean.
      force_probs_to_zero_outside_support: accepted for TFP compatibility; probax always
        gives `-inf` log-probability to negative and non-integer values.
      validate_args: check parameters and values, raising `ValueError` on bad ones.
      allow_nan_stats: return NaN for undefined statistics instead of raising.
      name: a name for this distribution.

    Example:
      >>> d = Poisson(rate=2.)
      >>> round(float(d.prob(0.)), 6)
      0.135335
      >>> float(d.variance())
      2.0

    """

    reparameterization_type = NOT_REPARAMETERIZED
    _static_names = ("force_probs_to_zero_outside_support",)
    _value_support = constraints.nonnegative_integer

    def __init__(self, rate=None, log_rate=None, force_probs_to_zero_outside_support=False,
                 validate_args=False, allow_nan_stats=True, name=None):
        exactly_one("Poisson", rate=rate, log_rate=log_rate)
        super().__init__(rate=rate, log_rate=log_rate,
                         force_probs_to_zero_outside_support=bool(force_probs_to_zero_outside_support),
                         validate_args=validate_args, allow_nan_stats=allow_nan_stats, name=name)

    @classmethod
    def _parameter_properties(cls):
        return dict(
            rate=ParameterProperties(constraint=constraints.nonnegative),
            log_rate=ParameterProperties(constraint=constraints.real),
        )

    def rate_parameter(self):
        """The rate, whichever parameter was given."""
        return self.rate if self.rate is not None else jnp.exp(self.log_rate)

    def log_rate_parameter(self):
        """The log rate, whichever parameter was given."""
        return self.log_rate if self.log_rate is not None else jnp.log(self.rate)

    def _sample(self, shape, key):
        return random_poisson(key, self.rate_parameter(), shape, self.dtype)

    def _log_prob(self, x):
        # Negative values are masked by the base; keep their gradients finite.
        k = jnp.maximum(x, 0)
        if self.rate is not None:
            log_unnormalized = special.xlogy(k, self.rate) - self.rate
        else:
            log_unnormalized = k * self.log_rate - jnp.exp(self.log_rate)
        return log_unnormalized - log_factorial(k)

    def _cdf(self, x):
        # P[X <= k] = Q(k + 1, rate), the regularized upper incomplete gamma function.
        k = jnp.floor(x)
        return jnp.where(k < 0, 0.0, special.gammaincc(jnp.maximum(k, 0) + 1, self.rate_parameter()))

    def _survival_function(self, x):
        k = jnp.floor(x)
        return jnp.where(k < 0, 1.0, special.gammainc(jnp.maximum(k, 0) + 1, self.rate_parameter()))

    def _mean(self):
        return self.rate_parameter()

    def _variance(self):
        return self.rate_parameter()

    def _mode(self):
        # TFP's choice: for an integer rate both rate and rate - 1 are modes; take the larger.
        return jnp.floor(self.rate_parameter())


@RegisterKL(Poisson, Poisson)
def _kl_poisson_poisson(p: Poisson, q: Poisson):
    # KL = r1 log(r1 / r2) - (r1 - r2); a zero r1 makes p a point mass at 0 and the first term 0.
    p_rate, q_rate = p.rate_parameter(), q.rate_parameter()
    positive = p_rate > 0
    if p.rate is not None and q.rate is not None:
        # log1p of the relative difference keeps full precision when the rates are close.
        log_ratio = jnp.log1p(jnp.where(positive, (p_rate - q_rate) / q_rate, 0.0))
    else:
        p_log_rate = p.log_rate if p.log_rate is not None else jnp.log(jnp.where(positive, p.rate, 1.0))
        log_ratio = jnp.where(positive, p_log_rate, 0.0) - q.log_rate_parameter()
    return jnp.where(positive, p_rate * log_ratio, 0.0) - (p_rate - q_rate)
