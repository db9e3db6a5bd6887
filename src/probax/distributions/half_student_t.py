"""The half-Student's t distribution, supported on [loc, inf)."""

from __future__ import annotations

import math

import jax.numpy as jnp

from probax.distributions import constraints
from probax.distributions.distribution import Distribution, ParameterProperties
from probax.distributions.student_t import (
    abs_t_probabilities,
    abs_t_quantile,
    standard_entropy,
    standard_log_prob,
    standard_sample,
)
from probax.math import log_beta

_LOG_TWO = math.log(2.0)


class HalfStudentT(Distribution):
    """Half-Student's t distribution: `loc + |T|` with `T ~ StudentT(df, 0, scale)`.

    pdf(x) = 2 (1 + t**2 / df)**(-(df + 1) / 2) / (sqrt(df) B(df/2, 1/2) scale) for x >= loc,
    t = (x - loc) / scale.

    The mean exists for `df > 1` (NaN otherwise); the variance is finite for
    `df > 2`, infinite for `1 < df <= 2` and NaN for `df <= 1`.

    Args:
      df: degrees of freedom, positive.
      loc: lower end of the support (and the mode).
      scale: positive scale.
      validate_args: check parameters and values, raising `ValueError` on bad ones.
      allow_nan_stats: return NaN for undefined statistics instead of raising.
      name: a name for this distribution.

    Example:
      >>> d = HalfStudentT(df=3., loc=0., scale=1.)
      >>> round(float(d.quantile(0.95)), 4)  # the two-sided 95% point of t(3)
      3.1824

    """

    def __init__(self, df, loc, scale, validate_args=False, allow_nan_stats=True, name=None):
        super().__init__(df=df, loc=loc, scale=scale, validate_args=validate_args,
                         allow_nan_stats=allow_nan_stats, name=name)

    @classmethod
    def _parameter_properties(cls):
        return dict(
            df=ParameterProperties(constraint=constraints.positive),
            loc=ParameterProperties(constraint=constraints.real),
            scale=ParameterProperties(constraint=constraints.positive),
        )

    def _support(self):
        return constraints.greater_than_eq(self.loc, "at least `loc`")

    def _t(self, x):
        # Clipped at 0 so that every formula below is evaluated inside the support.
        return jnp.maximum((x - self.loc) / self.scale, 0.0)

    def _sample(self, shape, key):
        return self.loc + self.scale * jnp.abs(standard_sample(self.df, shape, key, self.dtype))

    def _log_prob(self, x):
        return _LOG_TWO + standard_log_prob(self.df, (x - self.loc) / self.scale, self.scale)

    def _cdf(self, x):
        p_in, _, _, _ = abs_t_probabilities(self.df, self._t(x))
        return p_in

    def _log_cdf(self, x):
        _, _, log_p_in, _ = abs_t_probabilities(self.df, self._t(x))
        return log_p_in

    def _survival_function(self, x):
        _, p_out, _, _ = abs_t_probabilities(self.df, self._t(x))
        return p_out

    def _log_survival_function(self, x):
        _, _, _, log_p_out = abs_t_probabilities(self.df, self._t(x))
        return log_p_out

    def _quantile(self, p):
        # 1 - p is exact where it is the small one (p >= 1/2).
        return self.loc + self.scale * abs_t_quantile(self.df, p, 1 - p)

    def _standard_mean(self, df):
        """E|T| = 2 sqrt(df) / ((df - 1) B(df/2, 1/2)) for df > 1."""
        return jnp.exp(_LOG_TWO + 0.5 * jnp.log(df) - log_beta(0.5 * df, 0.5) - jnp.log(df - 1))

    def _mean(self):
        df = self.df
        safe_df = jnp.where(df > 1, df, 2.0)
        mean = self.loc + self.scale * self._standard_mean(safe_df)
        return jnp.where(df > 1, mean, jnp.nan)

    def _variance(self):
        df = self.df
        safe_df = jnp.where(df > 2, df, 3.0)
        standard = safe_df / (safe_df - 2) - jnp.square(self._standard_mean(safe_df))
        variance = jnp.square(self.scale) * standard + jnp.zeros_like(self.loc)
        return jnp.where(df > 2, variance, jnp.where(df > 1, jnp.inf, jnp.nan))

    def _mode(self):
        return self.loc + jnp.zeros_like(self.df * self.scale)

    def _entropy(self):
        # Folding a symmetric density doubles it on half the line: H = H(StudentT) - log 2.
        return standard_entropy(self.df) + jnp.log(self.scale) - _LOG_TWO + jnp.zeros_like(self.loc)
