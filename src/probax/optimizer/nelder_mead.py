"""Nelder-Mead with TFP's signature: `nelder_mead_minimize` and `nelder_mead_one_step`.

optax has no derivative-free simplex method, so all of it is written here. Each
step sorts the vertices, reflects the worst one through the centroid of the
others, and then (Nelder and Mead 1965; Press et al. 2007, sec. 10.5) accepts
the reflection, expands it, contracts outside or inside, or shrinks the simplex
towards the best vertex. The default coefficients are Gao and Han's (2012)
dimension-adaptive ones, as in TFP and scipy's `adaptive=True`:
reflection 1, expansion `1 + 2/n`, contraction `3/4 - 1/(2n)`, shrinkage `1 - 1/n`.
The search stops when the objective varies over the vertices by less than
`func_tolerance`, or every vertex lies within `position_tolerance` (supremum
norm) of the best one.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import NamedTuple

import jax
import jax.numpy as jnp

from probax.optimizer.results import NelderMeadOptimizerResults

_CALLER = "nelder_mead_minimize"

Objective = Callable[[jax.Array], jax.Array]


class NelderMeadCoefficients(NamedTuple):
    """The four Nelder-Mead coefficients.

    Attributes:
      reflection: how far the worst vertex is reflected (> 0).
      expansion: how far a good reflection is pushed further (> 1).
      contraction: how far towards the centroid a contraction goes (in (0, 1)).
      shrinkage: how much the simplex shrinks towards the best vertex (in (0, 1)).

    """

    reflection: jax.Array
    expansion: jax.Array
    contraction: jax.Array
    shrinkage: jax.Array


def _coefficients(dim: int, dtype, reflection, expansion, contraction, shrinkage) -> NelderMeadCoefficients:
    defaults = (1.0, 1.0 + 2.0 / dim, 0.75 - 1.0 / (2 * dim), 1.0 - 1.0 / dim)
    given = (reflection, expansion, contraction, shrinkage)
    return NelderMeadCoefficients(
        *(
            jnp.asarray(default if value is None else value, dtype)
            for value, default in zip(given, defaults, strict=True)
        )
    )


def _evaluate_vertices(objective_function: Objective, points: jax.Array, batch_evaluate_objective: bool):
    values = objective_function(points) if batch_evaluate_objective else jax.vmap(objective_function)(points)
    return jnp.asarray(values)


def _has_converged(simplex, values, func_tolerance, position_tolerance) -> jax.Array:
    best = jnp.argmin(values)
    spread = jnp.max(values) - jnp.min(values)
    distance = jnp.max(jnp.abs(simplex - simplex[best][None]))
    return (spread < func_tolerance) | (distance < position_tolerance)


def nelder_mead_one_step(
    current_simplex: jax.Array,
    current_objective_values: jax.Array,
    objective_function: Objective,
    dim: int | None = None,
    func_tolerance=1e-8,
    position_tolerance=1e-8,
    batch_evaluate_objective: bool = False,
    reflection=None,
    expansion=None,
    contraction=None,
    shrinkage=None,
    name: str | None = None,
) -> tuple[jax.Array, jax.Array, jax.Array, jax.Array]:
    """One Nelder-Mead step (TFP's `tfp.optimizer.nelder_mead_one_step`).

    Args:
      current_simplex: `[n + 1, ...]`, one vertex per row.
      current_objective_values: `[n + 1]`, the objective at the vertices.
      objective_function: maps one point to a scalar (or, with
        `batch_evaluate_objective`, a stack of points to a vector).
      dim: the problem dimension `n` (default: from the simplex).
      func_tolerance: convergence threshold on the spread of the objective values.
      position_tolerance: convergence threshold on the simplex's extent.
      batch_evaluate_objective: evaluate all vertices of a shrunk simplex in one call.
      reflection: the reflection coefficient (default 1).
      expansion: the expansion coefficient (default `1 + 2/n`).
      contraction: the contraction coefficient (default `3/4 - 1/(2n)`).
      shrinkage: the shrinkage coefficient (default `1 - 1/n`).
      name: accepted for TFP compatibility; ignored.

    Returns:
      `(converged, next_simplex, next_objective_values, num_evaluations)`;
      `converged` is tested on the new simplex.

    Example:
      >>> import jax.numpy as jnp
      >>> f = lambda x: jnp.sum(x**2)
      >>> simplex = jnp.array([[1.0, 1.0], [2.0, 1.0], [1.0, 2.0]])
      >>> _, new, values, evals = nelder_mead_one_step(simplex, jnp.array([2.0, 5.0, 5.0]), f)
      >>> values.tolist(), int(evals)  # the worst vertex (1, 2) was reflected to (2, 0)
      ([2.0, 5.0, 4.0], 1)

    """
    del name
    simplex = jnp.asarray(current_simplex)
    values = jnp.asarray(current_objective_values)
    dim = simplex.shape[0] - 1 if dim is None else dim
    coefficients = _coefficients(dim, simplex.dtype, reflection, expansion, contraction, shrinkage)
    next_simplex, next_values, evaluations = _step(
        simplex, values, objective_function, coefficients, batch_evaluate_objective
    )
    converged = _has_converged(next_simplex, next_values, func_tolerance, position_tolerance)
    return converged, next_simplex, next_values, evaluations


def _step(
    simplex, values, objective_function, coefficients: NelderMeadCoefficients, batch_evaluate_objective
):
    order = jnp.argsort(values, stable=True)
    best, second_worst, worst = order[0], order[-2], order[-1]
    worst_vertex = simplex[worst]
    num_vertices = simplex.shape[0]
    centroid = (jnp.sum(simplex, axis=0) - worst_vertex) / (num_vertices - 1)
    reflected = centroid + coefficients.reflection * (centroid - worst_vertex)
    reflected_value = objective_function(reflected)

    def accept_reflected():
        return reflected, reflected_value, jnp.asarray(False), jnp.asarray(0, jnp.int32)

    def expand():
        expanded = centroid + coefficients.expansion * (reflected - centroid)
        expanded_value = objective_function(expanded)
        better = expanded_value < reflected_value
        point = jnp.where(better, expanded, reflected)
        return (
            point,
            jnp.where(better, expanded_value, reflected_value),
            jnp.asarray(False),
            jnp.asarray(1, jnp.int32),
        )

    def contract_outside():
        contracted = centroid + coefficients.contraction * (reflected - centroid)
        contracted_value = objective_function(contracted)
        return contracted, contracted_value, ~(contracted_value <= reflected_value), jnp.asarray(1, jnp.int32)

    def contract_inside():
        contracted = centroid - coefficients.contraction * (centroid - worst_vertex)
        contracted_value = objective_function(contracted)
        return contracted, contracted_value, ~(contracted_value <= values[worst]), jnp.asarray(1, jnp.int32)

    branch = jnp.select(
        [
            (reflected_value >= values[best]) & (reflected_value < values[second_worst]),
            reflected_value < values[best],
            reflected_value < values[worst],
        ],
        [0, 1, 2],
        default=3,
    )
    point, point_value, needs_shrink, evaluations = jax.lax.switch(
        branch, [accept_reflected, expand, contract_outside, contract_inside]
    )

    def shrink():
        shrunk = simplex[best][None] + coefficients.shrinkage * (simplex - simplex[best][None])
        shrunk_values = _evaluate_vertices(objective_function, shrunk, batch_evaluate_objective)
        return shrunk, shrunk_values.astype(values.dtype), jnp.asarray(num_vertices, jnp.int32)

    def replace_worst():
        return (
            simplex.at[worst].set(point),
            values.at[worst].set(point_value.astype(values.dtype)),
            jnp.asarray(0, jnp.int32),
        )

    next_simplex, next_values, shrink_evaluations = jax.lax.cond(needs_shrink, shrink, replace_worst)
    return next_simplex, next_values, 1 + evaluations + shrink_evaluations


def _default_step_sizes(vertex: jax.Array) -> jax.Array:
    # Gao and Han's (and scipy's) axis steps: 5% of each coordinate, 0.00025 for zeros.
    return jnp.where(
        jnp.abs(vertex) < jnp.finfo(vertex.dtype).eps, jnp.asarray(0.00025, vertex.dtype), 0.05 * vertex
    )


def _as_float(value, argument: str) -> jax.Array:
    array = jnp.asarray(value)
    if not jnp.issubdtype(array.dtype, jnp.floating):
        array = array.astype(jnp.result_type(float))
    return array


def _initial_simplex(
    objective_function,
    initial_simplex,
    initial_vertex,
    step_sizes,
    objective_at_initial_simplex,
    objective_at_initial_vertex,
    batch_evaluate_objective,
):
    """The starting simplex, the objective at its vertices and the evaluations it took."""
    if initial_simplex is not None and initial_vertex is not None:
        raise ValueError(f"{_CALLER}: give only one of initial_simplex and initial_vertex, got both.")
    if initial_simplex is None and initial_vertex is None:
        raise ValueError(f"{_CALLER}: give one of initial_simplex and initial_vertex, got neither.")
    if objective_at_initial_simplex is not None and initial_simplex is None:
        raise ValueError(f"{_CALLER}: objective_at_initial_simplex was given without initial_simplex.")
    if objective_at_initial_vertex is not None and initial_vertex is None:
        raise ValueError(f"{_CALLER}: objective_at_initial_vertex was given without initial_vertex.")
    if initial_simplex is not None:
        if step_sizes is not None:
            raise ValueError(f"{_CALLER}: step_sizes must not be given with initial_simplex.")
        simplex = _as_float(initial_simplex, "initial_simplex")
        point_size = math.prod(simplex.shape[1:]) if simplex.ndim >= 2 else 0
        if simplex.ndim < 2 or simplex.shape[0] != point_size + 1 or point_size < 2:
            raise ValueError(
                f"{_CALLER}: initial_simplex must have shape [n + 1, ...] with n >= 2 the number of "
                f"coordinates of a point, got shape {simplex.shape}."
            )
        if objective_at_initial_simplex is not None:
            values = jnp.asarray(objective_at_initial_simplex)
            if values.shape != (simplex.shape[0],):
                raise ValueError(
                    f"{_CALLER}: objective_at_initial_simplex must have shape [{simplex.shape[0]}], "
                    f"got {values.shape}."
                )
            return simplex, values, 0
        return (
            simplex,
            _evaluate_vertices(objective_function, simplex, batch_evaluate_objective),
            simplex.shape[0],
        )
    vertex = _as_float(initial_vertex, "initial_vertex")
    dim = vertex.size
    if dim < 2:
        raise ValueError(
            f"{_CALLER}: initial_vertex must have at least 2 coordinates (Nelder-Mead does not do "
            f"univariate problems), got shape {vertex.shape}."
        )
    steps = _default_step_sizes(vertex) if step_sizes is None else jnp.asarray(step_sizes, vertex.dtype)
    try:
        steps = jnp.broadcast_to(steps, vertex.shape)
    except ValueError as err:
        raise ValueError(
            f"{_CALLER}: step_sizes of shape {steps.shape} does not broadcast to the shape "
            f"{vertex.shape} of initial_vertex."
        ) from err
    axes = jnp.eye(dim, dtype=vertex.dtype).reshape((dim, *vertex.shape))
    face = vertex[None] + steps[None] * axes
    simplex = jnp.concatenate([vertex[None], face])
    if objective_at_initial_vertex is None:
        return simplex, _evaluate_vertices(objective_function, simplex, batch_evaluate_objective), dim + 1
    face_values = _evaluate_vertices(objective_function, face, batch_evaluate_objective)
    first = jnp.asarray(objective_at_initial_vertex, face_values.dtype).reshape(1)
    return simplex, jnp.concatenate([first, face_values]), dim


def nelder_mead_minimize(
    objective_function: Objective,
    initial_simplex=None,
    initial_vertex=None,
    step_sizes=None,
    objective_at_initial_simplex=None,
    objective_at_initial_vertex=None,
    batch_evaluate_objective: bool = False,
    func_tolerance=1e-8,
    position_tolerance=1e-8,
    parallel_iterations: int = 1,
    max_iterations=None,
    reflection=None,
    expansion=None,
    contraction=None,
    shrinkage=None,
    name: str | None = None,
) -> NelderMeadOptimizerResults:
    """Minimize a function without derivatives by Nelder-Mead (TFP's `tfp.optimizer.nelder_mead_minimize`).

    Points may have any shape `s` with at least 2 coordinates. Give either an
    `initial_simplex` (`[n + 1] + s`) or an `initial_vertex` (shape `s`), from
    which the simplex `{v} + {v + step_i e_i}` is built. Jittable: one
    `lax.while_loop`; `jax.vmap` over starting points runs independent searches.

    Args:
      objective_function: maps one point to a scalar; with
        `batch_evaluate_objective`, it must also map a stack `[k] + s` to `[k]`.
      initial_simplex: the starting simplex `[n + 1] + s`.
      initial_vertex: a starting point of shape `s`.
      step_sizes: the simplex's extent along each axis (broadcast to `s`;
        default 5% of each coordinate, 0.00025 for zero coordinates). Only with
        `initial_vertex`.
      objective_at_initial_simplex: the objective at the initial simplex `[n + 1]`, if known.
      objective_at_initial_vertex: the objective at the initial vertex, if known.
      batch_evaluate_objective: evaluate a whole simplex in one call rather than
        mapping over its vertices.
      func_tolerance: stop when the objective's spread over the vertices is below this.
      position_tolerance: stop when every vertex is within this of the best one.
      parallel_iterations: accepted for TFP compatibility; ignored.
      max_iterations: the most steps (None: no limit).
      reflection: the reflection coefficient (default 1).
      expansion: the expansion coefficient (default `1 + 2/n`).
      contraction: the contraction coefficient (default `3/4 - 1/(2n)`).
      shrinkage: the shrinkage coefficient (default `1 - 1/n`).
      name: accepted for TFP compatibility; ignored.

    Returns:
      A `NelderMeadOptimizerResults`.

    Raises:
      ValueError: when neither or both of `initial_simplex` and `initial_vertex`
        are given, an `objective_at_*` or `step_sizes` comes without its
        starting point, or the shapes are wrong.

    Example:
      >>> import jax.numpy as jnp
      >>> f = lambda x: jnp.sum((x - jnp.array([1.0, -2.0])) ** 2)
      >>> res = nelder_mead_minimize(f, initial_vertex=jnp.zeros(2), step_sizes=1.0)
      >>> bool(res.converged), [round(v, 3) for v in res.position.tolist()]
      (True, [1.0, -2.0])

    """
    del parallel_iterations, name
    simplex, values, evaluations = _initial_simplex(
        objective_function,
        initial_simplex,
        initial_vertex,
        step_sizes,
        objective_at_initial_simplex,
        objective_at_initial_vertex,
        batch_evaluate_objective,
    )
    dim = simplex.shape[0] - 1
    coefficients = _coefficients(dim, simplex.dtype, reflection, expansion, contraction, shrinkage)
    func_tolerance = jnp.asarray(func_tolerance, values.dtype)
    position_tolerance = jnp.asarray(position_tolerance, simplex.dtype)
    limit = jnp.iinfo(jnp.int32).max if max_iterations is None else max_iterations

    def keep_going(carry):
        converged, iterations, *_ = carry
        return ~converged & (iterations < limit)

    def body(carry):
        _, iterations, current, current_values, count = carry
        next_simplex, next_values, new = _step(
            current, current_values, objective_function, coefficients, batch_evaluate_objective
        )
        converged = _has_converged(next_simplex, next_values, func_tolerance, position_tolerance)
        return converged, iterations + 1, next_simplex, next_values, count + new

    start = (
        _has_converged(simplex, values, func_tolerance, position_tolerance),
        jnp.asarray(0, jnp.int32),
        simplex,
        values,
        jnp.asarray(evaluations, jnp.int32),
    )
    converged, iterations, final_simplex, final_values, count = jax.lax.while_loop(keep_going, body, start)
    best = jnp.argmin(final_values)
    return NelderMeadOptimizerResults(
        converged=converged,
        num_objective_evaluations=count,
        position=final_simplex[best],
        objective_value=final_values[best],
        final_simplex=final_simplex,
        final_objective_values=final_values,
        initial_simplex=simplex,
        initial_objective_values=values,
        num_iterations=iterations,
    )
