"""The chi-squared distribution with `df` degrees of freedom."""

from __future__ import annotations

import math

import jax.numpy as jnp
from jax.scipy import special

from probax.distributions import constraints
from probax.distributions.distribution import Distribution, ParameterProperties
from probax.distributions.gamma import Gamma, kl_gamma_parameters
from probax.distributions.kl import RegisterKL
from probax.math import gammaincinv
from probax.math.random import random_gamma

_LOG_TWO = math.log(2.0)


class Chi2(Distribution):
    """Chi-squared distribution: the sum of `df` squared standard normals (a Gamma(df / 2, 1 / 2)).

    pdf(x) = x**(df / 2 - 1) * exp(-x / 2) / (2**(df / 2) * Gamma(df / 2)), for x >= 0.

    KL divergences with Chi2 and Gamma (hence Exponential) are registered.

    Args:
      df: degrees of freedom, positive (need not be an integer).
      validate_args: check parameters and values, raising `ValueError` on bad ones.
      allow_nan_stats: return NaN for undefined statistics instead of raising.
      name: a name for this distribution.

    Example:
      >>> d = Chi2(df=3.)
      >>> float(d.variance())
      6.0

    """

    _value_support = constraints.nonnegative

    def __init__(self, df, validate_args=False, allow_nan_stats=True, name=None):
        super().__init__(df=df, validate_args=validate_args, allow_nan_stats=allow_nan_stats, name=name)

    @classmethod
    def _parameter_properties(cls):
        return dict(df=ParameterProperties(constraint=constraints.positive))

    def _half_df(self):
        return 0.5 * self.df

    def _sample(self, shape, key):
        log_draws = random_gamma(key, self._half_df(), shape, self.dtype, log_space=True)
        return 2 * jnp.exp(log_draws)

    def _log_prob(self, x):
        k = self._half_df()
        return special.xlogy(k - 1, x) - 0.5 * x - k * _LOG_TWO - special.gammaln(k)

    def _half_x(self, x):
        return 0.5 * jnp.maximum(x, 0.0)

    def _cdf(self, x):
        return special.gammainc(self._half_df(), self._half_x(x))

    def _log_cdf(self, x):
        return jnp.log(self._cdf(x))

    def _survival_function(self, x):
        return special.gammaincc(self._half_df(), self._half_x(x))

    def _log_survival_function(self, x):
        return jnp.log(self._survival_function(x))

    def _quantile(self, p):
        return 2 * gammaincinv(self._half_df(), p)

    def _mean(self):
        return self.df

    def _variance(self):
        return 2 * self.df

    def _mode(self):
        # Unbounded density at 0 for df < 2: no mode (NaN, as TFP).
        return jnp.where(self.df >= 2, self.df - 2, jnp.nan)

    def _entropy(self):
        k = self._half_df()
        return k + _LOG_TWO + special.gammaln(k) + (1 - k) * special.digamma(k)


# Chi2(df) is Gamma(df / 2, rate=1/2); TFP registers these three pairs too.
@RegisterKL(Chi2, Chi2)
def _kl_chi2_chi2(p: Chi2, q: Chi2):
    return kl_gamma_parameters(p._half_df(), -_LOG_TWO, q._half_df(), -_LOG_TWO)


@RegisterKL(Chi2, Gamma)
def _kl_chi2_gamma(p: Chi2, q: Gamma):
    return kl_gamma_parameters(p._half_df(), -_LOG_TWO, q.concentration, q._log_rate())


@RegisterKL(Gamma, Chi2)
def _kl_gamma_chi2(p: Gamma, q: Chi2):
    return kl_gamma_parameters(p.concentration, p._log_rate(), q._half_df(), -_LOG_TWO)
