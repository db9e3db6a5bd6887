"""One strong-Wolfe line search along a direction, done by optax's zoom line search.

The search itself is optax's: `optax.scale_by_zoom_linesearch` (Nocedal and
Wright's bracketing-and-zoom algorithm 3.5/3.6, with cubic and quadratic
interpolation and Hager and Zhang's approximate-Wolfe test near a minimum).
What is written here is the glue TFP's optimizers need: optax asks for a
value-only function it differentiates itself, so the user's
`value_and_gradients_function` is wrapped in a `jax.custom_vjp` whose backward
pass returns the gradient the user computed (one user call per trial step,
never a second differentiation); and the outcome is judged the way the BFGS
drivers need it (did the step decrease the objective).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import NamedTuple

import jax
import jax.numpy as jnp
import optax

ValueAndGradients = Callable[[jax.Array], tuple[jax.Array, jax.Array]]


class LineSearchStep(NamedTuple):
    """Where a line search ended.

    Attributes:
      accepted: bool scalar, the step met the Wolfe tests or at least did not increase the objective.
      position: the new position (the old one where the step is not accepted).
      objective_value: the objective at `position`.
      objective_gradient: its gradient at `position`.
      num_evaluations: int scalar, objective evaluations the search made.

    """

    accepted: jax.Array
    position: jax.Array
    objective_value: jax.Array
    objective_gradient: jax.Array
    num_evaluations: jax.Array


def value_function_with_known_gradient(
    value_and_gradients_function: ValueAndGradients,
) -> Callable[[jax.Array], jax.Array]:
    """Return `f(x)` whose JAX gradient is the one `value_and_gradients_function` reports.

    `jax.value_and_grad` of the result calls `value_and_gradients_function` once
    and hands back its gradient, so objectives with hand-written or
    non-JAX-differentiable gradients work with optax's line searches.

    Args:
      value_and_gradients_function: maps a position `[n]` to `(value, gradient)`.

    Returns:
      A value-only function of the position, differentiable by JAX.

    Example:
      >>> f = value_function_with_known_gradient(lambda x: (jnp.sum(x**2), 2 * x))
      >>> jax.grad(f)(jnp.array([1.0, 2.0])).tolist()
      [2.0, 4.0]

    """

    @jax.custom_vjp
    def value(position):
        return value_and_gradients_function(position)[0]

    def forward(position):
        return value_and_gradients_function(position)

    def backward(gradient, cotangent):
        return (cotangent * gradient,)

    value.defvjp(forward, backward)
    return value


def strong_wolfe_line_search(
    value_and_gradients_function: ValueAndGradients,
    position: jax.Array,
    objective_value: jax.Array,
    objective_gradient: jax.Array,
    direction: jax.Array,
    max_iterations: int,
) -> LineSearchStep:
    """Search `position + t * direction` for a step meeting the strong Wolfe conditions.

    The first trial step is `t = 1` (the natural quasi-Newton step). optax's zoom
    search returns a step meeting both Wolfe conditions when it finds one, else
    its best step with sufficient decrease, else the last step tried. A step is
    accepted here when it met optax's Wolfe tests along a descent direction, or
    else when the objective there is no larger than at `position`; never at a NaN.

    Args:
      value_and_gradients_function: maps a position `[n]` to `(value, gradient)`.
      position: the start, shape `[n]`.
      objective_value: the objective at `position` (scalar).
      objective_gradient: its gradient at `position`, shape `[n]`.
      direction: a descent direction, shape `[n]`.
      max_iterations: the most trial steps (objective evaluations) allowed.

    Returns:
      A `LineSearchStep`.

    Example:
      >>> fg = lambda x: (jnp.sum(x**2), 2 * x)
      >>> x = jnp.array([1.0, -2.0])
      >>> step = strong_wolfe_line_search(fg, x, *fg(x), direction=-x, max_iterations=20)
      >>> step.position.tolist(), int(step.num_evaluations)
      ([0.0, 0.0], 1)

    """
    search = optax.scale_by_zoom_linesearch(max_linesearch_steps=max_iterations, initial_guess_strategy="one")
    scaled_direction, final = search.update(
        direction,
        search.init(position),
        position,
        value=objective_value,
        grad=objective_gradient,
        value_fn=value_function_with_known_gradient(value_and_gradients_function),
    )
    # optax met its Wolfe tests at the point it returns (its approximate-Wolfe test allows a tiny
    # increase of the objective near a minimum, where values no longer resolve the decrease);
    # otherwise it fell back to a safe or last step, which must at least not increase the
    # objective. `<=` is False for NaN; a value of -inf is an (unbounded) decrease.
    # The Wolfe tests only mean progress along a descent direction (a positive slope relaxes them).
    descent = jnp.sum(objective_gradient * direction) < 0
    wolfe = descent & (final.info.decrease_error <= 0) & (final.info.curvature_error <= 0)
    accepted = (
        (final.learning_rate > 0)
        & (wolfe | (final.value <= objective_value))
        & ~jnp.isnan(final.value)
        & jnp.all(jnp.isfinite(scaled_direction))
    )
    return LineSearchStep(
        accepted=accepted,
        position=jnp.where(accepted, position + scaled_direction, position),
        objective_value=jnp.where(accepted, final.value, objective_value),
        objective_gradient=jnp.where(accepted, final.grad, objective_gradient),
        num_evaluations=jnp.asarray(final.info.num_linesearch_steps, jnp.int32),
    )
