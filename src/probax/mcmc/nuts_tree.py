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
- the generalized U-turn criterion on momentum sums and velocities `M^{-1} p`
  (by default on the trapezoidal sum, as NumPyro and BlackJAX: the span's
  momentum sum less half of its two end momenta; Stan uses the whole sum), checked
  for every subtree when it completes and, optionally like Stan, also
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

On CPU the loop's cost is its number of operations and the elements each one
touches. The loop state is carried as two packed vectors (one copy and one
write each per iteration), built from plain per-chain vectors so that under
`vmap` packing needs no transpose, and structures are selected as one flattened
vector. The checkpoint table (`slots x d`) is carried on its own and written one
slot per leaf by a scatter; its U-turn checks are two matrix-vector products.
Per-chain decisions that select vectors are computed once (`_computed_once`),
not inside each vector operation. Random numbers come from a
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
from jax.flatten_util import ravel_pytree

from probax._internal import threefry
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


class _End(NamedTuple):
    """A phase point at an end of the trajectory, with its velocity `M^{-1} p`."""

    position: jax.Array
    momentum: jax.Array
    target_log_prob: jax.Array
    grads_target_log_prob: jax.Array
    velocity: jax.Array


class _Checkpoints(NamedTuple):
    """What the U-turn checks need of the first leaf of every open subtree, one slot per subtree.

    Check 0 spans the subtree from the slot's leaf; check 1 (with the extra checks only) starts one leaf
    earlier. A check's momentum sum is the subtree's running momentum sum plus the check's `offsets`
    (minus the sum before the slot's leaf; for check 1, plus the earlier leaf's momentum), and its first
    state's velocity is in `velocities`. Storing `velocity_dot_offset` turns the checks at every leaf into
    two matrix-vector products (a reduction per slot costs several times more on CPU).

    Attributes:
      velocities: `(checks, slots, d)`.
      offsets: `(checks, slots, d)`.
      velocity_dot_offset: `(checks, slots)`, the dot products of the two.

    """

    velocities: jax.Array
    offsets: jax.Array
    velocity_dot_offset: jax.Array


class _LoopState(NamedTuple):
    """What the loop carries besides the checkpoint table (which is carried on its own)."""

    left: _End
    right: _End
    momentum_sum: jax.Array
    log_weight: jax.Array
    proposal: Proposal
    is_accepted: jax.Array
    subtree_momentum_sum: jax.Array
    subtree_log_weight: jax.Array
    subtree_proposal: Proposal
    leaf: jax.Array
    depth: jax.Array
    num_leaves: jax.Array
    accept_prob_sum: jax.Array
    has_divergence: jax.Array
    trajectory_turned: jax.Array  # the trajectory plus the subtree's first leaf turned (extra checks)
    done: jax.Array


def _log_uniforms(key: jax.Array, counters: jax.Array, dtype: jnp.dtype) -> jax.Array:
    """Logs of independent uniforms on (0, 1), one per uint32 counter, in `dtype`."""
    bits = threefry.threefry2x32(key, counters, jnp.zeros_like(counters))[0]
    # The top 24 bits (float32's precision) plus one half: never 0, never 1.
    uniform = (jax.lax.shift_right_logical(bits, np.uint32(8)).astype(dtype) + 0.5) * (2.0**-24)
    return jnp.log(uniform)


def _select(condition: jax.Array, if_true: Any, if_false: Any) -> Any:
    """`jnp.where` over two structures of floating arrays, as one select of their flattened leaves.

    One fused loop per structure rather than one per array: on CPU each costs a fixed overhead.
    """
    flat_true, unravel = ravel_pytree(if_true)
    return unravel(jnp.where(condition, flat_true, ravel_pytree(if_false)[0]))


def _pack(state: _LoopState) -> tuple[jax.Array, jax.Array]:
    """The loop state as one float and one int32 vector (`done` last).

    Every array carried by a while loop is copied and written by an operation of its own at each
    iteration; two arrays keep that to two operations. The parts are plain per-chain arrays (no
    stacking in the loop body), so that under `vmap` packing them is a concatenation with no transpose.
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


def _computed_once(flags: jax.Array) -> jax.Array:
    """`flags`, computed once rather than inside every vector operation that selects by them.

    XLA duplicates cheap scalar expressions into each fused loop that reads them, evaluating them for
    every element (`optimization_barrier` does not prevent it on CPU), but never duplicates an
    exponential: routing the flags through one materializes them.
    """
    return jnp.exp(jnp.where(flags, 0.0, -jnp.inf)) > 0.5


def _row_dots(left: list[jax.Array], right: list[jax.Array]) -> jax.Array:
    """The dot products `left[i] . right[i]`, as one stacked reduction.

    A leaf needs several dot products over the state (kinetic energy, U-turn checks, checkpoint
    rows); XLA:CPU runs each reduction as two kernels, so one reduction of the stack runs two
    kernels instead of a dozen.
    """
    return jnp.sum(jnp.stack(left) * jnp.stack(right), axis=-1)


def _empty_checkpoints(
    extra_uturn_checks: bool, slots: int, dimension: int, dtype: jnp.dtype
) -> _Checkpoints:
    """Checkpoints with nothing stored yet (zeros)."""
    checks = 2 if extra_uturn_checks else 1
    table = jnp.zeros((checks, slots, dimension), dtype)
    return _Checkpoints(table, table, jnp.zeros((checks, slots), dtype))


def _checkpoint_rows(
    new: _End, previous: _End, sum_before: jax.Array, checks: int, trapezoidal_uturn: bool
) -> tuple[list, list]:
    """Slot rows for leaf `new` (after `previous`): velocities and momentum offsets, one per check.

    With the trapezoidal criterion a check's offset also takes off half its first state's momentum.
    """
    first_offset = -0.5 * new.momentum - sum_before if trapezoidal_uturn else -sum_before
    velocities, offsets = [new.velocity], [first_offset]
    if checks > 1:
        velocities.append(previous.velocity)
        offsets.append((0.5 if trapezoidal_uturn else 1.0) * previous.momentum - sum_before)
    return velocities, offsets


def _store_checkpoint(
    checkpoints: _Checkpoints,
    leaf: jax.Array,
    velocities: list,
    offsets: list,
    velocity_dot_offset: jax.Array,
) -> _Checkpoints:
    """Write leaf `leaf`'s rows (`_checkpoint_rows`, with their dot products) into its slot if it is even.

    Scatters (under `vmap` the slot differs per chain) that drop the write at an odd leaf: they touch
    one slot, where a one-hot select would rewrite the whole `slots x d` table at every leaf.
    """
    slot = jnp.where(leaf % 2 == 0, jax.lax.population_count(leaf), checkpoints.velocities.shape[1])
    rows = _Checkpoints(jnp.stack(velocities), jnp.stack(offsets), velocity_dot_offset)
    return jax.tree.map(lambda table, row: table.at[:, slot].set(row, mode="drop"), checkpoints, rows)


def _slot_checks(
    checkpoints: _Checkpoints, leaf_velocity: jax.Array, momentum_sum: jax.Array, leaf_dot_sum: jax.Array
) -> tuple[jax.Array, jax.Array | None]:
    """U-turn checks of the subtrees whose first leaves sit in the slots, ending at `leaf`.

    `momentum_sum` is the subtree's momentum sum to `leaf` (less half of `leaf`'s momentum with the
    trapezoidal criterion) and `leaf_dot_sum` is `leaf_velocity . momentum_sum`.

    Returns `(whole, across)`, each `(slots,)`: whether the subtree from slot `j`'s leaf to `leaf`
    turned; and (with the extra checks) whether the part from the leaf before slot `j`'s one to `leaf`
    did, which is Stan's check of "one leaf plus the right half" for the subtree whose right half
    starts at slot `j` (`None` without the extra checks).
    """
    checks, slots, dimension = checkpoints.velocities.shape
    # v_first . (S + offset) and v_leaf . (S + offset), for every check and slot.
    first_turned = checkpoints.velocities.reshape(-1, dimension) @ momentum_sum <= -jnp.ravel(
        checkpoints.velocity_dot_offset
    )
    last_turned = checkpoints.offsets.reshape(-1, dimension) @ leaf_velocity <= -leaf_dot_sum
    turned = (first_turned | last_turned).reshape(checks, slots)
    return turned[0], (turned[1] if checks > 1 else None)


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
    trapezoidal_uturn: bool = True,
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
      trapezoidal_uturn: check U-turns on the momentum sum less half of its two end momenta (the
        trapezoidal rule, as NumPyro and BlackJAX) rather than on the whole sum (Stan).

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
    cipher_key = threefry.bits(key, (2,))
    step_size = jnp.asarray(step_size, dtype)

    initial_velocity = velocity(metric, initial.momentum)
    initial_energy = kinetic_energy(initial.momentum, initial_velocity) - initial.target_log_prob
    initial_end = _End(*initial, initial_velocity)
    initial_proposal = Proposal(
        initial.position, initial.target_log_prob, initial.grads_target_log_prob, initial_energy
    )
    zeros = jnp.zeros_like(initial.position)
    scalar_zero = jnp.zeros((), initial_energy.dtype)
    state = _LoopState(
        left=initial_end,
        right=initial_end,
        momentum_sum=initial.momentum,
        log_weight=scalar_zero,
        proposal=initial_proposal,
        is_accepted=jnp.zeros((), bool),
        subtree_momentum_sum=zeros,
        subtree_log_weight=scalar_zero,
        subtree_proposal=initial_proposal,
        leaf=jnp.zeros((), jnp.int32),
        depth=jnp.zeros((), jnp.int32),
        num_leaves=jnp.zeros((), jnp.int32),
        accept_prob_sum=scalar_zero,
        has_divergence=jnp.zeros((), bool),
        trajectory_turned=jnp.zeros((), bool),
        done=jnp.zeros((), bool),
    )

    checkpoints = _empty_checkpoints(extra_uturn_checks, max_tree_depth, zeros.shape[0], dtype)

    def add_leaf(state: _LoopState, checkpoints: _Checkpoints) -> tuple[_LoopState, _Checkpoints]:
        counters = jnp.stack([2 * state.depth, 2 * state.depth + 1, 2 * max_tree_depth + state.num_leaves])
        direction_draw, log_merge_uniform, log_leaf_uniform = _log_uniforms(
            cipher_key, counters.astype(jnp.uint32), dtype
        )
        forward = direction_draw < -np.log(2.0)
        start = _select(forward, state.right, state.left)
        far_end_velocity = jnp.where(forward, state.left.velocity, state.right.velocity)
        signed_step = jnp.where(forward, step_size, -step_size)
        point = leapfrog(value_and_grad, metric, signed_step, PhasePoint(*start[:4]), unrolled_leapfrog_steps)
        new = _End(*point, velocity(metric, point.momentum))
        new_velocity = new.velocity
        first_leaf = state.leaf == 0
        sum_before = jnp.where(first_leaf, zeros, state.subtree_momentum_sum)
        subtree_momentum_sum = sum_before + new.momentum
        merged_sum = state.momentum_sum + subtree_momentum_sum
        checks = checkpoints.velocities.shape[0]
        row_velocities, row_offsets = _checkpoint_rows(new, start, sum_before, checks, trapezoidal_uturn)
        # The sums the U-turn checks use: the trapezoidal criterion takes off half of each span's end
        # momenta (for the subtree spans, the first end's half is in the checkpoint offsets).
        checked_subtree_sum, checked_merged_sum = subtree_momentum_sum, merged_sum
        if trapezoidal_uturn:
            far_end_momentum = jnp.where(forward, state.left.momentum, state.right.momentum)
            checked_subtree_sum = subtree_momentum_sum - 0.5 * new.momentum
            checked_merged_sum = merged_sum - 0.5 * (far_end_momentum + new.momentum)
        # Every dot product over the state this leaf needs, in one reduction: twice the kinetic energy,
        # the leaf's velocity against the subtree's checked sum, both trajectory ends' velocities
        # against the merged one (the U-turn criterion), and the checkpoint rows'.
        dots = _row_dots(
            [new.momentum, new_velocity, far_end_velocity, new_velocity, *row_velocities],
            [new_velocity, checked_subtree_sum, checked_merged_sum, checked_merged_sum, *row_offsets],
        )
        energy = 0.5 * dots[0] - new.target_log_prob
        energy_error = energy - initial_energy
        log_weight = jnp.where(jnp.isnan(energy_error), -jnp.inf, -energy_error)
        diverged = ~(energy_error <= max_energy_diff)

        # Uniform progressive sampling within the subtree.
        subtree_log_weight = jnp.logaddexp(
            jnp.where(first_leaf, -jnp.inf, state.subtree_log_weight), log_weight
        )
        take_leaf = log_leaf_uniform < log_weight - subtree_log_weight

        checkpoints = _store_checkpoint(checkpoints, state.leaf, row_velocities, row_offsets, dots[4:])
        whole, across = _slot_checks(checkpoints, new_velocity, checked_subtree_sum, dots[1])
        subtree_turned = _subtree_turned(whole, across, state.leaf)

        # Merge a complete, valid subtree: biased progressive sampling, then the trajectory's U-turn.
        subtree_complete = state.leaf + 1 == jnp.left_shift(1, state.depth)
        subtree_done = subtree_complete | subtree_turned | diverged
        valid = subtree_complete & ~subtree_turned & ~diverged
        take_subtree = valid & (log_merge_uniform < subtree_log_weight - state.log_weight)
        # The trajectory's far end to this leaf: at the subtree's last leaf the merged trajectory; with the
        # extra checks, at its first leaf the old trajectory plus one leaf, and at its last leaf that
        # trajectory's end plus the subtree (slot 0 holds the subtree's first leaf).
        turned_to_leaf = (dots[2] <= 0) | (dots[3] <= 0)
        turned_before = state.trajectory_turned
        if extra_uturn_checks:
            turned_before = jnp.where(first_leaf, turned_to_leaf, turned_before)
            turned_to_leaf = turned_to_leaf | across[0]
        depth = jnp.where(valid, state.depth + 1, state.depth)
        merged_log_weight = jnp.logaddexp(state.log_weight, subtree_log_weight)
        take_leaf, take_subtree, valid, forward = _computed_once(
            jnp.stack([take_leaf, take_subtree, valid, forward])
        )
        leaf_proposal = Proposal(new.position, new.target_log_prob, new.grads_target_log_prob, energy)
        subtree_proposal = _select(take_leaf, leaf_proposal, state.subtree_proposal)
        next_state = _LoopState(
            left=_select(forward, state.left, new),
            right=_select(forward, new, state.right),
            momentum_sum=jnp.where(valid, merged_sum, state.momentum_sum),
            log_weight=jnp.where(valid, merged_log_weight, state.log_weight),
            proposal=_select(take_subtree, subtree_proposal, state.proposal),
            is_accepted=state.is_accepted | take_subtree,
            subtree_momentum_sum=subtree_momentum_sum,
            subtree_log_weight=subtree_log_weight,
            subtree_proposal=subtree_proposal,
            leaf=jnp.where(subtree_done, 0, state.leaf + 1),
            depth=depth,
            num_leaves=state.num_leaves + 1,
            accept_prob_sum=state.accept_prob_sum + jnp.exp(jnp.minimum(log_weight, 0.0)),
            has_divergence=state.has_divergence | diverged,
            trajectory_turned=turned_before,
            done=subtree_done & (~valid | turned_before | turned_to_leaf | (depth >= max_tree_depth)),
        )
        return next_state, checkpoints

    def body(carry: tuple[Any, _Checkpoints]) -> tuple[Any, _Checkpoints]:
        packed, checkpoints = carry
        next_state, checkpoints = add_leaf(_unpack(packed, state), checkpoints)
        return _pack(next_state), checkpoints

    # The checkpoints are carried apart from the packed state: their scatters then write in place.
    packed, _ = jax.lax.while_loop(lambda carry: carry[0][1][-1] == 0, body, (_pack(state), checkpoints))
    final = _unpack(packed, state)
    mean_accept_prob = final.accept_prob_sum / final.num_leaves.astype(final.accept_prob_sum.dtype)
    return TrajectoryInfo(
        proposal=final.proposal,
        is_accepted=final.is_accepted,
        log_accept_ratio=jnp.log(mean_accept_prob),
        num_leaves=final.num_leaves,
        tree_depth=final.depth,
        has_divergence=final.has_divergence,
    )
