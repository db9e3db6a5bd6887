"""L-BFGS with TFP's signature: `lbfgs_minimize`.

From optax: the L-BFGS direction (`optax.scale_by_lbfgs`: the two-loop
recursion over a circular memory of position and gradient changes, with the
`y.s / y.y` scaling of the initial inverse Hessian and a first step capped to
unit length) and the strong-Wolfe zoom line search
(`optax.scale_by_zoom_linesearch`, see `probax.optimizer.line_search`).
Written here: TFP's stopping, batching and counts (shared with BFGS in
`probax.optimizer.quasi_newton`), the conversion between optax's memory and
TFP's `position_deltas` / `gradient_deltas` queues (so a result can be resumed
with `previous_optimizer_results`), and two safeguards optax leaves to the
caller: a pair with `y.s <= 0` is not stored (it would make the estimate
indefinite), and a non-descent direction falls back to the scaled gradient.

optax's L-BFGS state records a step's pair when it computes the next
direction, so during the loop the last step's pair is pending; the results'
queues include it, as TFP's do, unless that step converged or failed.
"""

from __future__ import annotations

import operator
from collections.abc import Callable

import jax
import jax.numpy as jnp
import optax

from probax.optimizer import quasi_newton
from probax.optimizer.convergence import Tolerances
from probax.optimizer.line_search import ValueAndGradients
from probax.optimizer.results import LBfgsOptimizerResults
from probax.optimizer.stopping import converged_all

_CALLER = "lbfgs_minimize"


def _lbfgs_method(memory: optax.GradientTransformation) -> quasi_newton.QuasiNewtonMethod:
    def search_direction(state, iteration):
        del iteration
        lbfgs_state = state.curvature
        position, gradient = state.position, state.objective_gradient
        pending_curvature = jnp.dot(position - lbfgs_state.params, gradient - lbfgs_state.updates)
        # Dropping a bad pair: optax then records a zero pair, which its two-loop recursion skips.
        drop = (lbfgs_state.count > 0) & ~(pending_curvature > 0)
        lbfgs_state = lbfgs_state._replace(
            params=jnp.where(drop, position, lbfgs_state.params),
            updates=jnp.where(drop, gradient, lbfgs_state.updates),
        )
        preconditioned, lbfgs_state = memory.update(gradient, lbfgs_state, position)
        direction = -preconditioned
        descent = (jnp.dot(direction, gradient) < 0) & jnp.all(jnp.isfinite(direction))
        fallback = -jnp.minimum(1, 1 / jnp.linalg.norm(gradient)) * gradient
        return jnp.where(descent, direction, fallback), lbfgs_state

    def update_curvature(lbfgs_state, before, after, should_update, iteration):
        del before, after, should_update, iteration
        return lbfgs_state

    return quasi_newton.QuasiNewtonMethod(search_direction, update_curvature)


def _queues_from_memory(state: quasi_newton.QuasiNewtonState) -> tuple[jax.Array, jax.Array]:
    """TFP's oldest-first `(position_deltas, gradient_deltas)` `[m, n]` of one problem."""
    lbfgs_state = state.curvature
    num_pairs = lbfgs_state.weights_memory.shape[0]
    # optax's next update will write slot (count - 1) % m, so that slot holds the oldest pair.
    oldest_first = ((lbfgs_state.count - 1) % num_pairs + jnp.arange(num_pairs)) % num_pairs
    position_deltas = lbfgs_state.diff_params_memory[oldest_first]
    gradient_deltas = lbfgs_state.diff_updates_memory[oldest_first]
    step = state.position - lbfgs_state.params
    gradient_change = state.objective_gradient - lbfgs_state.updates
    push = (lbfgs_state.count > 0) & ~state.converged & ~state.failed & (jnp.dot(step, gradient_change) > 0)
    pushed_positions = jnp.concatenate([position_deltas[1:], step[None]])
    pushed_gradients = jnp.concatenate([gradient_deltas[1:], gradient_change[None]])
    return (
        jnp.where(push, pushed_positions, position_deltas),
        jnp.where(push, pushed_gradients, gradient_deltas),
    )


def _memory_from_queues(
    position: jax.Array, gradient: jax.Array, position_deltas: jax.Array, gradient_deltas: jax.Array
) -> optax.ScaleByLBFGSState:
    """The optax L-BFGS state holding TFP's queues `[m, n]` of one problem (inverse of the above)."""
    num_pairs = position_deltas.shape[0]
    curvatures = jnp.sum(position_deltas * gradient_deltas, axis=-1)
    weights = jnp.where(curvatures == 0, 0, 1 / jnp.where(curvatures == 0, 1, curvatures))
    has_pairs = jnp.any(curvatures != 0)
    # With count == num_pairs, optax's next update writes the newest slot, which holds the
    # pending pair (position - params, gradient - updates) == the queue's newest pair.
    return optax.ScaleByLBFGSState(
        count=jnp.where(has_pairs, num_pairs, 0).astype(jnp.int32),
        params=position - position_deltas[-1],
        updates=gradient - gradient_deltas[-1],
        diff_params_memory=position_deltas,
        diff_updates_memory=gradient_deltas,
        weights_memory=weights.astype(jnp.zeros(num_pairs).dtype),
    )


def _positive_int(value) -> int:
    try:
        number = operator.index(value)
    except TypeError:
        number = 0
    if isinstance(value, bool) or number < 1:
        raise ValueError(f"{_CALLER}: num_correction_pairs must be a positive int, got {value!r}.")
    return number


def _check_previous(results, initial_position, initial_inverse_hessian_estimate) -> None:
    if (initial_position is None) == (results is None):
        raise ValueError(
            f"{_CALLER}: give exactly one of initial_position and previous_optimizer_results, got "
            f"{'both' if results is not None else 'neither'}."
        )
    if initial_inverse_hessian_estimate is not None:
        raise NotImplementedError(
            f"{_CALLER}: initial_inverse_hessian_estimate is not supported (as in TFP)."
        )
    if results is not None and not isinstance(results, LBfgsOptimizerResults):
        raise ValueError(
            f"{_CALLER}: previous_optimizer_results must be an LBfgsOptimizerResults, got {type(results)}."
        )


def lbfgs_minimize(
    value_and_gradients_function: ValueAndGradients,
    initial_position=None,
    previous_optimizer_results: LBfgsOptimizerResults | None = None,
    num_correction_pairs: int = 10,
    tolerance=1e-8,
    x_tolerance=0,
    f_relative_tolerance=0,
    initial_inverse_hessian_estimate=None,
    max_iterations=50,
    parallel_iterations: int = 1,
    stopping_condition: Callable[[jax.Array, jax.Array], jax.Array] | None = None,
    max_line_search_iterations: int = 50,
    f_absolute_tolerance=0,
    name: str | None = None,
) -> LBfgsOptimizerResults:
    """Minimize a differentiable function with L-BFGS (TFP's `tfp.optimizer.lbfgs_minimize`).

    Each iteration steps along optax's L-BFGS direction (built from the last
    `num_correction_pairs` position and gradient changes) to a point found by
    optax's strong-Wolfe zoom line search. Starting positions `[..., n]` are
    independent problems solved together (see `stopping_condition`). Jittable:
    one `lax.while_loop`.

    Args:
      value_and_gradients_function: maps a position `[n]` to `(value, gradient)`
        (a scalar and an `[n]` array), e.g. `jax.value_and_grad(f)`. TFP-style
        objectives that accept `[..., n]` work unchanged.
      initial_position: array `[..., n]`; leading axes index independent problems.
        Give this or `previous_optimizer_results`, not both.
      previous_optimizer_results: an `LBfgsOptimizerResults` to resume from (its
        counts, flags and correction pairs carry over), e.g. with another
        `stopping_condition`.
      num_correction_pairs: how many position and gradient changes to remember.
      tolerance: stop where the supremum norm of the gradient is at most this.
      x_tolerance: stop where a step's supremum norm is at most this.
      f_relative_tolerance: stop where a step changes the objective by at most this
        times its magnitude.
      initial_inverse_hessian_estimate: not supported (as in TFP); must be None.
      max_iterations: the most L-BFGS iterations (counted from the start of a
        resumed run).
      parallel_iterations: accepted for TFP compatibility; ignored.
      stopping_condition: `(converged, failed) -> bool`; default `converged_all`.
      max_line_search_iterations: the most objective evaluations per line search.
      f_absolute_tolerance: stop where a step changes the objective by at most this.
      name: accepted for TFP compatibility; ignored.

    Returns:
      An `LBfgsOptimizerResults`.

    Raises:
      ValueError: when `initial_position` is a scalar, the objective returns the
        wrong shapes, `num_correction_pairs` is not a positive integer, or not
        exactly one of `initial_position` and `previous_optimizer_results` is given.
      NotImplementedError: when `initial_inverse_hessian_estimate` is given.

    Example:
      >>> import jax, jax.numpy as jnp
      >>> f = lambda x: jnp.sum((x - jnp.array([1.0, 2.0])) ** 2)
      >>> res = lbfgs_minimize(jax.value_and_grad(f), jnp.zeros(2))
      >>> bool(res.converged), [round(v, 6) for v in res.position.tolist()]
      (True, [1.0, 2.0])

    """
    del parallel_iterations, name
    previous = previous_optimizer_results
    _check_previous(previous, initial_position, initial_inverse_hessian_estimate)
    num_correction_pairs = _positive_int(num_correction_pairs)
    source = previous.position if previous is not None else initial_position
    position = quasi_newton.as_initial_position(source, _CALLER)
    batch_shape = position.shape[:-1]
    quasi_newton.check_objective(value_and_gradients_function, position[(0,) * len(batch_shape)], _CALLER)
    tolerances = Tolerances.of_dtype(
        position.dtype, tolerance, x_tolerance, f_relative_tolerance, f_absolute_tolerance
    )
    memory = optax.scale_by_lbfgs(memory_size=num_correction_pairs)
    map_problems = (lambda fn: fn) if batch_shape == () else jax.vmap

    def flat(array, event_ndims=1):
        return quasi_newton.flatten_batch(array, batch_shape, event_ndims)

    if previous is None:

        def start(x):
            return quasi_newton.start(value_and_gradients_function, x, memory.init(x), tolerances)

        states = map_problems(start)(flat(position))
        num_iterations, num_evaluations = 0, 1
    else:
        if previous.position_deltas.shape[0] != num_correction_pairs:
            raise ValueError(
                f"{_CALLER}: previous_optimizer_results holds {previous.position_deltas.shape[0]} "
                f"correction pairs but num_correction_pairs is {num_correction_pairs}."
            )

        def resume(converged, failed, x, value, gradient, position_deltas, gradient_deltas):
            lbfgs_state = _memory_from_queues(x, gradient, position_deltas, gradient_deltas)
            return quasi_newton.QuasiNewtonState(converged, failed, x, value, gradient, lbfgs_state)

        queues = [jnp.moveaxis(q, 0, -2) for q in (previous.position_deltas, previous.gradient_deltas)]
        states = map_problems(resume)(
            flat(jnp.asarray(previous.converged), 0),
            flat(jnp.asarray(previous.failed), 0),
            flat(position),
            flat(jnp.asarray(previous.objective_value), 0),
            flat(jnp.asarray(previous.objective_gradient)),
            *(flat(q.astype(position.dtype), 2) for q in queues),
        )
        num_iterations, num_evaluations = previous.num_iterations, previous.num_objective_evaluations
    outcome = quasi_newton.run(
        _lbfgs_method(memory),
        value_and_gradients_function,
        states,
        batch_shape,
        stopping_condition=stopping_condition or converged_all,
        max_iterations=max_iterations,
        num_iterations=num_iterations,
        num_objective_evaluations=num_evaluations,
        tolerances=tolerances,
        max_line_search_iterations=max_line_search_iterations,
    )
    position_deltas, gradient_deltas = map_problems(_queues_from_memory)(outcome.states)

    def unflat(array):
        return quasi_newton.unflatten_batch(array, batch_shape)

    final = outcome.states
    return LBfgsOptimizerResults(
        converged=unflat(final.converged),
        failed=unflat(final.failed),
        num_iterations=outcome.num_iterations,
        num_objective_evaluations=outcome.num_objective_evaluations,
        position=unflat(final.position),
        objective_value=unflat(final.objective_value),
        objective_gradient=unflat(final.objective_gradient),
        # TFP puts the pair axis first: [num_correction_pairs, ..., n].
        position_deltas=jnp.moveaxis(unflat(position_deltas), -2, 0),
        gradient_deltas=jnp.moveaxis(unflat(gradient_deltas), -2, 0),
    )
