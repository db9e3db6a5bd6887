"""Special functions in log space and the inverses JAX does not ship.

`gammaincinv` and `betaincinv` solve the regularized incomplete gamma and beta
functions for their argument with a bracketed root search in an unconstrained
coordinate (log x for gamma, logit x for beta), so tiny quantiles keep full
relative precision. Their gradients come from implicit differentiation. Both are
jitted, so eager calls compile the search once per shape and dtype.
"""

from __future__ import annotations

import jax
import jax.numpy as jnp
from jax.scipy import special

from probax._internal.dtypes import at_own_precision
from probax.math.root_search import find_root_chandrupatla


def log1mexp(x):
    """log(1 - exp(x)) for x <= 0, accurate near 0 and for very negative x.

    Example:
      >>> round(float(log1mexp(jnp.log(0.25))), 6)  # log(0.75)
      -0.287682

    """
    x = jnp.asarray(x)
    return jnp.where(x > -0.6931472, jnp.log(-jnp.expm1(x)), jnp.log1p(-jnp.exp(x)))


def log1m(x):
    """log(1 - x), accurate for tiny x like `log1p(-x)` but cheaper on XLA CPU.

    Forms u = 1 - x (rounded) and corrects log(u) by the rounding error (u - 1) + x, which
    is exact (Sterbenz). `reduce_precision` (a no-op at the value's own precision) keeps XLA from
    simplifying the correction away algebraically.

    Example:
      >>> float(log1m(jnp.float32(1e-10))) / -1e-10  # log(1 - x) = -x to float32 precision
      1.0000000...

    """
    x = jnp.asarray(x)
    u = at_own_precision(1 - x)
    # log(1 - x) = log(u) - e/u + O(e^2) for the error e = (u - 1) + x. Using e for e/u errs by
    # |e| |1 - u| / u, under an ulp of the result while u <= 2 (for u < 1/2, e is exactly 0);
    # beyond 2, e/u is itself below an ulp of log(u) and is dropped. A select, not a divide.
    return jnp.log(u) - jnp.where(u <= 2, (u - 1) + x, 0)


def _log_range(dtype):
    info = jnp.finfo(dtype)
    return jnp.log(jnp.asarray(info.tiny, dtype)), jnp.log(jnp.asarray(info.max, dtype))


@jax.jit
def gammaincinv(a, p):
    """Inverse of the regularized lower incomplete gamma P(a, x) in x.

    Args:
      a: positive shape.
      p: probabilities in [0, 1].

    Returns:
      x >= 0 with `gammainc(a, x) == p` (0 at p = 0, inf at p = 1).

    Example:
      >>> round(float(gammaincinv(1.0, 1 - jnp.exp(-2.0))), 6)  # Exponential: x = 2
      2.0

    """
    dtype = jnp.result_type(a, p, float)
    a, p = jnp.broadcast_arrays(jnp.asarray(a, dtype), jnp.asarray(p, dtype))
    lo, hi = _log_range(a.dtype)
    # Compare in the tail that holds the answer, where the incomplete function is accurate.
    upper = p > 0.5

    def objective(log_x):
        x = jnp.exp(log_x)
        return jnp.where(upper, (1 - p) - special.gammaincc(a, x), special.gammainc(a, x) - p)

    log_x = find_root_chandrupatla(objective, jnp.full_like(a, lo), jnp.full_like(a, hi))
    x = jnp.exp(log_x)
    return jnp.where(p <= 0, 0.0, jnp.where(p >= 1, jnp.inf, x))


@jax.jit
def betaincinv(a, b, p):
    """Inverse of the regularized incomplete beta I_x(a, b) in x.

    Args:
      a: positive first shape.
      b: positive second shape.
      p: probabilities in [0, 1].

    Returns:
      x in [0, 1] with `betainc(a, b, x) == p`.

    Example:
      >>> round(float(betaincinv(1.0, 1.0, 0.3)), 6)  # uniform: x = p
      0.3

    """
    dtype = jnp.result_type(a, b, p, float)
    a, b, p = jnp.broadcast_arrays(*(jnp.asarray(v, dtype) for v in (a, b, p)))
    lo, _ = _log_range(dtype)

    def objective(logit_x):
        # Work with whichever of x and 1 - x is small, where it is represented exactly.
        x = jax.nn.sigmoid(logit_x)
        one_minus_x = jax.nn.sigmoid(-logit_x)
        return jnp.where(
            logit_x > 0, (1 - p) - special.betainc(b, a, one_minus_x), special.betainc(a, b, x) - p
        )

    logit_x = find_root_chandrupatla(objective, jnp.full_like(p, lo), jnp.full_like(p, -lo))
    x = jax.nn.sigmoid(logit_x)
    return jnp.where(p <= 0, 0.0, jnp.where(p >= 1, 1.0, x))
