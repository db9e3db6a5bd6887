"""The Gamma distribution, parameterized by concentration and rate (or log rate)."""

from __future__ import annotations

import jax.numpy as jnp
from jax.scipy import special

from probax.distributions import constraints
from probax.distributions.distribution import Distribution, ParameterProperties
from probax.distributions.kl import RegisterKL
from probax.distributions.parameterization import exactly_one
from probax.math import gammaincinv
from probax.math.random import random_gamma


class Gamma(Distribution):
    """Gamma distribution with shape `concentration` and inverse scale `rate`.

    pdf(x) = rate**concentration * x**(concentration - 1) * exp(-rate * x) / Gamma(concentration),
    for x >= 0.

    Give exactly one of `rate` or `log_rate`. Samples are reparameterized through
    implicit gradients (`probax.math.random.random_gamma`).

    Args:
      concentration: shape, positive.
      rate: inverse scale, positive.
      log_rate: log of the inverse scale (an alternative to `rate`).
      force_probs_to_zero_outside_support: accepted for TFP compatibility; probax always
        gives `-inf` log-probability outside the support (TFP gives NaN unless this is True).
      validate_args: check parameters and values, raising `ValueError` on bad ones.
      allow_nan_stats: return NaN for undefined statistics instead of raising.
      name: a name for this distribution.

    Example:
      >>> d = Gamma(concentration=2., rate=0.5)
      >>> float(d.mean())
      4.0
      >>> d.sample(3, seed=0).shape
      (3,)

    """

    _static_names = ("force_probs_to_zero_outside_support",)
    _value_support = constraints.nonnegative

    def __init__(self, concentration, rate=None, log_rate=None, validate_args=False,
                 allow_nan_stats=True, force_probs_to_zero_outside_support=False, name=None):
        exactly_one("Gamma", rate=rate, log_rate=log_rate)
        super().__init__(concentration=concentration, rate=rate, log_rate=log_rate,
                         force_probs_to_zero_outside_support=bool(force_probs_to_zero_outside_support),
                         validate_args=validate_args, allow_nan_stats=allow_nan_stats, name=name)

    @classmethod
    def _parameter_properties(cls):
        return dict(
            concentration=ParameterProperties(constraint=constraints.positive),
            rate=ParameterProperties(constraint=constraints.positive),
            log_rate=ParameterProperties(constraint=constraints.real),
        )

    def _rate(self):
        return self.rate if self.rate is not None else jnp.exp(self.log_rate)

    def _log_rate(self):
        return self.log_rate if self.log_rate is not None else jnp.log(self.rate)

    def _sample(self, shape, key):
        # In log space so that tiny concentrations or rates do not round draws to 0 or inf early.
        log_draws = random_gamma(key, self.concentration, shape, self.dtype, log_space=True)
        return jnp.exp(log_draws - self._log_rate())

    def _log_prob(self, x):
        c = self.concentration
        # Parameter-only terms grouped: one addition per value, not two.
        log_normalizer = special.gammaln(c) - c * self._log_rate()
        # (c - 1) log x with 0 log 0 = 0 where c = 1. Unlike `xlogy` this needs no NaN test per value:
        # the rate term carries a NaN value through.
        power = jnp.where(c == 1, 0.0, (c - 1) * jnp.log(x))
        return power - self._rate() * x - log_normalizer

    def _scaled(self, x):
        return self._rate() * jnp.maximum(x, 0.0)

    def _cdf(self, x):
        return special.gammainc(self.concentration, self._scaled(x))

    def _log_cdf(self, x):
        return jnp.log(self._cdf(x))

    def _survival_function(self, x):
        return special.gammaincc(self.concentration, self._scaled(x))

    def _log_survival_function(self, x):
        return jnp.log(self._survival_function(x))

    def _quantile(self, p):
        return gammaincinv(self.concentration, p) / self._rate()

    def _mean(self):
        return self.concentration / self._rate()

    def _variance(self):
        return self.concentration / jnp.square(self._rate())

    def _stddev(self):
        return jnp.sqrt(self.concentration) / self._rate()

    def _mode(self):
        # The density is unbounded at 0 when concentration < 1: no mode (NaN, as TFP).
        c = self.concentration
        return jnp.where(c >= 1, (c - 1) / self._rate(), jnp.nan)

    def _entropy(self):
        c = self.concentration
        return c - self._log_rate() + special.gammaln(c) + (1 - c) * special.digamma(c)


def kl_gamma_parameters(cp, log_rp, cq, log_rq):
    """KL[Gamma(cp, exp(log_rp)) || Gamma(cq, exp(log_rq))] from concentrations and log rates."""
    return (
        (cp - cq) * special.digamma(cp)
        + special.gammaln(cq)
        - special.gammaln(cp)
        + cq * (log_rp - log_rq)
        + cp * jnp.expm1(log_rq - log_rp)
    )


@RegisterKL(Gamma, Gamma)
def _kl_gamma_gamma(p: Gamma, q: Gamma):
    return kl_gamma_parameters(p.concentration, p._log_rate(), q.concentration, q._log_rate())
