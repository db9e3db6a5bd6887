"""The Weibull distribution on [0, inf)."""

from __future__ import annotations

import jax.numpy as jnp
from jax.scipy import special

from probax._internal import threefry
from probax.distributions import constraints
from probax.distributions.distribution import Distribution, ParameterProperties
from probax.math import log1mexp

_EULER_GAMMA = 0.5772156649015329


# Coefficients c_n (n = 2, 3, ...) of log G(1 + 2h) - 2 log G(1 + h) = sum_n c_n h**n,
# c_n = (-1)**n zeta(n) (2**n - 2) / n, from the Taylor series of log G(1 + z).
_LOG_GAMMA_RATIO_SERIES = (
    1.6449340668482264, -2.4041138063191885, 3.7881313179889835, -6.22156653086022, 10.51254497383931,
    -18.150286992874612, 31.879456059284735, -56.78047559347799, 102.30164557806299, -186.0919190803662,
    341.2506231957703, -630.0773094089744, 1170.2145262106094, -2184.466816943389, 4095.9375942242555,
    -7710.058882793788, 14563.500037382839, -27594.052655221698, 52428.75001498928, -99864.33334285778,
    190650.13636970092, -364722.0434821298, 699050.6250024727, -1342177.2400015828,
)
_SERIES_CUTOFF = 0.1


def _log_gamma_ratio(h):
    """The log ratio G(1 + 2h) / G(1 + h)**2, without cancelling lgamma differences for small h.

    For h = 1 / k with large k the two lgamma values agree to O(h) while their
    difference is O(h**2), so the Taylor series is summed instead below the cutoff
    (24 terms: below 1e-17 relative at h = 0.1).
    """
    small = h < _SERIES_CUTOFF
    safe_h = jnp.where(small, h, 0.0)
    series = jnp.zeros_like(h)
    for coefficient in reversed(_LOG_GAMMA_RATIO_SERIES):
        series = series * safe_h + coefficient
    series = series * jnp.square(safe_h)
    direct = special.gammaln(1 + 2 * h) - 2 * special.gammaln(1 + h)
    return jnp.where(small, series, direct)


class Weibull(Distribution):
    """Weibull distribution with shape `concentration` and scale `scale`.

    With k = `concentration`, lam = `scale`:
    pdf(x) = (k / lam) * (x / lam)**(k - 1) * exp(-(x / lam)**k) and
    cdf(x) = 1 - exp(-(x / lam)**k), for x >= 0, so sampling inverts the cdf exactly
    (reparameterized).

    Args:
      concentration: shape k, positive.
      scale: scale lam, positive.
      validate_args: check parameters and values, raising `ValueError` on bad ones.
      allow_nan_stats: return NaN for undefined statistics instead of raising.
      name: a name for this distribution.

    Example:
      >>> d = Weibull(concentration=1., scale=2.)  # Exponential with rate 1/2
      >>> round(float(d.mean()), 6)
      2.0

    """

    _value_support = constraints.nonnegative

    def __init__(self, concentration, scale, validate_args=False, allow_nan_stats=True, name=None):
        super().__init__(concentration=concentration, scale=scale, validate_args=validate_args,
                         allow_nan_stats=allow_nan_stats, name=name)

    @classmethod
    def _parameter_properties(cls):
        return dict(
            concentration=ParameterProperties(constraint=constraints.positive),
            scale=ParameterProperties(constraint=constraints.positive),
        )

    def _sample(self, shape, key):
        return self._quantile(threefry.uniform(key, shape, self.dtype))

    def _log_prob(self, x):
        k, z = self.concentration, jnp.maximum(x, 0.0) / self.scale
        return jnp.log(k) - jnp.log(self.scale) + special.xlogy(k - 1, z) - jnp.power(z, k)

    def _log_survival_function(self, x):
        return -jnp.power(jnp.maximum(x, 0.0) / self.scale, self.concentration)

    def _survival_function(self, x):
        return jnp.exp(self._log_survival_function(x))

    def _cdf(self, x):
        return -jnp.expm1(self._log_survival_function(x))

    def _log_cdf(self, x):
        return log1mexp(self._log_survival_function(x))

    def _quantile(self, p):
        return self.scale * jnp.power(-jnp.log1p(-p), 1 / self.concentration)

    def _mean(self):
        return self.scale * jnp.exp(special.gammaln(1 + 1 / self.concentration))

    def _variance(self):
        # Var = lam^2 G(1 + h)^2 (G(1 + 2h) / G(1 + h)^2 - 1) with h = 1 / k; see _log_gamma_ratio.
        h = 1 / self.concentration
        return (jnp.square(self.scale) * jnp.exp(2 * special.gammaln(1 + h))
                * jnp.expm1(_log_gamma_ratio(h)))

    def _mode(self):
        # The density is largest at 0 when k <= 1 (TFP's convention).
        k = self.concentration
        safe_k = jnp.where(k > 1, k, 2.0)
        return jnp.where(k > 1, self.scale * jnp.power((safe_k - 1) / safe_k, 1 / safe_k), 0.0)

    def _entropy(self):
        k = self.concentration
        return _EULER_GAMMA * (1 - 1 / k) + jnp.log(self.scale / k) + 1
