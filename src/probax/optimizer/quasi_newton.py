"""The loop BFGS and L-BFGS share: TFP's batching, stopping and bookkeeping around one line search.

A method (BFGS or L-BFGS) supplies two pure functions over its own curvature
information (an inverse-Hessian matrix, or optax's L-BFGS memory): one gives the
search direction, one updates the curvature after a step. Everything else is
here: the first evaluation, TFP's convergence and non-finite tests
(`probax.optimizer.convergence`), optax's line search
(`probax.optimizer.line_search`), freezing batch members that have converged
or failed, and the counts.

Batching follows TFP: starting positions of shape `[..., n]` are independent
problems that run in one `lax.while_loop` until `stopping_condition(converged,
failed)` says stop or `max_iterations` is reached. Each iteration is written for
one problem and mapped over the flattened batch with `jax.vmap`, so the
objective is called on single positions `[n]` (TFP's objectives accept any
leading shape, so they accept this one). An unbatched problem is not mapped at
all, which keeps optax's `lax.cond` branches real branches.
"""

from __future__ import annotations

import functools
import math
from collections.abc import Callable
from typing import Any, NamedTuple

import jax
import jax.numpy as jnp

from probax.optimizer import convergence
from probax.optimizer.line_search import ValueAndGradients, strong_wolfe_line_search

StoppingCondition = Callable[[jax.Array, jax.Array], jax.Array]


class QuasiNewtonState(NamedTuple):
    """One problem's state between iterations.

    Attributes:
      converged: bool scalar.
      failed: bool scalar.
      position: `[n]`.
      objective_value: scalar, the objective at `position`.
      objective_gradient: `[n]`, its gradient.
      curvature: the method's inverse-Hessian information (any pytree).

    """

    converged: jax.Array
    failed: jax.Array
    position: jax.Array
    objective_value: jax.Array
    objective_gradient: jax.Array
    curvature: Any


class QuasiNewtonMethod(NamedTuple):
    """What distinguishes BFGS from L-BFGS: how curvature gives directions and learns from steps.

    Attributes:
      search_direction: `(state, iteration) -> (direction, curvature)`; a
        descent direction at `state.position`, and the curvature it came from
        (a method may reset or refresh it here).
      update_curvature: `(curvature, before, after, should_update, iteration)
        -> curvature`, learning from the step `before -> after` where
        `should_update` holds.

    """

    search_direction: Callable[[QuasiNewtonState, jax.Array], tuple[jax.Array, Any]]
    update_curvature: Callable[[Any, QuasiNewtonState, QuasiNewtonState, jax.Array, jax.Array], Any]


def as_initial_position(initial_position, caller: str) -> jax.Array:
    """The starting positions as a floating array of shape `[..., n]`.

    Args:
      initial_position: array-like, rank at least 1.
      caller: the public function, named in errors.

    Returns:
      A floating `jax.Array` (integers become the default float dtype).

    Raises:
      ValueError: when `initial_position` is a scalar or has a zero-sized last axis.

    Example:
      >>> as_initial_position([1, 2], "bfgs_minimize").dtype == jnp.result_type(float)
      True

    """
    position = jnp.asarray(initial_position)
    if not jnp.issubdtype(position.dtype, jnp.floating):
        position = position.astype(jnp.result_type(float))
    if position.ndim < 1 or position.shape[-1] == 0:
        raise ValueError(
            f"{caller}: initial_position must have shape [..., n] with n >= 1 (rank at least 1), "
            f"got shape {position.shape}."
        )
    return position


def check_objective(
    value_and_gradients_function: ValueAndGradients, position: jax.Array, caller: str
) -> None:
    """Raise unless the objective maps one position `[n]` to a scalar value and an `[n]` gradient.

    Args:
      value_and_gradients_function: the user's objective.
      position: one position `[n]` (only its shape and dtype are used).
      caller: the public function, named in errors.

    Raises:
      ValueError: naming `value_and_gradients_function` and the shapes it returned.

    Example:
      >>> check_objective(lambda x: (jnp.sum(x**2), 2 * x), jnp.zeros(3), "bfgs_minimize")

    """
    spec = jax.ShapeDtypeStruct(position.shape, position.dtype)
    out = jax.eval_shape(value_and_gradients_function, spec)
    if not (isinstance(out, tuple | list) and len(out) == 2):
        raise ValueError(
            f"{caller}: value_and_gradients_function must return a pair (value, gradient), got {out}."
        )
    value, gradient = out
    if value.shape != () or gradient.shape != position.shape:
        raise ValueError(
            f"{caller}: value_and_gradients_function, called on one position of shape {position.shape}, "
            f"must return a scalar value and a gradient of shape {position.shape}; it returned shapes "
            f"{value.shape} and {gradient.shape}."
        )


def start(
    value_and_gradients_function: ValueAndGradients,
    position: jax.Array,
    curvature: Any,
    tolerances: convergence.Tolerances,
) -> QuasiNewtonState:
    """Evaluate the objective at one start and run TFP's initial and non-finite tests.

    A start with a non-finite objective or gradient is marked failed here, so the
    loop never iterates on it (TFP finds this in its first iteration instead).

    Args:
      value_and_gradients_function: the user's objective.
      position: one start `[n]`.
      curvature: the method's initial curvature information.
      tolerances: the stopping tolerances.

    Returns:
      The `QuasiNewtonState` at the start.

    Example:
      >>> tol = convergence.Tolerances.of_dtype(jnp.float32, 1e-8, 0, 0, 0)
      >>> s = start(lambda x: (jnp.sum(x**2), 2 * x), jnp.zeros(2), None, tol)
      >>> bool(s.converged)
      True

    """
    value, gradient = value_and_gradients_function(position)
    state = QuasiNewtonState(
        converged=convergence.converged_at_start(value, gradient, tolerances),
        failed=jnp.zeros((), bool),
        position=position,
        objective_value=value,
        objective_gradient=gradient,
        curvature=curvature,
    )
    return _with_termination(state)


def _with_termination(state: QuasiNewtonState) -> QuasiNewtonState:
    done, bad = convergence.minus_infinity_or_not_finite(state.objective_value, state.objective_gradient)
    converged = state.converged | done
    return state._replace(converged=converged, failed=state.failed | (bad & ~converged))


def _tree_where(condition: jax.Array, new, old):
    return jax.tree.map(lambda a, b: jnp.where(condition, a, b), new, old)


def iterate(
    state: QuasiNewtonState,
    iteration: jax.Array,
    *,
    method: QuasiNewtonMethod,
    value_and_gradients_function: ValueAndGradients,
    tolerances: convergence.Tolerances,
    max_line_search_iterations: int,
) -> tuple[QuasiNewtonState, jax.Array]:
    """One quasi-Newton iteration of one problem; a converged or failed problem stays as it is.

    Args:
      state: the problem's state.
      iteration: the loop's iteration count (scalar, shared by a batch).
      method: the BFGS or L-BFGS pieces.
      value_and_gradients_function: the user's objective.
      tolerances: the stopping tolerances.
      max_line_search_iterations: the most objective evaluations per line search.

    Returns:
      `(next_state, num_evaluations)`, the evaluations being 0 for a frozen problem.

    """
    active = ~(state.converged | state.failed)
    direction, curvature = method.search_direction(state, iteration)
    # A frozen problem searches along zero, which optax accepts after one evaluation.
    direction = jnp.where(active, direction, jnp.zeros_like(direction))
    step = strong_wolfe_line_search(
        value_and_gradients_function,
        state.position,
        state.objective_value,
        state.objective_gradient,
        direction,
        max_line_search_iterations,
    )
    moved = _with_termination(
        state._replace(
            position=step.position,
            objective_value=step.objective_value,
            objective_gradient=step.objective_gradient,
            curvature=curvature,
        )
    )
    tests_hold = convergence.converged_after_step(
        state.position,
        moved.position,
        state.objective_value,
        moved.objective_value,
        moved.objective_gradient,
        tolerances,
    )
    failed = moved.failed | ~step.accepted
    converged = moved.converged | (tests_hold & ~failed)
    should_update = ~converged & ~failed
    moved = moved._replace(
        converged=converged,
        failed=failed,
        curvature=method.update_curvature(curvature, state, moved, should_update, iteration),
    )
    return _tree_where(active, moved, state), jnp.where(active, step.num_evaluations, 0)


class LoopOutcome(NamedTuple):
    """What the batched loop hands back.

    Attributes:
      states: the final `QuasiNewtonState`s, leaves with the flattened batch as leading axis.
      num_iterations: int32 scalar.
      num_objective_evaluations: int32 scalar, batched calls of the objective.

    """

    states: QuasiNewtonState
    num_iterations: jax.Array
    num_objective_evaluations: jax.Array


def run(
    method: QuasiNewtonMethod,
    value_and_gradients_function: ValueAndGradients,
    states: QuasiNewtonState,
    batch_shape: tuple[int, ...],
    *,
    stopping_condition: StoppingCondition,
    max_iterations,
    num_iterations,
    num_objective_evaluations,
    tolerances: convergence.Tolerances,
    max_line_search_iterations: int,
) -> LoopOutcome:
    """Iterate a batch of problems in one `lax.while_loop` until the stopping condition holds.

    Args:
      method: the BFGS or L-BFGS pieces.
      value_and_gradients_function: the user's objective (of one position `[n]`).
      states: starting states; leaves have a leading axis of size
        `prod(batch_shape)` unless `batch_shape == ()`.
      batch_shape: TFP's batch shape `[...]` of the starting positions.
      stopping_condition: `(converged[...], failed[...]) -> bool scalar`.
      max_iterations: the most iterations (int, possibly traced).
      num_iterations: iterations already done (0, or a resumed count).
      num_objective_evaluations: evaluations already done.
      tolerances: the stopping tolerances.
      max_line_search_iterations: the most objective evaluations per line search.

    Returns:
      A `LoopOutcome`.

    """
    one_problem = functools.partial(
        iterate,
        method=method,
        value_and_gradients_function=value_and_gradients_function,
        tolerances=tolerances,
        max_line_search_iterations=max_line_search_iterations,
    )
    step = one_problem if batch_shape == () else jax.vmap(one_problem, in_axes=(0, None))

    def keep_going(carry):
        states, iterations, _ = carry
        stop = stopping_condition(states.converged.reshape(batch_shape), states.failed.reshape(batch_shape))
        return (iterations < max_iterations) & ~stop

    def body(carry):
        states, iterations, evaluations = carry
        states, new_evaluations = step(states, iterations)
        return states, iterations + 1, evaluations + jnp.max(new_evaluations)

    carry = (
        states,
        jnp.asarray(num_iterations, jnp.int32),
        jnp.asarray(num_objective_evaluations, jnp.int32),
    )
    final_states, iterations, evaluations = jax.lax.while_loop(keep_going, body, carry)
    return LoopOutcome(final_states, iterations, evaluations)


def flatten_batch(array: jax.Array, batch_shape: tuple[int, ...], event_ndims: int) -> jax.Array:
    """Collapse the batch axes of `array` (shape `batch_shape + event`) into one; none when unbatched.

    Args:
      array: the array.
      batch_shape: its leading batch shape.
      event_ndims: the number of trailing axes that belong to one problem.

    Returns:
      `array` of shape `[prod(batch_shape)] + event`, or unchanged when `batch_shape == ()`.

    Example:
      >>> flatten_batch(jnp.zeros((2, 3, 4)), (2, 3), 1).shape
      (6, 4)

    """
    if batch_shape == ():
        return array
    event_shape = array.shape[array.ndim - event_ndims :]
    return array.reshape((math.prod(batch_shape), *event_shape))


def unflatten_batch(array: jax.Array, batch_shape: tuple[int, ...]) -> jax.Array:
    """Undo `flatten_batch`: restore the batch axes in front.

    Args:
      array: shape `[prod(batch_shape)] + event`, or `event` when `batch_shape == ()`.
      batch_shape: the batch shape to restore.

    Returns:
      `array` of shape `batch_shape + event`.

    Example:
      >>> unflatten_batch(jnp.zeros((6, 4)), (2, 3)).shape
      (2, 3, 4)

    """
    if batch_shape == ():
        return array
    return array.reshape(batch_shape + array.shape[1:])
