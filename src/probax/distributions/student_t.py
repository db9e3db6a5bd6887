"""Student's t distribution."""

from __future__ import annotations

import math

import jax
import jax.numpy as jnp
from jax.scipy import special

from probax._internal import threefry
from probax.distributions import constraints
from probax.distributions.cauchy import log1p_square
from probax.distributions.distribution import Distribution, ParameterProperties
from probax.math import find_root_chandrupatla, log1mexp, log_beta, random_gamma
from probax.math.normal_tails import log_ndtr

_LOG_TWO = math.log(2.0)


def log_normalizer(df, scale):
    """Log of the standard-t normalizer divided by scale: -log(sqrt(df) B(df/2, 1/2) scale)."""
    return -log_beta(0.5 * df, 0.5) - 0.5 * jnp.log(df) - jnp.log(scale)


@jax.jit
def standard_log_prob(df, t, scale):
    """Log pdf of loc + scale * T at a standardized value t."""
    return log_normalizer(df, scale) - 0.5 * (df + 1) * log1p_square(t / jnp.sqrt(df))


_SERIES_TERMS = 40
_SQRT_HALF = math.sqrt(0.5)


def _log_tail_series(half_df, log1p_s2):
    """Log I_x(a, 1/2), x = exp(-log1p_s2) <= 1/e, a = df/2: log P[|T| > |t|] in the tails.

    I_x(a, b) = x**a (1 - x)**b / (a B(a, b)) 2F1(a + b, 1; a + 1; x); the series terms shrink
    at least like x**k, so 40 of them reach float64 rounding for x <= 1/e. The prefactor is
    formed in logs from log x = -log1p(s**2), so it is exact for any df and never underflows.
    """
    x = jnp.exp(-log1p_s2)

    def add_term(k, carry):
        term, total = carry
        term = term * x * (half_df + 0.5 + k) / (half_df + 1 + k)
        return term, total + term

    ones = jnp.ones_like(x * half_df)
    _, total = jax.lax.fori_loop(0, _SERIES_TERMS, add_term, (ones, ones))
    return (
        -half_df * log1p_s2
        + 0.5 * log1mexp(-log1p_s2)
        - jnp.log(half_df)
        - log_beta(half_df, 0.5)
        + jnp.log(total)
    )


def _hill_z(df, log1p_s2):
    """Normal deviate z with P[|T| > |t|] = 2 Phi(-z), from Hill's (1970) asymptotic expansion."""
    a = df - 0.5
    b = 48 * jnp.square(a)
    y = a * log1p_s2
    correction = (((-0.4 * y - 3.3) * y - 24.0) * y - 85.5) / (0.8 * jnp.square(y) + 100.0 + b)
    return ((correction + y + 3.0) / b + 1.0) * jnp.sqrt(y)


def _beta_half_probabilities(df, y, one_minus_y, log_y, log1p_s2):
    """Accurate P[Y <= y] and P[Y > y] for Y ~ Beta(1/2, df/2), plus their logs.

    Here Y = T**2 / (df + T**2), so these are P[|T| <= |t|] and P[|T| > |t|]; the caller
    supplies y, 1 - y, log y and log1p(s**2) = -log(1 - y) (s = t / sqrt(df)), each with full
    relative precision. Four regimes:

    - tails (1 - y <= 1/e): the log-space hypergeometric series, exact for every df;
    - center (y (1 + df/2) < eps): the leading term 2 sqrt(y) / B(1/2, df/2);
    - Hill's normal expansion (relative error of log P below 1e-9 for df > 20 there): in
      float32 for df > 20, where `betainc` loses digits in its log-beta prefactor (errors
      ~2e-7 df); in float64 for df > 1e4 (where it beats `betainc`'s ~1e-10) and wherever
      P[|T| > |t|] < exp(-600), which `betainc` would underflow;
    - otherwise `betainc` at both arguments, trusting the smaller result and taking the other
      as its complement, so a small probability keeps its relative precision.
    """
    dtype = jnp.result_type(y)
    half_df = 0.5 * df
    eps = jnp.finfo(dtype).eps
    tail = log1p_s2 >= 1
    near = ~tail & (y * (1 + half_df) < eps)
    if dtype == jnp.float32:
        hill = ~tail & ~near & (df > 20)
    else:
        hill = ~tail & ~near & ((df > 1e4) | (half_df * log1p_s2 > 600))
    direct = ~(tail | near | hill)

    # Each regime gets a safe input elsewhere, so that unused branches produce no NaN gradients.
    inner = special.betainc(0.5, half_df, jnp.where(direct, y, 0.5))
    outer = special.betainc(half_df, 0.5, jnp.where(direct, one_minus_y, 0.5))
    trust_outer = outer < inner
    direct_in = jnp.where(trust_outer, 1 - outer, inner)
    direct_out = jnp.where(trust_outer, outer, 1 - inner)

    z = _hill_z(df, jnp.where(hill, log1p_s2, 0.5)) * _SQRT_HALF
    hill_in, hill_out = special.erf(z), special.erfc(z)
    hill_log_in = jnp.where(z < 1, jnp.log(hill_in), jnp.log1p(-hill_out))
    hill_log_out = _LOG_TWO + log_ndtr(-z / _SQRT_HALF)

    # The leading terms may overshoot a probability of nearly 1 by a rounding: clip at log 1 = 0.
    log_tail = jnp.minimum(_log_tail_series(half_df, jnp.where(tail, log1p_s2, 1.0)), 0.0)
    log_near = jnp.minimum(
        0.5 * jnp.where(near, log_y, -1.0) + _LOG_TWO - log_beta(half_df, 0.5), 0.0
    )

    def pick(tail_value, near_value, hill_value, direct_value):
        inside = jnp.where(hill, hill_value, direct_value)
        return jnp.where(tail, tail_value, jnp.where(near, near_value, inside))

    safe_direct_in = jnp.where(direct, direct_in, 1.0)
    safe_direct_out = jnp.where(direct, direct_out, 1.0)
    p_in = pick(-jnp.expm1(log_tail), jnp.exp(log_near), hill_in, direct_in)
    p_out = pick(jnp.exp(log_tail), -jnp.expm1(log_near), hill_out, direct_out)
    log_p_in = pick(log1mexp(log_tail), log_near, hill_log_in, jnp.log(safe_direct_in))
    log_p_out = pick(log_tail, log1mexp(log_near), hill_log_out, jnp.log(safe_direct_out))
    return p_in, p_out, log_p_in, log_p_out


# Jitted so that eager calls reuse one compiled program (the loops inside retrace otherwise).
@jax.jit
def abs_t_probabilities(df, t):
    """(P[|T| <= |t|], P[|T| > |t|]) for standard Student's t, and their logs, all accurate."""
    s = t / jnp.sqrt(df)
    nonzero = s != 0
    safe_s = jnp.where(nonzero, s, 1.0)
    s2 = jnp.square(s)
    overflow = jnp.isinf(s2)
    safe_s2 = jnp.where(overflow, 1.0, s2)
    y = jnp.where(overflow, 1.0, safe_s2 / (1 + safe_s2))
    one_minus_y = jnp.where(overflow, 0.0, 1 / (1 + safe_s2))
    log_y = jnp.where(nonzero, 2 * jnp.log(jnp.abs(safe_s)) - log1p_square(safe_s), -jnp.inf)
    return _beta_half_probabilities(df, y, one_minus_y, log_y, log1p_square(s))


def central_half_probability(df, t):
    """P[0 < T <= t] (negative for t < 0) for |t| so small that the leading term is exact.

    Equals sign(t) P[|T| <= |t|] / 2 = s / (sqrt(1 + s**2) B(1/2, df/2)), s = t / sqrt(df), to
    rounding where `abs_t_probabilities` uses its small-y series; written with the sign inside so
    its derivative at t = 0 is the density there.
    """
    s = t / jnp.sqrt(df)
    return s * jax.lax.rsqrt(1 + jnp.square(s)) * jnp.exp(-log_beta(0.5 * df, 0.5))


def is_central(df, t):
    """Where `central_half_probability` is exact to rounding (y (1 + df/2) < eps)."""
    eps = jnp.finfo(jnp.result_type(t)).eps
    s2 = jnp.square(t) / df
    return s2 / (1 + s2) * (1 + 0.5 * df) < eps


@jax.jit
def standard_cdf(df, t):
    """Standard Student's t cdf P[T <= t]; P[T > t] is the same at -t (symmetry)."""
    _, p_out, _, _ = abs_t_probabilities(df, t)
    # With p_out = P[|T| > |t|], the tail beyond t on its own side holds p_out / 2; right at the
    # center the leading-term form keeps the derivative at t = 0 (the density) right.
    tails = jnp.where(t < 0, 0.5 * p_out, 1 - 0.5 * p_out)
    return jnp.where(is_central(df, t), 0.5 + central_half_probability(df, t), tails)


@jax.jit
def standard_log_cdf(df, t):
    """Standard Student's t log cdf log P[T <= t], accurate in both tails."""
    _, p_out, _, log_p_out = abs_t_probabilities(df, t)
    tails = jnp.where(t < 0, log_p_out - _LOG_TWO, jnp.log1p(-0.5 * p_out))
    return jnp.where(is_central(df, t), jnp.log1p(2 * central_half_probability(df, t)) - _LOG_TWO, tails)


@jax.jit
def _abs_t_quantile(df, p_in, p_out):
    """|t| with P[|T| <= |t|] = p_in for standard Student's t; p_out = 1 - p_in, given separately.

    Pass whichever of the two probabilities is small with full relative precision (the other
    then only needs absolute precision): the root is found by comparing the logs of the small
    one. The unknown is l = log(t**2 / df) = logit(y), from which y, 1 - y and both their
    logs follow with full relative precision, so t = sqrt(df) exp(l / 2) is accurate from
    tiny to huge values and in either tail.
    """
    dtype = jnp.result_type(p_in)
    p_in, p_out, df = jnp.broadcast_arrays(p_in, p_out, df)
    use_in = p_in <= p_out
    degenerate = (p_in <= 0) | (p_out <= 0)
    log_target = jnp.log(jnp.where(degenerate, 0.5, jnp.where(use_in, p_in, p_out)))

    def objective(log_ratio):
        _, _, log_p_in, log_p_out = _beta_half_probabilities(
            df,
            jax.nn.sigmoid(log_ratio),
            jax.nn.sigmoid(-log_ratio),
            -jax.nn.softplus(-log_ratio),
            jax.nn.softplus(log_ratio),
        )
        return jnp.where(use_in, log_p_in - log_target, log_target - log_p_out)

    # t = sqrt(df) exp(l / 2) spans every float for l in this bracket.
    bound = -4 * math.log(float(jnp.finfo(dtype).tiny))
    log_ratio = find_root_chandrupatla(objective, jnp.full_like(p_in, -bound), jnp.full_like(p_in, bound))
    t = jnp.exp(0.5 * (log_ratio + jnp.log(df)))
    return jnp.where(p_in <= 0, 0.0, jnp.where(p_out <= 0, jnp.inf, t))


@jax.custom_jvp
def abs_t_quantile(df, p_in, p_out):
    """|t| with P[|T| <= |t|] = p_in for standard Student's t; see `_abs_t_quantile`.

    Differentiable in the probabilities (d|t|/dp = 1 / density of |T|); not in `df`, as
    jax's `betainc` has no derivative in its shape parameters.
    """
    return _abs_t_quantile(df, p_in, p_out)


def _abs_t_quantile_jvp(primals, tangents):
    df, p_in, p_out = primals
    df_dot, p_in_dot, p_out_dot = tangents
    if not isinstance(df_dot, jax.custom_derivatives.SymbolicZero):
        raise NotImplementedError(
            "StudentT/HalfStudentT.quantile is not differentiable in `df`: jax's betainc has no "
            "derivative in its shape parameters."
        )
    t = _abs_t_quantile(df, p_in, p_out)
    # p_in and p_out carry the same probability (p_out = 1 - p_in): average their tangents.
    zero = jnp.zeros_like(t)
    in_dot = zero if isinstance(p_in_dot, jax.custom_derivatives.SymbolicZero) else p_in_dot
    out_dot = zero if isinstance(p_out_dot, jax.custom_derivatives.SymbolicZero) else p_out_dot
    density = 2 * jnp.exp(standard_log_prob(df, t, jnp.ones_like(t)))
    return t, 0.5 * (in_dot - out_dot) / density


abs_t_quantile.defjvp(_abs_t_quantile_jvp, symbolic_zeros=True)


def digamma_half_step(df):
    """digamma((df + 1) / 2) - digamma(df / 2), to a few ulps for every df > 0.

    With a = df/2, shift up by 25 with digamma(x + 1) = digamma(x) + 1/x (positive terms
    0.5 / ((a + k)(a + k + 1/2))), then use the asymptotic series of 2 beta(2x), Dirichlet's
    beta function, which is below 1e-14 relative for 2x >= 50. No difference of two nearly
    equal digammas is ever formed.
    """
    half_df = 0.5 * df
    shift = 25
    steps = sum(0.5 / ((half_df + k) * (half_df + k + 0.5)) for k in range(shift))
    inv = 1 / (df + 2 * shift)
    inv2 = jnp.square(inv)
    series = inv * (1 + inv * (0.5 + inv2 * (-0.25 + inv2 * (0.5 - inv2 * (17 / 8)))))
    return series + steps


@jax.jit
def standard_entropy(df):
    """Entropy of the standard Student's t with `df` degrees of freedom."""
    return (
        0.5 * (df + 1) * digamma_half_step(df)
        + 0.5 * jnp.log(df)
        + log_beta(0.5 * df, 0.5)
    )


def standard_sample(df, shape, key, dtype):
    """Standard Student's t draws: Normal / sqrt(Gamma(df/2, 1) / (df/2)).

    The gamma draw is taken in log space (no underflow for tiny df) and carries an
    implicit-reparameterization gradient, so the draws are differentiable in `df`.
    """
    normal_key, gamma_key = jax.random.split(key)
    half_df = 0.5 * df
    z = threefry.normal(normal_key, shape, dtype)
    log_gamma = random_gamma(gamma_key, jnp.broadcast_to(half_df, shape), shape, dtype, log_space=True)
    return z * jnp.exp(0.5 * (jnp.log(half_df) - log_gamma))


class StudentT(Distribution):
    """Student's t distribution with `df` degrees of freedom, location `loc` and scale `scale`.

    pdf(x) = (1 + t**2 / df)**(-(df + 1) / 2) / (sqrt(df) B(df/2, 1/2) scale),
    t = (x - loc) / scale.

    The mean is `loc` for `df > 1` and NaN otherwise; the variance is
    `scale**2 df / (df - 2)` for `df > 2`, infinite for `1 < df <= 2` and NaN for
    `df <= 1` (with `allow_nan_stats=False` NaN statistics raise instead).

    Args:
      df: degrees of freedom, positive.
      loc: location (median and mode).
      scale: positive scale.
      validate_args: check parameters and values, raising `ValueError` on bad ones.
      allow_nan_stats: return NaN for undefined statistics instead of raising.
      name: a name for this distribution.

    Example:
      >>> d = StudentT(df=3., loc=0., scale=1.)
      >>> float(d.cdf(0.))
      0.5
      >>> round(float(d.quantile(0.975)), 4)
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

    def _t(self, x):
        return (x - self.loc) / self.scale

    def _sample(self, shape, key):
        return self.loc + self.scale * standard_sample(self.df, shape, key, self.dtype)

    def _log_prob(self, x):
        return standard_log_prob(self.df, self._t(x), self.scale)

    # The survival function mirrors the cdf: P[X > x] = P[T <= -t].
    def _cdf(self, x):
        return standard_cdf(self.df, self._t(x))

    def _log_cdf(self, x):
        return standard_log_cdf(self.df, self._t(x))

    def _survival_function(self, x):
        return standard_cdf(self.df, -self._t(x))

    def _log_survival_function(self, x):
        return standard_log_cdf(self.df, -self._t(x))

    def _quantile(self, p):
        # Work with the tail probability q = min(p, 1 - p), exact in both halves; then
        # P[|T| > |t|] = 2q is exact, and 1 - 2q is exact where it is the one used (2q >= 1/2).
        lower = p < 0.5
        q = jnp.where(lower, p, 1 - p)
        magnitude = abs_t_quantile(self.df, 1 - 2 * q, 2 * q)
        return self.loc + self.scale * jnp.where(lower, -magnitude, magnitude)

    def _mean(self):
        loc = self.loc + jnp.zeros_like(self.df * self.scale)
        return jnp.where(self.df > 1, loc, jnp.nan)

    def _variance(self):
        df = self.df
        safe_df = jnp.where(df > 2, df, 3.0)
        variance = jnp.square(self.scale) * safe_df / (safe_df - 2) + jnp.zeros_like(self.loc)
        return jnp.where(df > 2, variance, jnp.where(df > 1, jnp.inf, jnp.nan))

    def _mode(self):
        return self.loc + jnp.zeros_like(self.df * self.scale)

    def _entropy(self):
        return standard_entropy(self.df) + jnp.log(self.scale) + jnp.zeros_like(self.loc)
