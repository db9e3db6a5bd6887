"""The leapfrog (velocity Verlet) integrator of Hamiltonian dynamics over a flat state.

Hamiltonian samplers work on the chain state flattened into one vector (the
metric is a matrix over it); the user's target sees the state in its own
structure. `flat_target` bridges the two (tracing the target once, see
`probax.mcmc.chain_gradient`), and `leapfrog` moves a `PhasePoint`
by whole steps, one gradient evaluation per step: the gradient at the end of
a step is kept for the next, never recomputed.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, NamedTuple

import jax
import jax.numpy as jnp
from jax.flatten_util import ravel_pytree

from probax.mcmc.chain_gradient import FlatValueAndGradient, chain_value_and_grad
from probax.mcmc.metric import Metric, velocity
from probax.mcmc.target import call_target


class PhasePoint(NamedTuple):
    """A point of phase space with the target's value and gradient there (all flat)."""

    position: jax.Array
    momentum: jax.Array
    target_log_prob: jax.Array
    grads_target_log_prob: jax.Array


def flatten_state(state: Any) -> tuple[jax.Array, Callable[[jax.Array], Any]]:
    """The chain state as one floating-point vector, and the map back to its structure.

    Example:
      >>> import jax.numpy as jnp
      >>> flat, unravel = flatten_state({"a": 1.0, "b": jnp.ones(2)})
      >>> flat.tolist(), unravel(flat)["b"].shape
      ([1.0, 1.0, 1.0], (2,))

    """
    flat_state, unravel = ravel_pytree(state)
    if not jnp.issubdtype(flat_state.dtype, jnp.floating):
        raise TypeError(f"The chain state must hold floating-point arrays; got dtype {flat_state.dtype}.")
    return flat_state, unravel


def flat_target(
    target_log_prob_fn: Callable[..., Any], state: Any
) -> tuple[jax.Array, Callable[[jax.Array], Any], FlatValueAndGradient]:
    """Flatten `state` and wrap the target as a function of the flat vector.

    Args:
      target_log_prob_fn: the user's log density, called TFP's way (`call_target`).
      state: a chain state (array, list of arrays or any pytree of floating arrays).

    Returns:
      `(flat_state, unravel, value_and_grad)`: the state as one vector, the map
      back to the state's structure, and `flat -> (log_prob, flat_gradient)`.

    Example:
      >>> import jax.numpy as jnp
      >>> flat, unravel, value_and_grad = flat_target(lambda a, b: -a**2 - jnp.sum(b), [1.0, jnp.ones(2)])
      >>> value, grad = value_and_grad(flat)
      >>> float(value), grad.tolist()
      (-3.0, [-2.0, -1.0, -1.0])

    """
    flat_state, unravel = flatten_state(state)
    return (
        flat_state,
        unravel,
        chain_value_and_grad(lambda flat: call_target(target_log_prob_fn, unravel(flat)), flat_state),
    )


def flat_step_size(step_size: Any, state: Any, dtype: jnp.dtype) -> jax.Array:
    """The step size as a scalar, or a flat vector when given per state part (TFP allows both).

    Args:
      step_size: a scalar, or a structure like `state` whose leaves broadcast to the parts.
      state: the chain state, giving each part's shape.
      dtype: the flat state's dtype.

    Example:
      >>> import jax.numpy as jnp
      >>> flat_step_size([0.1, 0.2], [jnp.zeros(()), jnp.zeros(2)], jnp.float32).tolist()
      [0.10000000149011612, 0.20000000298023224, 0.20000000298023224]

    """
    leaves = jax.tree.leaves(step_size)
    if len(leaves) == 1 and jnp.ndim(leaves[0]) == 0:
        return jnp.asarray(leaves[0], dtype)
    try:
        per_part = jax.tree.map(
            lambda size, part: jnp.broadcast_to(jnp.asarray(size, dtype), jnp.shape(part)), step_size, state
        )
    except ValueError as err:
        raise ValueError(
            "step_size must be a scalar or a structure matching the chain state whose parts broadcast "
            f"to the state's parts; got {step_size!r}."
        ) from err
    return ravel_pytree(per_part)[0]


def leapfrog(
    value_and_grad: FlatValueAndGradient,
    metric: Metric,
    step_size: jax.Array,
    point: PhasePoint,
    num_steps: int = 1,
) -> PhasePoint:
    """Move `point` by `num_steps` leapfrog steps of size `step_size` (negative: backwards in time).

    Args:
      value_and_grad: `flat -> (log_prob, flat_gradient)` (see `flat_target`).
      metric: the Euclidean metric (inverse mass matrix).
      step_size: a scalar or a vector over the flat state.
      point: the starting point, with the target's value and gradient there.
      num_steps: the number of steps (a Python int).

    Returns:
      The final point; `num_steps` gradient evaluations were made.

    Example:
      >>> import jax.numpy as jnp
      >>> from probax.mcmc.metric import identity_metric
      >>> value_and_grad = lambda x: (-0.5 * jnp.sum(x**2), -x)
      >>> start = PhasePoint(jnp.array([1.0]), jnp.array([0.0]), jnp.array(-0.5), jnp.array([-1.0]))
      >>> end = leapfrog(value_and_grad, identity_metric(1), jnp.array(0.1), start, num_steps=10)
      >>> round(float(end.position[0]), 3), round(float(end.momentum[0]), 3)
      (0.54, -0.841)

    """

    def step(point: PhasePoint) -> PhasePoint:
        half_step = 0.5 * step_size
        momentum = point.momentum + half_step * point.grads_target_log_prob
        position = point.position + step_size * velocity(metric, momentum)
        target_log_prob, grads = value_and_grad(position)
        momentum = momentum + half_step * grads
        return PhasePoint(position, momentum, target_log_prob, grads)

    if num_steps == 1:
        return step(point)
    return jax.lax.fori_loop(0, num_steps, lambda _, p: step(p), point)
