"""Stopping conditions for batched quasi-Newton runs (TFP's `converged_all` / `converged_any`).

A stopping condition takes the boolean arrays `converged` and `failed`, both of
the batch shape `[...]` of the starting positions, and returns one boolean: stop
the whole batch now. Batch members that have converged or failed are frozen
while the others keep iterating.
"""

from __future__ import annotations

import jax
import jax.numpy as jnp


def converged_all(converged: jax.Array, failed: jax.Array) -> jax.Array:
    """Stop when every batch member has converged or failed (the default).

    Args:
      converged: bool array `[...]`, members that met a convergence test.
      failed: bool array `[...]`, members whose search failed.

    Returns:
      A bool scalar.

    Example:
      >>> bool(converged_all(jnp.array([True, False]), jnp.array([False, True])))
      True

    """
    return jnp.all(converged | failed)


def converged_any(converged: jax.Array, failed: jax.Array) -> jax.Array:
    """Stop as soon as one batch member has converged, or when all have failed.

    Args:
      converged: bool array `[...]`, members that met a convergence test.
      failed: bool array `[...]`, members whose search failed.

    Returns:
      A bool scalar.

    Example:
      >>> bool(converged_any(jnp.array([True, False]), jnp.array([False, False])))
      True

    """
    return jnp.any(converged) | jnp.all(failed)
