"""BFGS with TFP's signature: `bfgs_minimize`.

Written here (optax has no dense BFGS): the inverse-Hessian update and its
safeguards. From optax: the strong-Wolfe zoom line search
(`optax.scale_by_zoom_linesearch`, see `probax.optimizer.line_search`).
Batching, stopping and counts are shared with L-BFGS
(`probax.optimizer.quasi_newton`).

The update (Nocedal and Wright, eq. 6.17), with `s` the step, `y` the gradient
change and `rho = 1 / (y.s)`:

    H+ = (I - rho s y^T) H (I - rho y s^T) + rho s s^T

applied only where `y.s > 0` (which keeps `H` positive definite; a strong-Wolfe
step always has it). After the first step `H` is first rescaled by
`y.s / y.y` when `scale_initial_inverse_hessian` (eq. 6.20). Where `-H g` is
not a descent direction, `H` is reset to its initial value, as in TFP. Without
a user estimate the first direction `-g` is shortened to length at most 1 (as
scipy and optax do; TFP tries the full `-g`), which saves line-search steps
when the gradient is large.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import NamedTuple

import jax
import jax.numpy as jnp

from probax._internal.checks import check
from probax.optimizer import quasi_newton
from probax.optimizer.convergence import Tolerances
from probax.optimizer.line_search import ValueAndGradients
from probax.optimizer.results import BfgsOptimizerResults
from probax.optimizer.stopping import converged_all

_CALLER = "bfgs_minimize"


class _InverseHessian(NamedTuple):
    estimate: jax.Array
    initial: jax.Array


def _bfgs_update(inverse_hessian: jax.Array, step: jax.Array, gradient_change: jax.Array) -> jax.Array:
    curvature = jnp.dot(step, gradient_change)
    conditioned_change = inverse_hessian @ gradient_change
    step_term = (curvature + jnp.dot(gradient_change, conditioned_change)) / curvature**2
    cross = jnp.outer(conditioned_change, step)
    return inverse_hessian + step_term * jnp.outer(step, step) - (cross + cross.T) / curvature


def _bfgs_method(scale_initial_inverse_hessian: bool, cap_first_step: bool) -> quasi_newton.QuasiNewtonMethod:
    def search_direction(state, iteration):
        hessian = state.curvature
        gradient = state.objective_gradient
        direction = -(hessian.estimate @ gradient)
        descent = (jnp.dot(direction, gradient) < 0) & jnp.all(jnp.isfinite(direction))
        estimate = jnp.where(descent, hessian.estimate, hessian.initial)
        direction = jnp.where(descent, direction, -(hessian.initial @ gradient))
        if cap_first_step:
            cap = jnp.minimum(1, 1 / jnp.linalg.norm(gradient))
            direction = jnp.where((iteration == 0) | ~descent, cap * direction, direction)
        return direction, hessian._replace(estimate=estimate)

    def update_curvature(hessian, before, after, should_update, iteration):
        step = after.position - before.position
        gradient_change = after.objective_gradient - before.objective_gradient
        curvature = jnp.dot(step, gradient_change)
        update = should_update & (curvature > 0)
        estimate = hessian.estimate
        if scale_initial_inverse_hessian:
            scale = curvature / jnp.dot(gradient_change, gradient_change)
            estimate = jnp.where(update & (iteration == 0), scale * estimate, estimate)
        safe_curvature = jnp.where(update, curvature, 1)
        updated = _bfgs_update(estimate, step, jnp.where(update, gradient_change, step / safe_curvature))
        return hessian._replace(estimate=jnp.where(update, updated, estimate))

    return quasi_newton.QuasiNewtonMethod(search_direction, update_curvature)


def _initial_inverse_hessian(estimate, position: jax.Array, validate_args: bool) -> jax.Array:
    batch_shape, n = position.shape[:-1], position.shape[-1]
    if estimate is None:
        return jnp.broadcast_to(jnp.eye(n, dtype=position.dtype), (*batch_shape, n, n))
    estimate = jnp.asarray(estimate, position.dtype)
    if estimate.ndim < 2 or estimate.shape[-2:] != (n, n):
        raise ValueError(
            f"{_CALLER}: initial_inverse_hessian_estimate must have shape [..., {n}, {n}] to match "
            f"initial_position of shape {position.shape}, got shape {estimate.shape}."
        )
    try:
        estimate = jnp.broadcast_to(estimate, (*batch_shape, n, n))
    except ValueError as err:
        raise ValueError(
            f"{_CALLER}: initial_inverse_hessian_estimate of shape {estimate.shape} does not broadcast "
            f"to the batch shape {batch_shape} of initial_position."
        ) from err
    if validate_args:
        # Symmetric up to rounding (an inverse computed by LU is not exactly symmetric).
        asymmetry = jnp.max(jnp.abs(estimate - jnp.swapaxes(estimate, -1, -2)))
        scale = jnp.max(jnp.abs(estimate))
        check(
            asymmetry <= 100 * jnp.finfo(estimate.dtype).eps * scale,
            f"{_CALLER}: initial_inverse_hessian_estimate must be symmetric.",
        )
        check(
            jnp.all(jnp.isfinite(jnp.linalg.cholesky(estimate))),
            f"{_CALLER}: initial_inverse_hessian_estimate must be positive definite.",
        )
    # The update keeps symmetry exactly only if it starts from an exactly symmetric estimate.
    estimate = 0.5 * (estimate + jnp.swapaxes(estimate, -1, -2))
    return estimate


def bfgs_minimize(
    value_and_gradients_function: ValueAndGradients,
    initial_position,
    tolerance=1e-8,
    x_tolerance=0,
    f_relative_tolerance=0,
    initial_inverse_hessian_estimate=None,
    scale_initial_inverse_hessian: bool = True,
    max_iterations=50,
    parallel_iterations: int = 1,
    stopping_condition: Callable[[jax.Array, jax.Array], jax.Array] | None = None,
    validate_args: bool = True,
    max_line_search_iterations: int = 50,
    f_absolute_tolerance=0,
    name: str | None = None,
) -> BfgsOptimizerResults:
    """Minimize a differentiable function with BFGS (TFP's `tfp.optimizer.bfgs_minimize`).

    Each iteration steps along `-H g`, with `H` the BFGS estimate of the inverse
    Hessian, to a point found by optax's strong-Wolfe zoom line search, then
    updates `H` from the step. Starting positions `[..., n]` are independent
    problems solved together (see `stopping_condition`). Jittable: one
    `lax.while_loop`.

    Args:
      value_and_gradients_function: maps a position `[n]` to `(value, gradient)`
        (a scalar and an `[n]` array), e.g. `jax.value_and_grad(f)`. TFP-style
        objectives that accept `[..., n]` work unchanged.
      initial_position: array `[..., n]`; leading axes index independent problems.
      tolerance: stop where the supremum norm of the gradient is at most this.
      x_tolerance: stop where a step's supremum norm is at most this.
      f_relative_tolerance: stop where a step changes the objective by at most this
        times its magnitude.
      initial_inverse_hessian_estimate: optional `[..., n, n]` symmetric positive
        definite starting estimate (default: identity); it is symmetrized, and
        `validate_args` accepts an asymmetry up to rounding (TFP demands exact symmetry).
      scale_initial_inverse_hessian: rescale the initial estimate by `y.s / y.y`
        after the first step.
      max_iterations: the most BFGS iterations.
      parallel_iterations: accepted for TFP compatibility; ignored.
      stopping_condition: `(converged, failed) -> bool`; default `converged_all`.
      validate_args: check that `initial_inverse_hessian_estimate` is symmetric
        positive definite.
      max_line_search_iterations: the most objective evaluations per line search.
      f_absolute_tolerance: stop where a step changes the objective by at most this.
      name: accepted for TFP compatibility; ignored.

    Returns:
      A `BfgsOptimizerResults`.

    Raises:
      ValueError: when `initial_position` is a scalar, the objective returns the
        wrong shapes, or `initial_inverse_hessian_estimate` is malformed.

    Example:
      >>> import jax, jax.numpy as jnp
      >>> f = lambda x: jnp.sum((x - jnp.array([1.0, 2.0])) ** 2)
      >>> res = bfgs_minimize(jax.value_and_grad(f), jnp.zeros(2))
      >>> bool(res.converged), [round(v, 6) for v in res.position.tolist()]
      (True, [1.0, 2.0])

    """
    del parallel_iterations, name
    position = quasi_newton.as_initial_position(initial_position, _CALLER)
    batch_shape = position.shape[:-1]
    quasi_newton.check_objective(value_and_gradients_function, position[(0,) * len(batch_shape)], _CALLER)
    tolerances = Tolerances.of_dtype(
        position.dtype, tolerance, x_tolerance, f_relative_tolerance, f_absolute_tolerance
    )
    initial = _initial_inverse_hessian(initial_inverse_hessian_estimate, position, validate_args)
    flat_position = quasi_newton.flatten_batch(position, batch_shape, 1)
    flat_initial = quasi_newton.flatten_batch(initial, batch_shape, 2)

    def start(x, h0):
        return quasi_newton.start(value_and_gradients_function, x, _InverseHessian(h0, h0), tolerances)

    states = (start if batch_shape == () else jax.vmap(start))(flat_position, flat_initial)
    outcome = quasi_newton.run(
        _bfgs_method(scale_initial_inverse_hessian, initial_inverse_hessian_estimate is None),
        value_and_gradients_function,
        states,
        batch_shape,
        stopping_condition=stopping_condition or converged_all,
        max_iterations=max_iterations,
        num_iterations=0,
        num_objective_evaluations=1,
        tolerances=tolerances,
        max_line_search_iterations=max_line_search_iterations,
    )
    final = jax.tree.map(lambda leaf: quasi_newton.unflatten_batch(leaf, batch_shape), outcome.states)
    return BfgsOptimizerResults(
        converged=final.converged,
        failed=final.failed,
        num_iterations=outcome.num_iterations,
        num_objective_evaluations=outcome.num_objective_evaluations,
        position=final.position,
        objective_value=final.objective_value,
        objective_gradient=final.objective_gradient,
        inverse_hessian_estimate=final.curvature.estimate,
        scale_initial_inverse_hessian=jnp.asarray(scale_initial_inverse_hessian),
    )
