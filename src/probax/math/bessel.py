"""Modified Bessel functions of the first kind, I_v(z), for a fixed real order v >= 0.

JAX ships `i0e` and `i1e` only. The von Mises-Fisher family in dimension d needs
I_{d/2 - 1} and the ratio I_{d/2} / I_{d/2 - 1}, in log space and for concentrations
from 0 to far beyond where I_v overflows. The order is static (a Python number);
the argument z >= 0 is an array.

Method, for z > 2: the uniform asymptotic (Debye) expansion
log I_n(z) ~ s + n log(z / (n + s)) - log(2 pi s) / 2 + log sum_k u_k(n / s) / n^k,
s = sqrt(n^2 + z^2), taken at an order n >= 20 with twelve correction terms (relative
error below 1e-15 for every z), then the ratios r_j = I_{j+1} / I_j are carried down
from order n to v by the backward recurrence r_{j-1} = z / (2 j + z r_j), which is
stable in that direction, and log I_v = log I_n - sum log r_j. Their complements
1 - r_j are carried alongside, so 1 - I_{v+1} / I_v stays accurate when the ratio
tends to 1 (large z). For z <= 2 the power series converges in 14 terms.
"""

from __future__ import annotations

import functools
import math
from fractions import Fraction

import jax
import jax.numpy as jnp

_MIN_DEBYE_ORDER = 20
_DEBYE_TERMS = 12
# The power series has positive terms only; up to z = 10, 28 of them reach double precision.
_SERIES_CUTOFF = 10.0
_SERIES_TERMS = 28
# The large-argument (Hankel) expansion takes over where its terms fall fast from the start:
# z >= max(50, 5 (v + 1)^2); 16 terms then reach double precision.
_HANKEL_MIN_ARGUMENT = 50.0
_HANKEL_TERMS = 16


def _hankel_cutoff(v: float) -> float:
    return max(_HANKEL_MIN_ARGUMENT, 5 * (v + 1) ** 2)


@functools.cache
def _hankel_coefficients(order: float) -> tuple[Fraction, ...]:
    """a_k with I_order(z) ~ exp(z) / sqrt(2 pi z) * sum_k a_k z^-k (signs included)."""
    mu = 4 * Fraction(order) ** 2
    coefficients, term = [], Fraction(1)
    for k in range(_HANKEL_TERMS):
        if k:
            term *= -(mu - (2 * k - 1) ** 2) / (8 * k)
        coefficients.append(term)
    return tuple(coefficients)


def _hankel(v: float, x):
    """(log I_v(x) - x, I_{v+1}(x) / I_v(x), 1 - that ratio) for x >= _hankel_cutoff(v)."""
    # Powers of cutoff / x <= 1 with coefficients a_k / cutoff^k: no coefficient overflows float32.
    cutoff = Fraction(_hankel_cutoff(v))
    scaled = float(cutoff) / x
    lower = [c / cutoff**k for k, c in enumerate(_hankel_coefficients(v))]
    upper = [c / cutoff**k for k, c in enumerate(_hankel_coefficients(v + 1))]
    series = _horner(tuple(float(c) for c in lower), scaled)
    # The difference of the two series term by term: exact coefficients, no cancellation.
    difference = _horner(tuple(float(a - b) for a, b in zip(lower, upper, strict=True)), scaled)
    complement = difference / series
    return jnp.log(series) - 0.5 * jnp.log(2 * math.pi * x), 1 - complement, complement


@functools.cache
def _debye_polynomials(terms: int) -> tuple[tuple[Fraction, ...], ...]:
    """Coefficients (ascending powers of t) of the Debye polynomials u_0 .. u_terms.

    u_{k+1}(t) = t^2 (1 - t^2) u_k'(t) / 2 + (1/8) int_0^t (1 - 5 s^2) u_k(s) ds.
    """
    polynomials = [(Fraction(1),)]
    for _ in range(terms):
        u = polynomials[-1]
        following = [Fraction(0)] * (len(u) + 3)
        for power, c in enumerate(u):
            if power:
                following[power + 1] += power * c / 2
                following[power + 3] -= power * c / 2
            following[power + 1] += c / (8 * (power + 1))
            following[power + 3] -= 5 * c / (8 * (power + 3))
        polynomials.append(tuple(following))
    return tuple(polynomials)


@functools.cache
def _debye_series(order: float) -> tuple[float, ...]:
    """sum_k u_k(t) / order^k as one polynomial in t (ascending powers), for a fixed order."""
    polynomials = _debye_polynomials(_DEBYE_TERMS)
    inverse = 1 / Fraction(order)
    combined = [Fraction(0)] * len(polynomials[-1])
    for k, u in enumerate(polynomials):
        for power, c in enumerate(u):
            combined[power] += c * inverse**k
    return tuple(float(c) for c in combined)


def _horner(coefficients, x):
    result = jnp.zeros_like(x)
    for c in reversed(coefficients):
        result = result * x + c
    return result


def _debye_parts(order: float, x):
    """(log I_order(x) - x + log(2 pi s) / 2, s): the Debye expansion without its large log term."""
    s = jnp.hypot(order, x)
    s_minus_x = order**2 / (s + x)
    # order * log(x / (order + s)), written with log1p so it stays accurate when x >> order.
    power_term = -order * jnp.log1p((order + s_minus_x) / x)
    return s_minus_x + power_term + jnp.log(_horner(_debye_series(order), order / s)), s


def _large_argument(v: float, x):
    """(log I_v(x) - x, I_{v+1}(x) / I_v(x), 1 - that ratio) for x > 0 (between series and Hankel)."""
    steps = max(0, math.ceil(_MIN_DEBYE_ORDER - v))
    order = v + steps
    main, s = _debye_parts(order, x)
    main_next, s_next = _debye_parts(order + 1, x)
    log_ive = main - 0.5 * jnp.log(2 * math.pi * s)
    # log(I_{n+1} / I_n), differencing the log(2 pi s) / 2 terms analytically.
    log_ratio = main_next - main - 0.5 * jnp.log1p((2 * order + 1) / ((s_next + s) * s))
    ratio, complement = jnp.exp(log_ratio), -jnp.expm1(log_ratio)

    def down_one_order(i, carry):
        ratio, complement, log_ratio_sum = carry
        j = order - i
        denominator = 2 * j + x * ratio
        ratio, complement = x / denominator, (2 * j - x * complement) / denominator
        log_ratio_sum += jnp.where(complement < 0.5, jnp.log1p(-complement), jnp.log(ratio))
        return ratio, complement, log_ratio_sum

    ratio, complement, log_ratio_sum = jax.lax.fori_loop(
        0, steps, down_one_order, (ratio, complement, jnp.zeros_like(x))
    )
    return log_ive - log_ratio_sum, ratio, complement


def _power_series(v: float, x):
    """sum_k (x^2 / 4)^k / (k! (v + 1)_k), by Horner's rule in x^2 / 4."""
    y = 0.25 * jnp.square(x)
    result = jnp.ones_like(x)
    for k in range(_SERIES_TERMS, 0, -1):
        result = 1 + y / (k * (v + k)) * result
    return result


def _small_argument(v: float, x):
    """(log I_v(x) - x, I_{v+1}(x) / I_v(x), 1 - that ratio) for 0 < x <= 10."""
    series = _power_series(v, x)
    log_ive = jnp.log(series) - x - math.lgamma(v + 1)
    if v:
        log_ive += v * jnp.log(0.5 * x)
    ratio = 0.5 * x / (v + 1) * _power_series(v + 1, x) / series
    return log_ive, ratio, 1 - ratio


def _log_ive_and_ratio(v: float, x):
    """(log(I_v(x) e^-x), I_{v+1}(x) / I_v(x), 1 - I_{v+1}(x) / I_v(x)) for x >= 0."""
    positive = x > 0
    cutoff = _hankel_cutoff(v)
    small, large = x <= _SERIES_CUTOFF, x >= cutoff
    # Each branch sees an argument inside its own range, so none makes NaNs (or NaN gradients).
    small_values = _small_argument(v, jnp.where(small & positive, x, 1.0))
    middle_values = _large_argument(v, jnp.clip(x, _SERIES_CUTOFF, cutoff))
    large_values = _hankel(v, jnp.where(large, x, cutoff))
    log_ive, ratio, complement = (
        jnp.where(small, a, jnp.where(large, c, b))
        for a, b, c in zip(small_values, middle_values, large_values, strict=True)
    )
    # I_v(0) is 1 for v = 0 and 0 otherwise; the ratio vanishes at 0.
    log_ive = jnp.where(positive, log_ive, 0.0 if v == 0 else -jnp.inf)
    return log_ive, jnp.where(positive, ratio, 0.0), jnp.where(positive, complement, 1.0)


@functools.partial(jax.custom_jvp, nondiff_argnums=(0,))
def _log_ive(v: float, x):
    return _log_ive_and_ratio(v, x)[0]


@_log_ive.defjvp
def _log_ive_jvp(v, primals, tangents):
    (x,), (x_dot,) = primals, tangents
    log_ive, ratio, _ = _log_ive_and_ratio(v, x)
    # d/dx log I_v = I_{v+1} / I_v + v / x.
    slope = ratio - 1 + v / x if v else ratio - 1
    return log_ive, slope * x_dot


@functools.partial(jax.custom_jvp, nondiff_argnums=(0,))
def _ratio_and_complement(v: float, x):
    """(I_v / I_{v-1}, 1 - I_v / I_{v-1}) at x."""
    _, ratio, complement = _log_ive_and_ratio(v - 1, x)
    return ratio, complement


@_ratio_and_complement.defjvp
def _ratio_and_complement_jvp(v, primals, tangents):
    (x,), (x_dot,) = primals, tangents
    ratio, complement = _ratio_and_complement(v, x)
    # Riccati equation of h = I_v / I_{v-1}: h' = 1 - h^2 - (2 v - 1) h / x, with h / x -> 1 / (2 v) at 0.
    safe_x = jnp.where(x > 0, x, 1.0)
    ratio_over_x = jnp.where(x > 0, ratio / safe_x, 1 / (2 * v))
    slope = complement * (1 + ratio) - (2 * v - 1) * ratio_over_x
    return (ratio, complement), (slope * x_dot, -slope * x_dot)


def _static_order(v, minimum: float, caller: str) -> float:
    if isinstance(v, bool) or not isinstance(v, int | float) or not math.isfinite(v) or v < minimum:
        raise ValueError(
            f"{caller}: the order v must be a Python number >= {minimum:g} (static), got {v!r}."
        )
    return float(v)


def _as_float_array(z):
    z = jnp.asarray(z)
    return z if jnp.issubdtype(z.dtype, jnp.floating) else z.astype(jnp.result_type(float))


@functools.partial(jax.jit, static_argnums=0)
def _log_bessel_ive(v, z):
    return _log_ive(v, z)


@functools.partial(jax.jit, static_argnums=0)
def _bessel_ratio_pair(v, z):
    return _ratio_and_complement(v, z)


def log_bessel_ive(v: float, z) -> jax.Array:
    """log(I_v(z) exp(-z)): the log of the exponentially scaled modified Bessel function I_v.

    Accurate to a few units in the last place of float32 and to about 1e-14 (relative, or
    absolute where the value is near 0) in float64 for every z >= 0, including z far
    beyond where I_v(z) overflows. Its derivative in z, I_{v+1}/I_v + v/z - 1, is exact.

    Args:
      v: the order, a Python number >= 0 (static: a new order compiles a new program).
      z: the argument, an array of non-negative reals (NaN for negative z).

    Returns:
      An array like `z`: 0 at z = 0 for v = 0, -inf at z = 0 for v > 0.

    Example:
      >>> round(float(log_bessel_ive(0.5, 1.0)), 6)  # I_1/2(z) = sqrt(2 / (pi z)) sinh(z)
      -1.064352

    """
    return _log_bessel_ive(_static_order(v, 0.0, "log_bessel_ive"), _as_float_array(z))


def bessel_iv_ratio(v: float, z) -> jax.Array:
    """I_v(z) / I_{v-1}(z), the ratio behind von Mises-Fisher means (TFP's `bessel_iv_ratio`).

    Args:
      v: the order of the numerator, a Python number >= 1 (static).
      z: the argument, an array of non-negative reals.

    Returns:
      An array like `z` with values in [0, 1): 0 at z = 0, tending to 1 as z grows.

    Example:
      >>> round(float(bessel_iv_ratio(1.5, 2.0)), 6)  # coth(2) - 1/2
      0.537315

    """
    return _bessel_ratio_pair(_static_order(v, 1.0, "bessel_iv_ratio"), _as_float_array(z))[0]


def one_minus_bessel_iv_ratio(v: float, z) -> jax.Array:
    """1 - I_v(z) / I_{v-1}(z), accurate in relative terms when the ratio tends to 1 (large z).

    Args:
      v: the order of the numerator, a Python number >= 1 (static).
      z: the argument, an array of non-negative reals.

    Returns:
      An array like `z` with values in (0, 1]; about (2 v - 1) / (2 z) for large z.

    Example:
      >>> float(one_minus_bessel_iv_ratio(1.5, 1e8))  # 1 / z + O(z^-2)
      1e-08

    """
    return _bessel_ratio_pair(_static_order(v, 1.0, "one_minus_bessel_iv_ratio"), _as_float_array(z))[1]

