"""The No-U-Turn trajectory, built leaf by leaf in one `lax.while_loop`.

One loop iteration adds one leaf (one leapfrog step, or `unrolled_leapfrog_steps`
of them) to the subtree being built; when that subtree is complete (or fails)
it is merged into the trajectory and the next doubling starts, in a fresh
random direction. A single flat loop, rather than a loop of doublings around a
loop of leaves, lets chains under `vmap` run trajectories of different shapes
without waiting for each other at every doubling.

The rules are Stan's (Hoffman & Gelman 2014; Betancourt 2017):
- multinomial sampling: uniform progressive sampling inside a subtree, biased
  progressive sampling (prefer the new subtree) when merging it;
- the generalized U-turn criterion on momentum sums and velocities `M^{-1} p`,
  checked for every subtree when it completes and, optionally like Stan, also
  across the boundary of its two halves (left half plus the first state of the
  right half, checked as soon as that state is added, and the last state of the
  left half plus the right half); BlackJAX and NumPyro omit these;
- a leaf whose energy error exceeds `max_energy_diff` (or is NaN) is a
  divergence; a diverging or turning subtree is rejected and ends the trajectory;
- the acceptance statistic is the mean over all leaves of `min(1, exp(H0 - H))`.

U-turn checks inside a subtree need, for every subtree still open, its first
leaf's velocity and the momentum sum before it. Leaf `n` (even) is stored in
slot `popcount(n)`; a slot is only reused once every subtree starting at the
leaf it holds is closed, so `max_tree_depth` slots suffice (iterative NUTS as in
NumPyro and BlackJAX). At an odd leaf `n` the subtrees that close are those
whose first leaves sit in the `t` slots below `popcount(n)`, `t` being the
number of trailing ones of `n`.

On CPU the loop's cost is mostly its number of operations, not their arithmetic:
the loop state is carried as two packed vectors and the table is updated by a
one-hot select (a scatter under `vmap` is slower). Random numbers come from a
counter-based generator (Threefry-2x32, 20 rounds, keyed once per trajectory
from `key`): the uniforms of leaf `n` and of doubling `j` are hashes of their
counters, a few fused integer operations in the loop body. Drawing them with
`jax.random` instead costs a rolled loop per call on CPU, or, drawn all at once
before the loop, work for `2**max_tree_depth` leaves that a trajectory rarely uses.
"""

from __future__ import annotations

from typing import Any, NamedTuple

import jax
import jax.numpy as jnp
import numpy as np

from probax.mcmc.leapfrog import FlatValueAndGradient, PhasePoint, leapfrog
from probax.mcmc.metric import Metric, kinetic_energy, velocity


class Proposal(NamedTuple):
    """A candidate next state (flat) with its target value, gradient and Hamiltonian."""

    position: jax.Array
    target_log_prob: jax.Array
    grads_target_log_prob: jax.Array
    energy: jax.Array


class TrajectoryInfo(NamedTuple):
    """What a finished trajectory reports."""

    proposal: Proposal
    is_accepted: jax.Array
    log_accept_ratio: jax.Array
    num_leaves: jax.Array
    tree_depth: jax.Array
    has_divergence: jax.Array


# The loop keeps few, stacked arrays: on CPU each separate small array operation in the loop body
# costs about as much as the arithmetic of a cheap target's gradient.
# A phase point, shape (4, d): position, momentum, gradient of the target, velocity M^{-1} p.
_POSITION, _MOMENTUM, _GRADIENT, _VELOCITY = range(4)
# A candidate state: vectors (2, d) (position, gradient) and scalars (2,) (log prob, energy).
# The checkpoint table, shape (rows, slots, d): per slot, the first leaf of an open subtree (its velocity
# and the subtree's momentum sum before it) and, with the checks across halves, the leaf before it (its
# velocity, and its momentum minus that sum).
_FIRST_VELOCITY, _SUM_BEFORE, _PREVIOUS_VELOCITY, _PREVIOUS_MOMENTUM_LESS_SUM = range(4)


class _LoopState(NamedTuple):
    ends: jax.Array  # (2, 4, d): the left and right ends of the trajectory
    ends_log_prob: jax.Array  # (2,)
    momentum_sum: jax.Array
    log_weight: jax.Array
    proposal: tuple[jax.Array, jax.Array]
    is_accepted: jax.Array
    subtree_momentum_sum: jax.Array
    subtree_log_weight: jax.Array
    subtree_proposal: tuple[jax.Array, jax.Array]
    checkpoints: jax.Array
    leaf: jax.Array
    depth: jax.Array
    num_leaves: jax.Array
    accept_prob_sum: jax.Array
    has_divergence: jax.Array
    trajectory_turned: jax.Array  # the trajectory plus the subtree's first leaf turned (extra checks)
    done: jax.Array


# Threefry-2x32 (Salmon et al. 2011, "Parallel random numbers: as easy as 1, 2, 3"): rotation
# constants of its 20 rounds (four per key injection) and the key-schedule parity constant.
_THREEFRY_ROTATIONS = ((13, 15, 26, 6), (17, 29, 16, 24))
_THREEFRY_PARITY = 0x1BD11BDA


def _rotate_left(x: jax.Array, bits: int) -> jax.Array:
    return jax.lax.shift_left(x, np.uint32(bits)) | jax.lax.shift_right_logical(x, np.uint32(32 - bits))


def _threefry2x32(key: jax.Array, counter: jax.Array) -> jax.Array:
    """The Threefry-2x32 block cipher (20 rounds) of a uint32 `counter` under a `(2,)` uint32 `key`.

    Returns the first output word (uint32, `counter`'s shape). Written out with elementwise
    operations so that XLA fuses it (`jax.random` lowers it to a rolled loop on CPU).
    """
    keys = (key[0], key[1], key[0] ^ key[1] ^ np.uint32(_THREEFRY_PARITY))
    x0, x1 = counter + keys[0], jnp.zeros_like(counter) + keys[1]
    for injection in range(1, 6):
        for bits in _THREEFRY_ROTATIONS[(injection - 1) % 2]:
            x0 = x0 + x1
            x1 = _rotate_left(x1, bits) ^ x0
        x0 = x0 + keys[injection % 3]
        x1 = x1 + keys[(injection + 1) % 3] + np.uint32(injection)
    return x0


def _log_uniforms(key: jax.Array, counters: jax.Array, dtype: jnp.dtype) -> jax.Array:
    """Logs of independent uniforms on (0, 1), one per uint32 counter, in `dtype`."""
    bits = _threefry2x32(key, counters)
    # The top 24 bits (float32's precision) plus one half: never 0, never 1.
    uniform = (jax.lax.shift_right_logical(bits, np.uint32(8)).astype(dtype) + 0.5) * (2.0**-24)
    return jnp.log(uniform)


def _select(condition: jax.Array, if_true: Any, if_false: Any) -> Any:
    return jax.tree.map(lambda a, b: jnp.where(condition, a, b), if_true, if_false)


def _pack(state: _LoopState) -> tuple[jax.Array, jax.Array]:
    """The loop state as one float and one int32 vector (`done` last).

    Every array carried by a while loop is copied and written by an operation of its own at each
    iteration; two arrays keep that to two operations.
    """
    leaves = jax.tree.leaves(state)
    floats = [leaf for leaf in leaves if jnp.issubdtype(leaf.dtype, jnp.floating)]
    dtype = jnp.result_type(*floats)
    integers = [leaf for leaf in leaves if not jnp.issubdtype(leaf.dtype, jnp.floating)]
    return (
        jnp.concatenate([leaf.astype(dtype).ravel() for leaf in floats]),
        jnp.concatenate([leaf.astype(jnp.int32).ravel() for leaf in integers]),
    )


def _unpack(packed: tuple[jax.Array, jax.Array], like: _LoopState) -> _LoopState:
    """The inverse of `_pack`, with shapes and dtypes taken from `like`."""
    leaves, treedef = jax.tree.flatten(like)
    offsets = [0, 0]
    unpacked = []
    for leaf in leaves:
        part = 0 if jnp.issubdtype(leaf.dtype, jnp.floating) else 1
        start = offsets[part]
        offsets[part] += leaf.size
        unpacked.append(packed[part][start : offsets[part]].reshape(leaf.shape).astype(leaf.dtype))
    return jax.tree.unflatten(treedef, unpacked)


def _turned(velocity_a: jax.Array, velocity_b: jax.Array, momentum_sum: jax.Array) -> jax.Array:
    """The generalized U-turn criterion; batched over leading dimensions of its arguments."""
    a_turned = jnp.sum(velocity_a * momentum_sum, axis=-1) <= 0
    return a_turned | (jnp.sum(velocity_b * momentum_sum, axis=-1) <= 0)


def _store_checkpoint(
    table: jax.Array, leaf: jax.Array, new: jax.Array, previous: jax.Array, sum_before: jax.Array
) -> jax.Array:
    """Write leaf `leaf` (the phase point `new`, after `previous`) into its slot if it is even."""
    # A one-hot select rather than a scatter: under vmap the slot differs per chain.
    write = (jnp.arange(table.shape[1]) == jax.lax.population_count(leaf)) & (leaf % 2 == 0)
    rows = [new[_VELOCITY], sum_before]
    if table.shape[0] > 2:
        rows += [previous[_VELOCITY], previous[_MOMENTUM] - sum_before]
    # Materialized once: otherwise XLA recomputes the rows for every slot inside the select.
    rows = jax.lax.optimization_barrier(jnp.stack(rows))
    return jnp.where(write[None, :, None], rows[:, None, :], table)


def _slot_checks(
    table: jax.Array, leaf_velocity: jax.Array, momentum_sum: jax.Array
) -> tuple[jax.Array, jax.Array | None]:
    """U-turn checks of the subtrees whose first leaves sit in the slots, ending at `leaf`.

    Returns `(whole, across)`, each `(slots,)`: whether the subtree from slot `j`'s leaf to `leaf`
    turned; and (with the extra checks) whether the part from the leaf before slot `j`'s one to `leaf`
    did, which is Stan's check of "one leaf plus the right half" for the subtree whose right half
    starts at slot `j` (`None` without the extra checks).
    """
    leaf_velocity = jnp.broadcast_to(leaf_velocity, table.shape[1:])
    momentum_sum = momentum_sum[None, :]
    whole = _turned(table[_FIRST_VELOCITY], leaf_velocity, momentum_sum - table[_SUM_BEFORE])
    if table.shape[0] == 2:
        return whole, None
    across_sum = momentum_sum + table[_PREVIOUS_MOMENTUM_LESS_SUM]
    across = _turned(table[_PREVIOUS_VELOCITY], leaf_velocity, across_sum)
    return whole, across


def _subtree_turned(whole: jax.Array, across: jax.Array | None, leaf: jax.Array) -> jax.Array:
    """Whether a subtree turned at `leaf` (from `_slot_checks`).

    That is, a subtree closing there or, with the extra checks, a left half plus `leaf` as the first
    state of its right half.

    At an odd `leaf` the subtrees that close start in the `t` slots below `popcount(leaf)` (`t` its
    trailing ones); the right half of the one starting in slot `j` starts in slot `j + 1`. Stan checks
    "left half plus one leaf" when the subtree closes; it is known as soon as that leaf (even, in slot
    `popcount(leaf)`) is added, so it is checked then, against the left half starting in the slot below,
    and the subtree (rejected either way) stops early.
    """
    slots = jnp.arange(whole.shape[0], dtype=leaf.dtype)
    ones = jax.lax.population_count(leaf)
    trailing_ones = jax.lax.population_count(leaf ^ (leaf + 1)) - 1
    closing = (slots >= ones - trailing_ones) & (slots < ones)
    if across is None:
        return jnp.any(closing & whole)
    left_plus_one = (slots == ones - 1) & (leaf % 2 == 0)
    one_plus_right = closing & (slots > ones - trailing_ones)
    return jnp.any(((closing | left_plus_one) & whole) | (one_plus_right & across))


def build_trajectory(
    value_and_grad: FlatValueAndGradient,
    metric: Metric,
    step_size: jax.Array,
    initial: PhasePoint,
    key: jax.Array,
    max_tree_depth: int,
    max_energy_diff: float,
    unrolled_leapfrog_steps: int,
    extra_uturn_checks: bool = False,
) -> TrajectoryInfo:
    """Build a No-U-Turn trajectory from `initial` (with a momentum already drawn) and pick a state.

    Args:
      value_and_grad: `flat -> (log_prob, flat_gradient)`.
      metric: the Euclidean metric.
      step_size: a scalar or a vector over the flat state.
      initial: the starting phase point.
      key: randomness for directions and the multinomial choices.
      max_tree_depth: the most doublings (at most `2**max_tree_depth - 1` leaves).
      max_energy_diff: the energy error that counts as a divergence.
      unrolled_leapfrog_steps: leapfrog steps per leaf.
      extra_uturn_checks: also check, like Stan, across the two halves of every subtree (and of the
        trajectory when a subtree is merged); BlackJAX and NumPyro do not.

    Returns:
      The chosen state and the trajectory's statistics.

    Example:
      >>> import jax, jax.numpy as jnp
      >>> from probax.mcmc.metric import identity_metric
      >>> value_and_grad = lambda x: (-0.5 * jnp.sum(x**2), -x)
      >>> start = PhasePoint(jnp.zeros(2), jnp.ones(2), jnp.array(0.0), jnp.zeros(2))
      >>> info = build_trajectory(value_and_grad, identity_metric(2), jnp.array(0.1), start,
      ...                         jax.random.key(0), max_tree_depth=10, max_energy_diff=1000.0,
      ...                         unrolled_leapfrog_steps=1)
      >>> 3 <= int(info.tree_depth) <= 6, bool(info.has_divergence)
      (True, False)

    """
    dtype = initial.position.dtype
    # Counters: doubling `j`'s direction and merge draws are `2j` and `2j + 1`; leaf `n`'s draw is
    # `2 * max_tree_depth + n`.
    cipher_key = jax.random.bits(key, (2,), jnp.uint32)
    step_size = jnp.asarray(step_size, dtype)

    initial_velocity = velocity(metric, initial.momentum)
    initial_energy = kinetic_energy(initial.momentum, initial_velocity) - initial.target_log_prob
    initial_end = jnp.stack(
        [initial.position, initial.momentum, initial.grads_target_log_prob, initial_velocity]
    )
    initial_proposal = (
        jnp.stack([initial.position, initial.grads_target_log_prob]),
        jnp.stack([initial.target_log_prob, initial_energy]),
    )
    zeros = jnp.zeros_like(initial.position)
    scalar_zero = jnp.zeros((), initial_energy.dtype)
    state = _LoopState(
        ends=jnp.stack([initial_end, initial_end]),
        ends_log_prob=jnp.stack([initial.target_log_prob, initial.target_log_prob]),
        momentum_sum=initial.momentum,
        log_weight=scalar_zero,
        proposal=initial_proposal,
        is_accepted=jnp.zeros((), bool),
        subtree_momentum_sum=zeros,
        subtree_log_weight=scalar_zero,
        subtree_proposal=initial_proposal,
        checkpoints=jnp.zeros((4 if extra_uturn_checks else 2, max_tree_depth, *zeros.shape), dtype),
        leaf=jnp.zeros((), jnp.int32),
        depth=jnp.zeros((), jnp.int32),
        num_leaves=jnp.zeros((), jnp.int32),
        accept_prob_sum=scalar_zero,
        has_divergence=jnp.zeros((), bool),
        trajectory_turned=jnp.zeros((), bool),
        done=jnp.zeros((), bool),
    )

    def add_leaf(state: _LoopState) -> _LoopState:
        counters = jnp.stack([2 * state.depth, 2 * state.depth + 1, 2 * max_tree_depth + state.num_leaves])
        direction_draw, log_merge_uniform, log_leaf_uniform = _log_uniforms(
            cipher_key, counters.astype(jnp.uint32), dtype
        )
        forward = direction_draw < -np.log(2.0)
        start = jnp.where(forward, state.ends[1], state.ends[0])
        start_log_prob = jnp.where(forward, state.ends_log_prob[1], state.ends_log_prob[0])
        far_end_velocity = jnp.where(forward, state.ends[0, _VELOCITY], state.ends[1, _VELOCITY])
        signed_step = jnp.where(forward, step_size, -step_size)
        start_point = PhasePoint(start[_POSITION], start[_MOMENTUM], start_log_prob, start[_GRADIENT])
        point = leapfrog(value_and_grad, metric, signed_step, start_point, unrolled_leapfrog_steps)
        new_velocity = velocity(metric, point.momentum)
        # Materialized once: otherwise XLA recomputes the leapfrog step inside every fusion reading it.
        new = jax.lax.optimization_barrier(
            jnp.stack([point.position, point.momentum, point.grads_target_log_prob, new_velocity])
        )
        energy = kinetic_energy(point.momentum, new_velocity) - point.target_log_prob
        energy_error = energy - initial_energy
        log_weight = jnp.where(jnp.isnan(energy_error), -jnp.inf, -energy_error)
        diverged = ~(energy_error <= max_energy_diff)

        # Uniform progressive sampling within the subtree.
        first_leaf = state.leaf == 0
        sum_before = jnp.where(first_leaf, zeros, state.subtree_momentum_sum)
        subtree_momentum_sum = sum_before + point.momentum
        subtree_log_weight = jnp.logaddexp(
            jnp.where(first_leaf, -jnp.inf, state.subtree_log_weight), log_weight
        )
        take_leaf = log_leaf_uniform < log_weight - subtree_log_weight
        leaf_proposal = (
            jnp.stack([point.position, point.grads_target_log_prob]),
            jnp.stack([point.target_log_prob, energy]),
        )
        subtree_proposal = _select(take_leaf, leaf_proposal, state.subtree_proposal)

        checkpoints = _store_checkpoint(state.checkpoints, state.leaf, new, start, sum_before)
        whole, across = _slot_checks(checkpoints, new_velocity, subtree_momentum_sum)
        subtree_turned = _subtree_turned(whole, across, state.leaf)
        is_new_end = jnp.stack([~forward, forward])
        ends = jnp.where(is_new_end[:, None, None], new[None], state.ends)

        # Merge a complete, valid subtree: biased progressive sampling, then the trajectory's U-turn.
        subtree_complete = state.leaf + 1 == jnp.left_shift(1, state.depth)
        subtree_done = subtree_complete | subtree_turned | diverged
        valid = subtree_complete & ~subtree_turned & ~diverged
        take_subtree = valid & (log_merge_uniform < subtree_log_weight - state.log_weight)
        merged_sum = state.momentum_sum + subtree_momentum_sum
        # The trajectory's far end to this leaf: at the subtree's last leaf the merged trajectory; with the
        # extra checks, at its first leaf the old trajectory plus one leaf, and at its last leaf that
        # trajectory's end plus the subtree (slot 0 holds the subtree's first leaf).
        turned_to_leaf = _turned(far_end_velocity, new_velocity, merged_sum)
        turned_before = state.trajectory_turned
        if extra_uturn_checks:
            turned_before = jnp.where(first_leaf, turned_to_leaf, turned_before)
            turned_to_leaf = turned_to_leaf | across[0]
        depth = jnp.where(valid, state.depth + 1, state.depth)
        merged_log_weight = jnp.logaddexp(state.log_weight, subtree_log_weight)
        return _LoopState(
            ends=ends,
            ends_log_prob=jnp.where(is_new_end, point.target_log_prob, state.ends_log_prob),
            momentum_sum=jnp.where(valid, merged_sum, state.momentum_sum),
            log_weight=jnp.where(valid, merged_log_weight, state.log_weight),
            proposal=_select(take_subtree, subtree_proposal, state.proposal),
            is_accepted=state.is_accepted | take_subtree,
            subtree_momentum_sum=subtree_momentum_sum,
            subtree_log_weight=subtree_log_weight,
            subtree_proposal=subtree_proposal,
            checkpoints=checkpoints,
            leaf=jnp.where(subtree_done, 0, state.leaf + 1),
            depth=depth,
            num_leaves=state.num_leaves + 1,
            accept_prob_sum=state.accept_prob_sum + jnp.exp(jnp.minimum(log_weight, 0.0)),
            has_divergence=state.has_divergence | diverged,
            trajectory_turned=turned_before,
            done=subtree_done & (~valid | turned_before | turned_to_leaf | (depth >= max_tree_depth)),
        )

    packed = jax.lax.while_loop(
        lambda packed: packed[1][-1] == 0,
        lambda packed: _pack(add_leaf(_unpack(packed, state))),
        _pack(state),
    )
    final = _unpack(packed, state)
    vectors, scalars = final.proposal
    mean_accept_prob = final.accept_prob_sum / final.num_leaves.astype(final.accept_prob_sum.dtype)
    return TrajectoryInfo(
        proposal=Proposal(vectors[0], scalars[0], vectors[1], scalars[1]),
        is_accepted=final.is_accepted,
        log_accept_ratio=jnp.log(mean_accept_prob),
        num_leaves=final.num_leaves,
        tree_depth=final.depth,
        has_divergence=final.has_divergence,
    )
