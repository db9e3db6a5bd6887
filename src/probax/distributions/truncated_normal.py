"""The truncated Normal distribution."""

from __future__ import annotations

import math

import jax
import jax.numpy as jnp
import numpy as np
from jax.scipy import special

from probax._internal import checks, threefry
from probax.distributions import constraints
from probax.distributions.distribution import Distribution, ParameterProperties
from probax.math.normal_tails import log_ndtr, mills_fraction, mills_ratio
from probax.math.special import log1mexp

_HALF_LOG_TWO_PI = 0.5 * math.log(2 * math.pi)
_LOG_HALF = math.log(0.5)


def _log_normal_pdf(z):
    return -0.5 * jnp.square(z) - _HALF_LOG_TWO_PI


def _log_ndtr_difference(lower, upper):
    """log(Phi(upper) - Phi(lower)) for lower <= upper, evaluated in the accurate tail.

    Phi is accurate (in relative terms) only for arguments below zero, so an
    interval lying mostly on the right is mirrored: Phi(u) - Phi(l) = Phi(-l) - Phi(-u).
    """
    mirror = lower + upper > 0
    low = jnp.where(mirror, -upper, lower)
    high = jnp.where(mirror, -lower, upper)
    log_high = log_ndtr(high)
    # With both ends below 0, log Phi(z) = log phi(z) + log R(-z) (R the Mills ratio) splits the
    # difference of logs into an exactly formed (l - h)(l + h)/2 and an O(1) ratio of Mills ratios,
    # instead of subtracting two large log_ndtr values (which costs digits for narrow far-tail
    # intervals).
    finite = jnp.isfinite(low)
    tail = (high < 0) & finite
    safe_low = jnp.where(tail, low, -1.0)
    safe_high = jnp.where(tail, high, -0.5)
    tail_difference = (-0.5 * (safe_low - safe_high) * (safe_low + safe_high)
                       + jnp.log(mills_ratio(-safe_low)) - jnp.log(mills_ratio(-safe_high)))
    plain_low = jnp.where(finite, low, 0.0)
    plain_difference = log_ndtr(plain_low) - log_high
    difference = jnp.where(tail, tail_difference, jnp.where(finite, plain_difference, -jnp.inf))
    return log_high + log1mexp(jnp.minimum(difference, 0.0))


def _ndtri_of_log(log_p):
    """The z with log Phi(z) = log_p, for log_p <= log(1/2), never forming a tiny p.

    A start from `ndtri(exp(log_p))` (or the asymptotic tail expansion where
    exp(log_p) underflows) is polished by Newton steps on log Phi, whose
    convergence is quadratic; the steps also carry the implicit derivative.
    """
    dtype = log_p.dtype
    tiny_log = math.log(jnp.finfo(dtype).tiny) + 1.0
    safe_log_p = jnp.where(log_p > tiny_log, log_p, tiny_log)
    from_ndtri = special.ndtri(jnp.exp(safe_log_p))
    # log Phi(z) ~ -z^2/2 - log(-z) - log(2 pi)/2 as z -> -inf: solve for z^2.
    t = -2.0 * jnp.minimum(log_p, -1.0) - 2 * _HALF_LOG_TWO_PI
    asymptotic = -jnp.sqrt(jnp.maximum(t - jnp.log(t), 1.0))
    z = jax.lax.stop_gradient(jnp.where(log_p > tiny_log, from_ndtri, asymptotic))
    for _ in range(3):
        log_phi = log_ndtr(z)
        slope = jnp.exp(_log_normal_pdf(z) - log_phi)
        z = z - (log_phi - log_p) / slope
    return z


# Stand-in distance for an infinite end of the interval, in standard deviations.
_FAR = 40.0
# Below this distance of the interval from the center, the closed-form moments are accurate.
_TAIL_START = 2.5
# Intervals over which log phi changes by at most this much are integrated by Gauss-Legendre.
_QUADRATURE_SPAN = 4.0
_LEGENDRE_NODES, _LEGENDRE_WEIGHTS = np.polynomial.legendre.leggauss(24)
_NODES, _WEIGHTS = 0.5 * (_LEGENDRE_NODES + 1), 0.5 * _LEGENDRE_WEIGHTS  # on [0, 1]


def _exponential_tail_moments(c, width):
    """(E[Y], Var[Y], entropy of Y) for Y with density proportional to exp(-c y - y^2 / 2) on [0, width].

    This is the distance from the inner end of a standard Normal truncated to an
    interval starting c >= 2.5 standard deviations out; everything is formed from
    ratios of the integrals h_k, so nothing cancels.
    """
    finite = jnp.isfinite(width)
    w = jnp.where(finite, width, 1.0)
    r, t1, t2 = mills_fraction(c)
    r_far, t1_far, t2_far = mills_fraction(c + w)
    # Integrals over [width, inf) relative to those over [0, inf), by shifting y = width + t.
    q = jnp.where(finite, jnp.exp(-c * w - 0.5 * jnp.square(w)) * r_far / r, 0.0)
    j0 = 1 - q
    j1 = t1 - q * (w + t1_far)
    j2 = t1 * t2 - q * (jnp.square(w) + 2 * w * t1_far + t1_far * t2_far)
    mean = j1 / j0
    second = j2 / j0
    variance = (j0 * j2 - jnp.square(j1)) / jnp.square(j0)
    entropy = jnp.log(r) + jnp.log1p(-q) + c * mean + 0.5 * second
    return mean, variance, entropy


def _quadrature_moments(c, width):
    """The same three moments by Gauss-Legendre quadrature, for narrow intervals (any c)."""
    shape = (1,) * c.ndim + (_NODES.size,)
    c, width = c[..., None], width[..., None]
    y = width * jnp.reshape(jnp.asarray(_NODES, c.dtype), shape)
    exponent = c * y + 0.5 * jnp.square(y)
    f = jnp.exp(-exponent) * width * jnp.reshape(jnp.asarray(_WEIGHTS, c.dtype), shape)
    j0 = jnp.sum(f, axis=-1, keepdims=True)
    mean = jnp.sum(f * y, axis=-1, keepdims=True) / j0
    variance = jnp.sum(f * jnp.square(y - mean), axis=-1) / j0[..., 0]
    entropy = jnp.log(j0[..., 0]) + jnp.sum(f * exponent, axis=-1) / j0[..., 0]
    return mean[..., 0], variance, entropy


class TruncatedNormal(Distribution):
    """Normal distribution restricted to the interval `[low, high]`.

    With z = (x - loc) / scale, a = (low - loc) / scale, b = (high - loc) / scale,

    pdf(x) = phi(z) / (scale * (Phi(b) - Phi(a)))  for low <= x <= high,

    where phi and Phi are the standard normal density and cdf. Normalizers,
    cdfs and quantiles are computed in log space on whichever side of the
    standard normal is accurate, so intervals far in a tail (e.g. 10 to 12
    standard deviations out) keep full relative precision.

    Args:
      loc: location of the untruncated Normal.
      scale: scale of the untruncated Normal, positive.
      low: lower end of the support (may be -inf).
      high: upper end of the support (may be +inf), greater than `low`.
      validate_args: check parameters and values, raising `ValueError` on bad ones.
      allow_nan_stats: return NaN for undefined statistics instead of raising.
      name: a name for this distribution.

    Example:
      >>> d = TruncatedNormal(loc=0., scale=1., low=-1., high=2.)
      >>> x = d.sample(3, seed=0)
      >>> round(float(d.cdf(2.)), 6)
      1.0

    """

    def __init__(self, loc, scale, low, high, validate_args=False, allow_nan_stats=True, name=None):
        super().__init__(loc=loc, scale=scale, low=low, high=high, validate_args=validate_args,
                         allow_nan_stats=allow_nan_stats, name=name)

    @classmethod
    def _parameter_properties(cls):
        return dict(
            loc=ParameterProperties(constraint=constraints.real),
            scale=ParameterProperties(constraint=constraints.positive),
            low=ParameterProperties(constraint=constraints.real),
            high=ParameterProperties(constraint=constraints.real),
        )

    def _validate_parameter_relations(self):
        checks.check(self.low < self.high, "TruncatedNormal: parameter `low` must be less than `high`.")

    def _support(self):
        return constraints.interval(self.low, self.high, description="inside [low, high]")

    # ------------------------------------------------------------------ helpers
    def _standardized_bounds(self):
        """(a, b); an infinite end is replaced by one _FAR standard deviations beyond 0 and the other end.

        The Normal's mass beyond the stand-in is below exp(-_FAR^2 / 2) of the interval's
        (it underflows), so every value is unchanged, while gradients stay finite.
        """
        finite_low, finite_high = jnp.isfinite(self.low), jnp.isfinite(self.high)
        a = (jnp.where(finite_low, self.low, 0.0) - self.loc) / self.scale
        b = (jnp.where(finite_high, self.high, 0.0) - self.loc) / self.scale
        a = jnp.where(finite_low, a, jnp.minimum(jnp.where(finite_high, b, 0.0), 0.0) - _FAR)
        b = jnp.where(finite_high, b, jnp.maximum(a, 0.0) + _FAR)
        return a, b

    def _log_normalizer(self):
        """log(Phi(b) - Phi(a)): the log mass of the interval under the untruncated Normal."""
        a, b = self._standardized_bounds()
        return _log_ndtr_difference(a, b)

    def _clipped_z(self, x):
        a, b = self._standardized_bounds()
        return a, b, jnp.clip((x - self.loc) / self.scale, a, b)

    def _pdf_ratios(self):
        """(phi(a) / Z, phi(b) / Z) with Z = Phi(b) - Phi(a)."""
        a, b = self._standardized_bounds()
        log_z = self._log_normalizer()
        return jnp.exp(_log_normal_pdf(a) - log_z), jnp.exp(_log_normal_pdf(b) - log_z)

    # ------------------------------------------------------------------ densities
    def _log_prob(self, x):
        z = (x - self.loc) / self.scale
        return _log_normal_pdf(z) - jnp.log(self.scale) - self._log_normalizer()

    def _log_masses(self, x):
        """(log P[X <= x], log P[X > x]), each taken from the smaller of the two masses."""
        a, b, z = self._clipped_z(x)
        log_z = self._log_normalizer()
        below = jnp.minimum(_log_ndtr_difference(a, z) - log_z, 0.0)
        above = jnp.minimum(_log_ndtr_difference(z, b) - log_z, 0.0)
        # Near 1 a mass is best known as 1 minus the other (small, accurate) one.
        below_is_small = below < _LOG_HALF
        log_cdf = jnp.where(below_is_small, below, log1mexp(jnp.where(below_is_small, -1.0, above)))
        log_sf = jnp.where(below_is_small, log1mexp(jnp.where(below_is_small, below, -1.0)), above)
        return log_cdf, log_sf

    def _log_cdf(self, x):
        return self._log_masses(x)[0]

    def _log_survival_function(self, x):
        return self._log_masses(x)[1]

    def _cdf(self, x):
        return jnp.exp(self._log_cdf(x))

    def _survival_function(self, x):
        return jnp.exp(self._log_survival_function(x))

    def _quantile(self, probability):
        a, b = self._standardized_bounds()
        # The ends are answered exactly; a safe interior value keeps their gradients finite.
        at_end = (probability <= 0) | (probability >= 1)
        p = jnp.where(at_end, 0.5, probability)
        log_z = self._log_normalizer()
        # Mass of the untruncated Normal below (and above) the answer, each in log space.
        log_below = jnp.logaddexp(log_ndtr(a), jnp.log(p) + log_z)
        log_above = jnp.logaddexp(log_ndtr(-b), jnp.log1p(-p) + log_z)
        lower_side = log_below <= _LOG_HALF
        z_low = _ndtri_of_log(jnp.where(lower_side, log_below, _LOG_HALF))
        z_high = -_ndtri_of_log(jnp.where(lower_side, _LOG_HALF, log_above))
        z = jnp.clip(jnp.where(lower_side, z_low, z_high), a, b)
        x = jnp.clip(self.loc + self.scale * z, self.low, self.high)
        return jnp.where(probability <= 0, self.low, jnp.where(probability >= 1, self.high, x))

    def _sample(self, shape, key):
        u = threefry.uniform(key, shape, self.dtype, minval=jnp.finfo(self.dtype).tiny, maxval=1.0)
        return self._quantile(u)

    # ------------------------------------------------------------------ summaries
    def _standard_moments(self):
        """(mean, variance, entropy) of (X - loc) / scale, the Normal(0, 1) truncated to [a, b]."""
        a, b = self._standardized_bounds()
        ratio_a, ratio_b = self._pdf_ratios()
        a_term, b_term = a * ratio_a, b * ratio_b
        mean = ratio_a - ratio_b
        variance = 1 + a_term - b_term - jnp.square(mean)
        entropy = 0.5 + _HALF_LOG_TWO_PI + self._log_normalizer() + 0.5 * (a_term - b_term)
        # Far in a tail, or over a narrow interval, those closed forms cancel catastrophically
        # (e.g. the variance ~ 1/a^2 is 1 + a r_a - r_a^2 with r_a ~ a): there, take the moments
        # of the distance Y from the end nearer the Normal's center, whose density is
        # proportional to exp(-c y - y^2 / 2) on [0, b - a].
        mirror = a + b > 0
        c = jnp.where(mirror, a, -b)
        width = b - a
        narrow = jnp.abs(c) * width + 0.5 * jnp.square(width) <= _QUADRATURE_SPAN
        tail = ~narrow & (c >= _TAIL_START)
        q_mean, q_variance, q_entropy = _quadrature_moments(
            jnp.where(narrow, c, 0.0), jnp.where(narrow, width, 1.0)
        )
        t_mean, t_variance, t_entropy = _exponential_tail_moments(
            jnp.where(tail, c, _TAIL_START), jnp.where(tail, width, 1.0)
        )
        y_mean = jnp.where(narrow, q_mean, t_mean)
        shifted = jnp.where(mirror, c + y_mean, -(c + y_mean))
        mean = jnp.where(narrow | tail, shifted, mean)
        variance = jnp.where(narrow, q_variance, jnp.where(tail, t_variance, variance))
        entropy = jnp.where(narrow, q_entropy, jnp.where(tail, t_entropy, entropy))
        return mean, variance, entropy

    def _mean(self):
        return self.loc + self.scale * self._standard_moments()[0]

    def _variance(self):
        return jnp.square(self.scale) * self._standard_moments()[1]

    def _mode(self):
        return jnp.clip(self.loc, self.low, self.high)

    def _entropy(self):
        return self._standard_moments()[2] + jnp.log(self.scale)
