"""TFP's convergence and termination tests for the quasi-Newton optimizers.

These are written here because optax's solvers leave stopping to the caller.
All norms are supremum norms over the last axis, as in TFP.

- At the start: converged where the objective is finite and `max|g| < tolerance`.
- After a step from `x0` to `x1`: converged where `max|g1| <= tolerance`, or
  `max|x1 - x0| <= x_tolerance`, or `|f1 - f0| <= f_relative_tolerance * |f0|`,
  or `|f1 - f0| <= f_absolute_tolerance` (TFP compares with `f0` rather than
  `|f0|`, which disables the relative test for negative objectives; probax uses
  `|f0|`).
- Before and after every step: an objective of `-inf` counts as converged (a
  global minimum); otherwise a non-finite objective or gradient counts as failed.
"""

from __future__ import annotations

from typing import NamedTuple

import jax
import jax.numpy as jnp


class Tolerances(NamedTuple):
    """The four stopping tolerances of TFP's BFGS and L-BFGS, as arrays of the position's dtype.

    Attributes:
      gradient: `tolerance`, on the supremum norm of the gradient.
      position: `x_tolerance`, on the supremum norm of the position change.
      relative_objective: `f_relative_tolerance`, on `|f1 - f0| / |f0|`.
      absolute_objective: `f_absolute_tolerance`, on `|f1 - f0|`.

    """

    gradient: jax.Array
    position: jax.Array
    relative_objective: jax.Array
    absolute_objective: jax.Array

    @classmethod
    def of_dtype(
        cls, dtype, tolerance, x_tolerance, f_relative_tolerance, f_absolute_tolerance
    ) -> Tolerances:
        """Collect the user's tolerances as arrays of `dtype`.

        Args:
          dtype: the floating dtype of the positions.
          tolerance: gradient tolerance.
          x_tolerance: position-change tolerance.
          f_relative_tolerance: relative objective-change tolerance.
          f_absolute_tolerance: absolute objective-change tolerance.

        Returns:
          A `Tolerances`.

        Example:
          >>> Tolerances.of_dtype(jnp.float32, 1e-8, 0, 0, 0).gradient.dtype
          dtype('float32')

        """
        values = (tolerance, x_tolerance, f_relative_tolerance, f_absolute_tolerance)
        return cls(*(jnp.asarray(value, dtype) for value in values))


def supremum_norm(vector: jax.Array) -> jax.Array:
    """`max |vector|` over the last axis.

    Args:
      vector: array `[..., n]`.

    Returns:
      Array `[...]`.

    Example:
      >>> float(supremum_norm(jnp.array([1.0, -3.0])))
      3.0

    """
    return jnp.max(jnp.abs(vector), axis=-1)


def converged_at_start(objective_value: jax.Array, gradient: jax.Array, tolerances: Tolerances) -> jax.Array:
    """True where the start is already a minimum: finite objective and a small gradient.

    Args:
      objective_value: the objective at the start, `[...]`.
      gradient: its gradient, `[..., n]`.
      tolerances: the stopping tolerances.

    Returns:
      bool array `[...]`.

    Example:
      >>> tol = Tolerances.of_dtype(jnp.float32, 1e-8, 0, 0, 0)
      >>> bool(converged_at_start(jnp.array(1.0), jnp.zeros(2), tol))
      True

    """
    return jnp.isfinite(objective_value) & (supremum_norm(gradient) < tolerances.gradient)


def converged_after_step(
    position: jax.Array,
    next_position: jax.Array,
    objective_value: jax.Array,
    next_objective_value: jax.Array,
    next_gradient: jax.Array,
    tolerances: Tolerances,
) -> jax.Array:
    """True where one of TFP's four convergence tests holds after a step.

    Args:
      position: the position before the step, `[..., n]`.
      next_position: the position after it.
      objective_value: the objective before the step, `[...]`.
      next_objective_value: the objective after it.
      next_gradient: the gradient after it, `[..., n]`.
      tolerances: the stopping tolerances.

    Returns:
      bool array `[...]`.

    Example:
      >>> tol = Tolerances.of_dtype(jnp.float32, 1e-8, 0, 0, 1e-3)
      >>> x = jnp.zeros(2)
      >>> bool(converged_after_step(x, x + 1, jnp.array(1.0), jnp.array(0.9999), x + 1, tol))
      True

    """
    change = jnp.abs(next_objective_value - objective_value)
    return (
        (supremum_norm(next_gradient) <= tolerances.gradient)
        | (supremum_norm(next_position - position) <= tolerances.position)
        | (change <= tolerances.relative_objective * jnp.abs(objective_value))
        | (change <= tolerances.absolute_objective)
    )


def minus_infinity_or_not_finite(
    objective_value: jax.Array, gradient: jax.Array
) -> tuple[jax.Array, jax.Array]:
    """Split non-finite outcomes into success (objective `-inf`) and failure (anything else).

    Args:
      objective_value: `[...]`.
      gradient: `[..., n]`.

    Returns:
      `(is_minus_infinity, is_not_finite)`, bool arrays `[...]`; the second is
      False wherever the first is True.

    Example:
      >>> done, bad = minus_infinity_or_not_finite(jnp.array(-jnp.inf), jnp.zeros(2))
      >>> bool(done), bool(bad)
      (True, False)

    """
    is_minus_infinity = objective_value == -jnp.inf
    not_finite = ~jnp.isfinite(objective_value) | jnp.any(~jnp.isfinite(gradient), axis=-1)
    return is_minus_infinity, not_finite & ~is_minus_infinity
