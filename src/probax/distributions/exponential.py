"""The Exponential distribution, a Gamma with concentration 1."""

from __future__ import annotations

import jax.numpy as jnp

from probax._internal import threefry
from probax.distributions import constraints
from probax.distributions.distribution import Distribution, ParameterProperties
from probax.distributions.gamma import Gamma
from probax.math import log1mexp


class Exponential(Gamma):
    """Exponential distribution with rate `rate`: pdf(x) = rate * exp(-rate * x), x >= 0.

    A subclass of `Gamma` (concentration 1), as in TFP, so Gamma's KL divergence
    applies to any pair of Gamma and Exponential distributions.

    Args:
      rate: inverse scale, positive.
      force_probs_to_zero_outside_support: accepted for TFP compatibility; probax always
        gives `-inf` log-probability outside the support (TFP gives NaN unless this is True).
      validate_args: check parameters and values, raising `ValueError` on bad ones.
      allow_nan_stats: return NaN for undefined statistics instead of raising.
      name: a name for this distribution.

    Example:
      >>> d = Exponential(rate=2.)
      >>> float(d.mean())
      0.5
      >>> round(float(d.quantile(1 - 1 / 2.718281828)), 4)
      0.5

    """

    # Gamma's other parameters, read by Gamma's methods and its KL divergence.
    log_rate = None

    def __init__(self, rate, force_probs_to_zero_outside_support=False, validate_args=False,
                 allow_nan_stats=True, name=None):
        Distribution.__init__(self, rate=rate,
                              force_probs_to_zero_outside_support=bool(force_probs_to_zero_outside_support),
                              validate_args=validate_args, allow_nan_stats=allow_nan_stats, name=name)

    @classmethod
    def _parameter_properties(cls):
        return dict(rate=ParameterProperties(constraint=constraints.positive))

    @property
    def concentration(self):
        """Gamma shape: ones, shaped like `rate`."""
        return jnp.ones_like(self.rate)

    def _sample(self, shape, key):
        return threefry.exponential(key, shape, self.dtype) / self.rate

    def _log_prob(self, x):
        return jnp.log(self.rate) - self.rate * x

    def _log_survival_function(self, x):
        return -self._scaled(x)

    def _survival_function(self, x):
        return jnp.exp(-self._scaled(x))

    def _cdf(self, x):
        return -jnp.expm1(-self._scaled(x))

    def _log_cdf(self, x):
        return log1mexp(-self._scaled(x))

    def _quantile(self, p):
        return -jnp.log1p(-p) / self.rate

    def _mean(self):
        return 1 / self.rate

    def _variance(self):
        return 1 / jnp.square(self.rate)

    def _stddev(self):
        return 1 / self.rate

    def _mode(self):
        return jnp.zeros_like(self.rate)

    def _entropy(self):
        return 1 - jnp.log(self.rate)
