"""The von Mises distribution on an interval of length 2 pi around `loc`."""

from __future__ import annotations

import math
from fractions import Fraction

import jax
import jax.numpy as jnp
from jax.scipy import special

from probax._internal import threefry
from probax.distributions import constraints
from probax.distributions.distribution import Distribution, ParameterProperties
from probax.math.normal_tails import log_ndtr

_LOG_TWO_PI = math.log(2 * math.pi)
# Hill (1977), Algorithm 518, 12-digit settings: the Fourier series below kappa = 50
# (with ceil(28 + kappa / 2 - 100 / (kappa + 5)) <= 52 terms), a corrected normal
# approximation above.
_SERIES_CUTOFF = 50.0
_SERIES_TERMS = 52
# Above this concentration 1 - I1/I0 comes from its asymptotic expansion (no cancellation).
_RATIO_CUTOFF = 50.0


def _hankel_coefficients(order: int, terms: int) -> list[Fraction]:
    """c_k with I_order(k) ~ exp(k) / sqrt(2 pi k) * sum_k c_k k^-k (large-argument expansion)."""
    mu = 4 * order * order
    coefficients, product = [], Fraction(1)
    for k in range(terms):
        if k > 0:
            product *= Fraction(-(mu - (2 * k - 1) ** 2), 8 * k)
        coefficients.append(product)
    return coefficients


_I0_SERIES = _hankel_coefficients(0, 13)
_I1_SERIES = _hankel_coefficients(1, 13)
_DIFFERENCE_SERIES = tuple(float(a - b) for a, b in zip(_I0_SERIES, _I1_SERIES, strict=True))
_I0_FLOAT_SERIES = tuple(float(a) for a in _I0_SERIES)


def _horner(coefficients, x):
    result = jnp.zeros_like(x)
    for c in reversed(coefficients):
        result = result * x + c
    return result


def _one_minus_bessel_ratio(kappa):
    """1 - I1(kappa) / I0(kappa), accurate in relative terms for every kappa >= 0."""
    large = kappa >= _RATIO_CUTOFF
    inverse = 1 / jnp.where(large, kappa, _RATIO_CUTOFF)
    asymptotic = _horner(_DIFFERENCE_SERIES, inverse) / _horner(_I0_FLOAT_SERIES, inverse)
    small = jnp.where(large, 0.0, kappa)
    i0e = special.i0e(small)
    direct = (i0e - special.i1e(small)) / i0e
    return jnp.where(large, asymptotic, direct)


def _cdf_series(w, kappa):
    """Hill's backward recurrence for the Fourier series of the centered cdf (small kappa)."""
    shape = jnp.broadcast_shapes(w.shape, kappa.shape)
    w = jnp.broadcast_to(w, shape)
    kappa = jnp.broadcast_to(kappa, shape)

    def step(carry, n):
        ratio, total = carry
        # ratio = I_n / I_{n-1} by its continued fraction, written to stay finite at kappa = 0.
        ratio = kappa / (2 * n + kappa * ratio)
        total = ratio * (jnp.sin(n * w) / n + total)
        return (ratio, total), None

    orders = jnp.arange(_SERIES_TERMS - 1, 0, -1, dtype=w.dtype)
    zero = jnp.zeros(shape, w.dtype)
    (_, total), _ = jax.lax.scan(step, (zero, zero), orders)
    return jnp.clip(0.5 + w / (2 * math.pi) + total / math.pi, 0.0, 1.0)


def _normal_argument(w, kappa):
    """Hill's corrected normal deviate: the centered cdf is Phi of it (large kappa)."""
    z = math.sqrt(2 / math.pi) / special.i0e(kappa) * jnp.sin(0.5 * w)
    z2 = jnp.square(z)
    c = 24 * kappa
    correction = (c - 2 * z2 - 16) / 3 - (jnp.square(z2) + 1.75 * z2 + 83.5) / (c - 56 - z2 + 3)
    return z - z * z2 / jnp.square(correction)


def _centered_log_cdf(w, kappa):
    """The log of P[W <= w] for W ~ VonMises(0, kappa), w in [-pi, pi]."""
    series = kappa < _SERIES_CUTOFF
    series_value = jnp.log(_cdf_series(w, jnp.where(series, kappa, 0.0)))
    normal_value = log_ndtr(_normal_argument(w, jnp.where(series, _SERIES_CUTOFF, kappa)))
    return jnp.where(series, series_value, normal_value)


def _centered_cdf(w, kappa):
    series = kappa < _SERIES_CUTOFF
    series_value = _cdf_series(w, jnp.where(series, kappa, 0.0))
    normal_value = special.ndtr(_normal_argument(w, jnp.where(series, _SERIES_CUTOFF, kappa)))
    return jnp.where(series, series_value, normal_value)


def _centered_log_prob(w, kappa):
    return -2 * kappa * jnp.square(jnp.sin(0.5 * w)) - _LOG_TWO_PI - jnp.log(special.i0e(kappa))


def _best_fisher(kappa, key, shape):
    """Rejection sampler of Best and Fisher (1979) for VonMises(0, kappa), wrapped Cauchy envelope.

    The envelope parameter s = (1 + rho^2) / (2 rho) and the proposal w = cos(angle)
    are carried as s - 1 and 1 - w (both small when kappa is large), and the angle
    is recovered as 2 asin(sqrt((1 - w) / 2)), so large concentrations keep their
    precision in float32.
    """
    dtype = kappa.dtype
    kappa = jnp.broadcast_to(kappa, shape)
    root = jnp.hypot(1.0, 2 * kappa)  # sqrt(1 + 4 kappa^2)
    r = 1 + root
    sqrt_2r = jnp.sqrt(2 * r)
    scaled_rho = (4 / (root + 1)) * (r / (r + sqrt_2r))  # 2 rho / kappa, finite at kappa = 0
    rho = 0.5 * kappa * scaled_rho
    safe_kappa = jnp.where(rho < 0.5, 1.0, kappa)
    one_minus_rho = jnp.where(
        rho < 0.5, 1 - rho, (sqrt_2r - 1 - 1 / (2 * safe_kappa + root)) / (2 * safe_kappa)
    )
    kappa_s_minus_1 = jnp.square(one_minus_rho) / scaled_rho  # kappa (s - 1)
    t = 2 * rho / (1 + jnp.square(rho))  # 1 / s
    one_minus_t = jnp.square(one_minus_rho) / (1 + jnp.square(rho))

    def propose(state):
        step, done, angle = state
        u_key, v_key = jax.random.split(jax.random.fold_in(key, step))
        u = threefry.uniform(u_key, shape, dtype, minval=-1.0, maxval=1.0)
        v = threefry.uniform(v_key, shape, dtype, minval=jnp.finfo(dtype).tiny, maxval=1.0)
        one_minus_z = 2 * jnp.square(jnp.sin(0.5 * math.pi * u))  # 1 - cos(pi u)
        one_plus_z = 2 * jnp.square(jnp.cos(0.5 * math.pi * u))  # 1 + cos(pi u)
        # w = (1 + s z) / (s + z) with s = 1 / t; 1 + t z = (1 - t) + t (1 + z) keeps precision
        # when t -> 1 and z -> -1 (large concentrations).
        one_minus_w = one_minus_t * one_minus_z / (one_minus_t + t * one_plus_z)
        y = kappa_s_minus_1 + kappa * one_minus_w
        accept = (y * (2 - y) >= v) | (jnp.log(y / v) + 1 >= y)
        proposal = jnp.sign(u) * 2 * jnp.arcsin(jnp.sqrt(jnp.clip(0.5 * one_minus_w, 0.0, 1.0)))
        angle = jnp.where(done, angle, proposal)
        return step + 1, done | accept, angle

    def pending(state):
        return ~jnp.all(state[1])

    init = (jnp.asarray(0, jnp.int32), jnp.zeros(shape, bool), jnp.zeros(shape, dtype))
    return jax.lax.while_loop(pending, propose, init)[2]


def _sample_centered(kappa, key, shape):
    """Draws of VonMises(0, kappa) with implicit reparameterization gradients in kappa."""

    @jax.custom_jvp
    def draw(concentration):
        return _best_fisher(concentration, key, shape)

    @draw.defjvp
    def _draw_jvp(primals, tangents):
        (concentration,), (tangent,) = primals, tangents
        w = draw(concentration)
        # Implicit differentiation of F(w; kappa) = u: dw/dkappa = -(dF/dkappa) / p(w).
        _, cdf_slope = jax.jvp(lambda c: _centered_cdf(w, c), (concentration,),
                               (jnp.ones_like(concentration),))
        log_density = _centered_log_prob(w, concentration)
        density = jnp.exp(log_density)
        slope = jnp.where(density > 0, -cdf_slope / jnp.where(density > 0, density, 1.0), 0.0)
        return w, slope * tangent

    return draw(kappa)


class VonMises(Distribution):
    """Von Mises distribution: a Normal-like law for angles, on `[loc - pi, loc + pi]`.

    pdf(x) = exp(concentration * cos(x - loc)) / (2 pi I0(concentration)),

    with I0 the modified Bessel function of order zero. Values are not wrapped:
    the support is the interval of length 2 pi centered at `loc`.

    Args:
      loc: circular mean (the center of the support).
      concentration: kappa >= 0; 0 is the uniform law, large values approach
        a Normal with variance 1 / kappa.
      validate_args: check parameters and values, raising `ValueError` on bad ones.
      allow_nan_stats: return NaN for undefined statistics instead of raising.
      name: a name for this distribution.

    Example:
      >>> d = VonMises(loc=0., concentration=2.)
      >>> x = d.sample(3, seed=0)
      >>> float(d.cdf(0.))
      0.5

    """

    def __init__(self, loc, concentration, validate_args=False, allow_nan_stats=True, name=None):
        super().__init__(loc=loc, concentration=concentration, validate_args=validate_args,
                         allow_nan_stats=allow_nan_stats, name=name)

    @classmethod
    def _parameter_properties(cls):
        return dict(
            loc=ParameterProperties(constraint=constraints.real),
            concentration=ParameterProperties(constraint=constraints.nonnegative),
        )

    def _support(self):
        return constraints.interval(self.loc - math.pi, self.loc + math.pi,
                                    description="inside [loc - pi, loc + pi]")

    def _centered(self, x):
        return jnp.clip(x - self.loc, -math.pi, math.pi)

    def _log_prob(self, x):
        return _centered_log_prob(x - self.loc, self.concentration)

    def _cdf(self, x):
        return _centered_cdf(self._centered(x), self.concentration)

    def _log_cdf(self, x):
        return _centered_log_cdf(self._centered(x), self.concentration)

    def _survival_function(self, x):
        return _centered_cdf(-self._centered(x), self.concentration)

    def _log_survival_function(self, x):
        return _centered_log_cdf(-self._centered(x), self.concentration)

    def _sample(self, shape, key):
        return self.loc + _sample_centered(self.concentration, key, shape)

    def _mean(self):
        return self.loc

    def _mode(self):
        return self.loc

    def _variance(self):
        # The circular variance 1 - E[cos(X - loc)], as TFP defines it.
        return jnp.broadcast_to(_one_minus_bessel_ratio(self.concentration),
                                jnp.broadcast_shapes(self.loc.shape, self.concentration.shape))

    def _entropy(self):
        kappa = self.concentration
        return _LOG_TWO_PI + jnp.log(special.i0e(kappa)) + kappa * _one_minus_bessel_ratio(kappa)
