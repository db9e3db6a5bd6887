"""Runtime checks that raise on concrete values and still fire inside `jit`.

On concrete arrays a failed check raises `ValueError` at once. Under a trace
(`jit`, `vmap`, `grad`) the condition is unknown until run time, so the check
is staged as a `jax.debug.callback` that raises when the compiled program runs
(JAX re-raises it as a runtime error whose text carries the same message).
"""

from __future__ import annotations

import jax
import numpy as np


def is_concrete(*values) -> bool:
    """True when no value is a JAX tracer, so it can be inspected on the host."""
    return not any(isinstance(v, jax.core.Tracer) for v in jax.tree_util.tree_leaves(values))


def _raise_unless(ok, message: str) -> None:
    if not np.all(np.asarray(ok)):
        raise ValueError(message)


def check(ok, message: str) -> None:
    """Raise `ValueError(message)` unless every element of the boolean `ok` holds.

    Args:
      ok: boolean array (or Python bool) that must be all true.
      message: the error text; name the argument, its constraint and what was expected.

    Example:
      >>> check(np.array([1.0, 2.0]) > 0, "scale must be positive")

    """
    if is_concrete(ok):
        _raise_unless(ok, message)
    else:
        jax.debug.callback(_raise_unless, ok, message=message)
