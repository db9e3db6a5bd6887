"""log(k!) of counts: a table for small k and Stirling's series beyond it.

Count likelihoods (Poisson, ...) need log(k!) per value. `lgamma(k + 1)` serves any real
argument, so it pays for a reflection branch (a sine and a logarithm) and a Lanczos sum with
several divisions at every value. For whole k >= 0 a table lookup answers below 32, and from 32
on Stirling's series with four correction terms is within float64 rounding (its first omitted
term is below 1 / (1188 * 32**9), about 2e-17), at one logarithm and one division per value.
"""

from __future__ import annotations

import math

import jax
import jax.numpy as jnp
import numpy as np

_TABLE_SIZE = 32
# log(k!) for k = 0 .. 31, summed in float64.
_LOG_FACTORIALS = np.cumsum(np.log(np.maximum(np.arange(_TABLE_SIZE, dtype=np.float64), 1.0)))
_HALF_LOG_TWO_PI = 0.5 * math.log(2.0 * math.pi)


def log_factorial(k: jax.Array) -> jax.Array:
    """log(k!) for whole numbers k >= 0 held in a floating dtype (the result has that dtype).

    Args:
      k: non-negative whole numbers (float32 or float64); other values give meaningless results,
        so callers mask them (as a count distribution's support check does).

    Returns:
      log(k!), elementwise.

    Example:
      >>> import jax.numpy as jnp
      >>> [round(float(v), 4) for v in log_factorial(jnp.array([0.0, 4.0, 40.0]))]
      [0.0, 3.1781, 110.3206]

    """
    k = jnp.asarray(k)
    if not jnp.issubdtype(k.dtype, jnp.floating):
        k = k.astype(jnp.result_type(float))
    in_table = k < _TABLE_SIZE
    tabled = jnp.asarray(_LOG_FACTORIALS, k.dtype)[jnp.clip(k, 0, _TABLE_SIZE - 1).astype(jnp.int32)]
    # Where the table answers, the series runs at k = 32 so it stays finite (and its gradient too).
    n = jnp.where(in_table, _TABLE_SIZE, k)
    inverse = 1.0 / n
    inverse_squared = inverse * inverse
    # 1/(12n) - 1/(360n^3) + 1/(1260n^5) - 1/(1680n^7), in Horner form.
    corrections = inverse * (
        1.0 / 12.0
        - inverse_squared * (1.0 / 360.0 - inverse_squared * (1.0 / 1260.0 - inverse_squared / 1680.0))
    )
    stirling = (n + 0.5) * jnp.log(n) - n + _HALF_LOG_TWO_PI + corrections
    return jnp.where(in_table, tabled, stirling)
