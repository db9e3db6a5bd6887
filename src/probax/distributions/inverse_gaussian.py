"""The inverse Gaussian (Wald) distribution."""

from __future__ import annotations

import math

import jax
import jax.numpy as jnp
from jax.scipy import special

from probax._internal import threefry
from probax.distributions import constraints
from probax.distributions.distribution import NOT_REPARAMETERIZED, Distribution, ParameterProperties
from probax.math.normal_tails import log_mills_ratio_difference, log_ndtr, mills_ratio
from probax.math.root_search import find_root_chandrupatla
from probax.math.special import log1mexp

_HALF_LOG_TWO_PI = 0.5 * math.log(2 * math.pi)
_LOG_HALF = math.log(0.5)


@jax.jit
def _log_masses(x, mu, lam):
    """(log P[X <= x], log P[X > x]) for X ~ InverseGaussian(mu, lam), x > 0 finite.

    Each is taken from the side where it is small and known to full relative
    precision; a mass near 1 is formed as 1 minus the other one.
    """
    x = jnp.where((x > 0) & (x < jnp.inf), x, mu)  # other values are answered by the caller
    # u = sqrt(lambda / x) (x / mu - 1) = sqrt(lambda / mu) (sqrt(y) - 1 / sqrt(y)) with y = x / mu,
    # a form that cannot overflow before u itself does.
    root_y = jnp.sqrt(x / mu)
    root_phi = jnp.sqrt(lam / mu)
    u = root_phi * (root_y - 1 / root_y)
    v = root_phi * (root_y + 1 / root_y)  # minus the v of the class docstring, so v > 0
    # With R the Mills ratio, Phi(-z) = phi(z) R(z), and exp(2 lambda / mu) phi(v) = phi(u) because
    # v^2 - u^2 = 4 lambda / mu: so exp(2 lambda / mu) Phi(-v) = phi(u) R(v), with no overflow.
    log_phi_u = -0.5 * jnp.square(u) - _HALF_LOG_TWO_PI
    log_second = log_phi_u + jnp.log(mills_ratio(v))
    below = jnp.logaddexp(log_ndtr(u), log_second)
    # Right of the mean, P[X > x] = phi(u) (R(u) - R(v)): two nearly equal tiny terms whose
    # difference is formed without cancellation (v - u = 2 sqrt(lambda / x) exactly).
    right_u = jnp.where(u > 0, u, 1.0)
    gap = 2 * root_phi / root_y  # v - u, formed without subtracting
    right = log_phi_u + log_mills_ratio_difference(right_u, jnp.where(u > 0, gap, 1.0))
    left_u = jnp.where(u > 0, 0.0, u)
    log_first = jnp.log1p(-special.ndtr(left_u))  # log Phi(-u), accurate also when ~ 0
    left = log_first + log1mexp(jnp.minimum(log_second - log_first, 0.0))
    above = jnp.where(u > 0, right, left)
    below, above = jnp.minimum(below, 0.0), jnp.minimum(above, 0.0)
    below_is_small = below < _LOG_HALF
    log_cdf = jnp.where(below_is_small, below, log1mexp(jnp.where(below_is_small, -1.0, above)))
    log_sf = jnp.where(below_is_small, log1mexp(jnp.where(below_is_small, below, -1.0)), above)
    return log_cdf, log_sf


@jax.jit
def _unit_quantile(phi, probability):
    """Quantile of InverseGaussian(1, phi) by a bracketed root search in log x.

    The search compares log masses on the side of the median that holds the
    answer, so both tails keep full relative precision; the bracket spans the
    whole positive floating range. Gradients come from implicit differentiation.
    """
    dtype = probability.dtype
    p = jnp.where((probability <= 0) | (probability >= 1), 0.5, probability)
    lower_side = p <= 0.5
    log_target = jnp.where(lower_side, jnp.log(p), jnp.log1p(-p))
    one = jnp.ones_like(phi)

    def objective(log_y):
        log_cdf, log_sf = _log_masses(jnp.exp(log_y), one, phi)
        return jnp.where(lower_side, log_cdf - log_target, log_target - log_sf)

    info = jnp.finfo(dtype)
    shape = jnp.broadcast_shapes(phi.shape, p.shape)
    # One unit inside the range, so exp never rounds to 0 or inf at the ends.
    low = jnp.full(shape, math.log(info.tiny) + 1, dtype)
    high = jnp.full(shape, math.log(info.max) - 1, dtype)
    return jnp.exp(find_root_chandrupatla(objective, low, high))


class InverseGaussian(Distribution):
    """Inverse Gaussian distribution with mean `loc` and shape `concentration`.

    With mu = loc and lambda = concentration,

    pdf(x) = sqrt(lambda / (2 pi x^3)) exp(-lambda (x - mu)^2 / (2 mu^2 x)),  x > 0.

    The cdf, Phi(u) + exp(2 lambda / mu) Phi(v) with u = sqrt(lambda / x) (x / mu - 1)
    and v = -sqrt(lambda / x) (x / mu + 1), is evaluated in log space through the
    Normal's Mills ratio, so the exp(2 lambda / mu) factor never overflows, and the
    survival function's two nearly equal terms are differenced without cancellation.

    Args:
      loc: mean mu, positive.
      concentration: shape lambda, positive.
      validate_args: check parameters and values, raising `ValueError` on bad ones.
      allow_nan_stats: return NaN for undefined statistics instead of raising.
      name: a name for this distribution.

    Example:
      >>> d = InverseGaussian(loc=1., concentration=2.)
      >>> x = d.sample(3, seed=0)
      >>> float(d.mean())
      1.0

    """

    reparameterization_type = NOT_REPARAMETERIZED
    _value_support = constraints.positive

    def __init__(self, loc, concentration, validate_args=False, allow_nan_stats=True, name=None):
        super().__init__(loc=loc, concentration=concentration, validate_args=validate_args,
                         allow_nan_stats=allow_nan_stats, name=name)

    @classmethod
    def _parameter_properties(cls):
        return dict(
            loc=ParameterProperties(constraint=constraints.positive),
            concentration=ParameterProperties(constraint=constraints.positive),
        )

    # ------------------------------------------------------------------ densities
    def _log_prob(self, x):
        safe_x = jnp.where(x <= 0, self.loc, x)  # NaN stays NaN
        return (0.5 * (jnp.log(self.concentration) - 3 * jnp.log(safe_x)) - _HALF_LOG_TWO_PI
                - self.concentration * jnp.square(safe_x - self.loc)
                / (2 * jnp.square(self.loc) * safe_x))

    def _log_cdf(self, x):
        log_cdf = _log_masses(x, self.loc, self.concentration)[0]
        return jnp.where(x > 0, jnp.where(x < jnp.inf, log_cdf, 0.0), -jnp.inf)

    def _log_survival_function(self, x):
        log_sf = _log_masses(x, self.loc, self.concentration)[1]
        return jnp.where(x > 0, jnp.where(x < jnp.inf, log_sf, -jnp.inf), 0.0)

    def _cdf(self, x):
        return jnp.exp(self._log_cdf(x))

    def _survival_function(self, x):
        return jnp.exp(self._log_survival_function(x))

    def _quantile(self, probability):
        # X / mu is inverse Gaussian with mean 1 and shape lambda / mu.
        x = self.loc * _unit_quantile(self.concentration / self.loc, probability)
        return jnp.where(probability <= 0, 0.0, jnp.where(probability >= 1, jnp.inf, x))

    # ------------------------------------------------------------------ sampling
    def _sample(self, shape, key):
        normal_key, uniform_key = jax.random.split(key)
        chi2 = jnp.square(threefry.normal(normal_key, shape, self.dtype))
        w = self.loc * chi2 / self.concentration
        # Michael, Schucany and Haas (1976): the smaller root of the quadratic, written as
        # mu / (1 + w/2 + sqrt(w^2 + 4w)/2), which has no cancellation for large w.
        spread = 1 + 0.5 * w + 0.5 * jnp.sqrt(w) * jnp.sqrt(w + 4)
        smaller = self.loc / spread
        larger = self.loc * spread
        u = threefry.uniform(uniform_key, shape, self.dtype)
        return jnp.where(u * (self.loc + smaller) <= self.loc, smaller, larger)

    # ------------------------------------------------------------------ summaries
    def _mean(self):
        return self.loc

    def _variance(self):
        return self.loc**3 / self.concentration

    def _mode(self):
        c = 1.5 * self.loc / self.concentration
        # mu (sqrt(1 + c^2) - c), rationalized so it keeps precision when c is large.
        return self.loc / (jnp.hypot(1.0, c) + c)
