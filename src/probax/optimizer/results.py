"""Result structures of the optimizers, with TensorFlow Probability's names and field order.

Every result is a `NamedTuple` of arrays, so it is a pytree: it comes back out of
`jax.jit`, stacks under `jax.vmap` and can be fed to a later call (L-BFGS takes
one as `previous_optimizer_results`).
"""

from __future__ import annotations

from typing import NamedTuple

import jax


class LBfgsOptimizerResults(NamedTuple):
    """State and outcome of `lbfgs_minimize`.

    Attributes:
      converged: bool `[...]`, True where a convergence test held.
      failed: bool `[...]`, True where the line search found no decrease or the
        objective or its gradient stopped being finite.
      num_iterations: int scalar, L-BFGS iterations run (shared by the batch).
      num_objective_evaluations: int scalar, calls of the objective (one call
        evaluates the whole batch).
      position: `[..., n]`, the last position; the argmin where `converged`.
      objective_value: `[...]`, the objective at `position`.
      objective_gradient: `[..., n]`, its gradient at `position`.
      position_deltas: `[num_correction_pairs, ..., n]`, the latest position
        changes, oldest first (zeros until filled).
      gradient_deltas: `[num_correction_pairs, ..., n]`, the matching gradient
        changes.

    Example:
      >>> LBfgsOptimizerResults._fields[:2]
      ('converged', 'failed')

    """

    converged: jax.Array
    failed: jax.Array
    num_iterations: jax.Array
    num_objective_evaluations: jax.Array
    position: jax.Array
    objective_value: jax.Array
    objective_gradient: jax.Array
    position_deltas: jax.Array
    gradient_deltas: jax.Array


class BfgsOptimizerResults(NamedTuple):
    """State and outcome of `bfgs_minimize`.

    Attributes:
      converged: bool `[...]`, True where a convergence test held.
      failed: bool `[...]`, True where the line search found no decrease or the
        objective or its gradient stopped being finite.
      num_iterations: int scalar, BFGS iterations run (shared by the batch).
      num_objective_evaluations: int scalar, calls of the objective (one call
        evaluates the whole batch).
      position: `[..., n]`, the last position; the argmin where `converged`.
      objective_value: `[...]`, the objective at `position`.
      objective_gradient: `[..., n]`, its gradient at `position`.
      inverse_hessian_estimate: `[..., n, n]`, the BFGS estimate of the inverse
        Hessian at `position`.
      scale_initial_inverse_hessian: bool scalar, whether the initial estimate
        was rescaled after the first step (Nocedal and Wright, eq. 6.20).

    Example:
      >>> BfgsOptimizerResults._fields[-2]
      'inverse_hessian_estimate'

    """

    converged: jax.Array
    failed: jax.Array
    num_iterations: jax.Array
    num_objective_evaluations: jax.Array
    position: jax.Array
    objective_value: jax.Array
    objective_gradient: jax.Array
    inverse_hessian_estimate: jax.Array
    scale_initial_inverse_hessian: jax.Array


class NelderMeadOptimizerResults(NamedTuple):
    """Outcome of `nelder_mead_minimize`.

    Attributes:
      converged: bool scalar, True when the simplex met a tolerance.
      num_objective_evaluations: int scalar, objective evaluations (one per vertex).
      position: the best vertex of the final simplex.
      objective_value: the objective at `position`.
      final_simplex: `[n + 1, ...]`, the last simplex.
      final_objective_values: `[n + 1]`, the objective at its vertices.
      initial_simplex: `[n + 1, ...]`, the starting simplex.
      initial_objective_values: `[n + 1]`, the objective at its vertices.
      num_iterations: int scalar, Nelder-Mead steps taken.

    Example:
      >>> NelderMeadOptimizerResults._fields[-1]
      'num_iterations'

    """

    converged: jax.Array
    num_objective_evaluations: jax.Array
    position: jax.Array
    objective_value: jax.Array
    final_simplex: jax.Array
    final_objective_values: jax.Array
    initial_simplex: jax.Array
    initial_objective_values: jax.Array
    num_iterations: jax.Array


class DifferentialEvolutionOptimizerResults(NamedTuple):
    """Outcome of `differential_evolution_minimize`.

    The first nine fields are TFP's, in TFP's order; `num_objective_evaluations`
    (population size times generations plus one) is a probax addition.

    Attributes:
      converged: bool scalar, True when the population met a tolerance.
      failed: bool scalar, True when every member's objective is infinite or NaN.
      position: the best member (an array, or a list of arrays for a multi-part state).
      objective_value: the objective at `position`.
      final_population: the last population (same structure as the input).
      final_objective_values: `[population_size]`, the objective at each member.
      initial_population: the starting population.
      initial_objective_values: `[population_size]`, the objective at each member.
      num_iterations: int scalar, generations evolved.
      num_objective_evaluations: int scalar, objective evaluations (one per member).

    Example:
      >>> DifferentialEvolutionOptimizerResults._fields[:2]
      ('converged', 'failed')

    """

    converged: jax.Array
    failed: jax.Array
    position: jax.Array | list[jax.Array]
    objective_value: jax.Array
    final_population: jax.Array | list[jax.Array]
    final_objective_values: jax.Array
    initial_population: jax.Array | list[jax.Array]
    initial_objective_values: jax.Array
    num_iterations: jax.Array
    num_objective_evaluations: jax.Array
