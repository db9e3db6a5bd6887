"""The floating dtype a distribution's parameters share."""

from __future__ import annotations

import jax
import jax.numpy as jnp


def common_float_dtype(*values, dtype_hint=None):
    """Floating dtype of `values` under JAX's promotion rules.

    Python scalars are weakly typed, so `Normal(0., 1.)` is float32 by default
    and float64 under `jax_enable_x64`, while an explicit float64 array keeps
    float64 (when x64 is on). Integer-only input promotes to the default float.
    """
    # Lists and tuples have no dtype of their own: read one off their array form.
    present = [jnp.asarray(v) if isinstance(v, list | tuple) else v for v in values if v is not None]
    if dtype_hint is not None:
        present.append(jnp.zeros((), dtype_hint))
    dtype = jnp.result_type(*present) if present else jnp.result_type(float)
    if not jnp.issubdtype(dtype, jnp.floating):
        dtype = jnp.promote_types(dtype, jnp.result_type(float))
    return jnp.dtype(dtype)


def at_own_precision(values):
    """`values` rounded to their own precision: an exact no-op XLA cannot simplify through.

    Rewrites that hold only in exact arithmetic (`(1 - x) - 1 + x -> 0`) stop at it, and XLA:CPU
    does not fuse it into a YNNPACK reduction, so it also splits elementwise work from a sum.
    """
    info = jnp.finfo(values.dtype)
    return jax.lax.reduce_precision(values, exponent_bits=info.nexp, mantissa_bits=info.nmant)
