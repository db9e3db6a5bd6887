"""Nesterov dual averaging of the log step size (Hoffman & Gelman 2014, Algorithm 5; Stan's constants).

After `m` updates with acceptance probabilities `a_1..a_m`, the iterate is

    log_step_size = mu - sqrt(m) / (shrinkage * (m + decay_offset)) * sum_i (target - a_i)

and the averaged iterate is the running average of the iterates with weight
`m ** -decay_rate` on the newest; its exponential is the step size kept after
adaptation. `mu` (the shrinkage target) is `log(10 * initial step size)`. Keeping
the sum of errors rather than Stan's running mean gives the same iterates (TFP
keeps it the same way). Every function is elementwise in the arrays of the
state, so a step size per state part and a vmap over chains both work.
"""

from __future__ import annotations

import math
from typing import NamedTuple

import jax
import jax.numpy as jnp

from probax._internal.dtypes import common_float_dtype


class DualAveragingState(NamedTuple):
    """The state of dual averaging.

    Attributes:
      log_step_size: the current iterate, the log step size to use for the next transition.
      log_averaged_step_size: the weighted average of the iterates, the log step size kept after adaptation.
      error_sum: the sum over updates of `target_accept_prob - accept_prob`.
      step: the number of updates made (int32).
      shrinkage_target: the log step size the iterates shrink towards (Stan's `mu`).

    """

    log_step_size: jax.Array
    log_averaged_step_size: jax.Array
    error_sum: jax.Array
    step: jax.Array
    shrinkage_target: jax.Array


def dual_averaging_init(step_size: jax.Array | float) -> DualAveragingState:
    """The dual-averaging state before any update, starting from `step_size`.

    Args:
      step_size: the initial step size, positive (any shape: one per state part is fine).

    Returns:
      A `DualAveragingState` whose iterates are `log(step_size)` and whose shrinkage
      target is `log(10 * step_size)`.

    Example:
      >>> state = dual_averaging_init(0.1)
      >>> round(float(jnp.exp(state.shrinkage_target)), 4), int(state.step)
      (1.0, 0)

    """
    step_size = jnp.asarray(step_size)
    log_step_size = jnp.log(step_size.astype(common_float_dtype(step_size)))
    return DualAveragingState(
        log_step_size=log_step_size,
        log_averaged_step_size=log_step_size,
        error_sum=jnp.zeros_like(log_step_size),
        step=jnp.zeros((), jnp.int32),
        shrinkage_target=log_step_size + math.log(10.0),
    )


def dual_averaging_update(
    state: DualAveragingState,
    accept_prob: jax.Array | float,
    target_accept_prob: jax.Array | float,
    shrinkage: float = 0.05,
    decay_rate: float = 0.75,
    decay_offset: float = 10.0,
) -> DualAveragingState:
    """One dual-averaging update after a transition that accepted with probability `accept_prob`.

    Args:
      state: the current `DualAveragingState`.
      accept_prob: the acceptance probability of the last transition, in [0, 1]; NaN counts as 0
        (a divergent or undefined proposal) and values above 1 as 1.
      target_accept_prob: the acceptance probability to reach.
      shrinkage: Stan's `gamma`: smaller values let the iterates move further from the shrinkage target.
      decay_rate: Stan's `kappa`: the averaging weight of the newest iterate is `step ** -decay_rate`.
      decay_offset: Stan's `t0`: damps the first iterations.

    Returns:
      The updated `DualAveragingState`.

    Example:
      >>> state = dual_averaging_init(1.0)
      >>> for _ in range(3):
      ...     state = dual_averaging_update(state, accept_prob=0.2, target_accept_prob=0.8)
      >>> bool(state.log_step_size < 0.0), int(state.step)
      (True, 3)

    """
    dtype = state.log_step_size.dtype
    accept_prob = jnp.asarray(accept_prob, dtype)
    accept_prob = jnp.where(jnp.isnan(accept_prob), 0.0, jnp.minimum(accept_prob, 1.0))
    step = state.step + 1
    count = step.astype(dtype)
    error_sum = state.error_sum + (jnp.asarray(target_accept_prob, dtype) - accept_prob)
    scale = jnp.sqrt(count) / (shrinkage * (count + decay_offset))
    log_step_size = state.shrinkage_target - scale * error_sum
    weight = count**-decay_rate
    log_averaged_step_size = weight * log_step_size + (1.0 - weight) * state.log_averaged_step_size
    return DualAveragingState(
        log_step_size=log_step_size,
        log_averaged_step_size=log_averaged_step_size,
        error_sum=error_sum,
        step=step,
        shrinkage_target=state.shrinkage_target,
    )
