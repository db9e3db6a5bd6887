"""Slice sampling along a random direction (TFP's `SliceSampler`, hit-and-run style).

Each step draws a direction `d` uniformly on the unit sphere of the flattened
state and runs Neal's (2003) univariate slice sampler on
`f(a) = log p(x + a d)` from `a = 0`:

1. a slice level `log u = f(0) - Exponential(1)`;
2. an interval of width `w` placed at random around 0, doubled (on a random
   side each time) until both ends are outside the slice or `max_doublings`
   doublings were made;
3. uniform draws from the interval, shrinking it towards 0 after each draw
   that is outside the slice or fails Neal's acceptance test for doubled
   intervals (which keeps the update reversible).

`w` interpolates the per-part step sizes along `d` ellipsoidally (TFP's rule):
`w = 1 / sqrt(sum_i (d_i / s_i)^2)`, which is `s` for one scalar step size.
Unlike TFP, which draws a unit direction per state part, the direction is
uniform over the whole state; both leave the target invariant.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, NamedTuple

import jax
import jax.numpy as jnp

from probax._internal import threefry
from probax._internal.prng import as_key
from probax.mcmc.kernel import TransitionKernel, static_field, transition_kernel
from probax.mcmc.leapfrog import flat_step_size, flatten_state
from probax.mcmc.target import call_target

# A draw never leaves the slice only when the target is undefined at the current state; stop shrinking then.
_MAX_SHRINKS = 100


class SliceSamplerKernelResults(NamedTuple):
    """Results of one slice-sampling step (TFP's fields, without the seed).

    Attributes:
      target_log_prob: the target's log density at the new state.
      bounds_satisfied: whether doubling found an interval with both ends outside the slice.
      direction: the unit direction sampled along (the state's structure).
      upper_bounds: the upper end of the doubled interval, in units of `direction`.
      lower_bounds: its lower end.

    """

    target_log_prob: jax.Array
    bounds_satisfied: jax.Array
    direction: Any
    upper_bounds: jax.Array
    lower_bounds: jax.Array


class _Interval(NamedTuple):
    lower: jax.Array
    upper: jax.Array
    lower_inside: jax.Array
    upper_inside: jax.Array


def _doubled_interval(
    inside: Callable[[jax.Array], jax.Array], width: jax.Array, max_doublings: int, key: jax.Array
) -> _Interval:
    """Neal's doubling procedure (his Fig. 4) around 0."""
    start_key, side_key = threefry.split(key)
    lower = -width * threefry.uniform(start_key, (), width.dtype)
    upper = lower + width
    sides = threefry.bernoulli(side_key, 0.5, (max(max_doublings, 1),))

    def keep_doubling(carry):
        interval, count = carry
        return (interval.lower_inside | interval.upper_inside) & (count < max_doublings)

    def double(carry):
        interval, count = carry
        go_lower = sides[count]
        size = interval.upper - interval.lower
        lower = jnp.where(go_lower, interval.lower - size, interval.lower)
        upper = jnp.where(go_lower, interval.upper, interval.upper + size)
        new_end_inside = inside(jnp.where(go_lower, lower, upper))
        return (
            _Interval(
                lower,
                upper,
                jnp.where(go_lower, new_end_inside, interval.lower_inside),
                jnp.where(go_lower, interval.upper_inside, new_end_inside),
            ),
            count + 1,
        )

    initial = _Interval(lower, upper, inside(lower), inside(upper))
    interval, _ = jax.lax.while_loop(keep_doubling, double, (initial, jnp.zeros((), jnp.int32)))
    return interval


def _passes_doubling_test(
    inside: Callable[[jax.Array], jax.Array], candidate: jax.Array, interval: _Interval, width: jax.Array
) -> jax.Array:
    """Neal's acceptance test (his Fig. 6): whether doubling from `candidate` could give `interval`."""

    def keep_halving(carry):
        halves, _, rejected = carry
        return (halves.upper - halves.lower > 1.1 * width) & ~rejected

    def halve(carry):
        halves, separated, rejected = carry
        middle = 0.5 * (halves.lower + halves.upper)
        separated = separated | ((middle > 0) == (candidate >= middle))
        middle_inside = inside(middle)
        go_lower = candidate < middle
        halves = _Interval(
            jnp.where(go_lower, halves.lower, middle),
            jnp.where(go_lower, middle, halves.upper),
            jnp.where(go_lower, halves.lower_inside, middle_inside),
            jnp.where(go_lower, middle_inside, halves.upper_inside),
        )
        rejected = separated & ~halves.lower_inside & ~halves.upper_inside
        return halves, separated, rejected

    false = jnp.zeros((), bool)
    _, _, rejected = jax.lax.while_loop(keep_halving, halve, (interval, false, false))
    return ~rejected


def slice_sample_1d(
    log_density: Callable[[jax.Array], jax.Array],
    log_density_at_zero: jax.Array,
    width: jax.Array,
    max_doublings: int,
    key: jax.Array,
) -> tuple[jax.Array, jax.Array, jax.Array, _Interval]:
    """One univariate slice-sampling update from 0 with the doubling procedure.

    Args:
      log_density: the (unnormalized) log density of the scalar variable.
      log_density_at_zero: its value at the current point 0.
      width: the initial interval width (the step size), positive.
      max_doublings: the most doublings of the interval (a Python int).
      key: a JAX key.

    Returns:
      `(new_point, log_density_there, bounds_satisfied, doubled_interval)`.

    Example:
      >>> import jax
      >>> point, log_p, ok, _ = slice_sample_1d(lambda a: -0.5 * a**2, jnp.array(0.0), jnp.array(1.0), 5,
      ...                                       jax.random.key(0))
      >>> bool(jnp.isclose(log_p, -0.5 * point**2)), bool(ok)
      (True, True)

    """
    level_key, interval_key, shrink_key = threefry.split(key, 3)
    log_level = log_density_at_zero - threefry.exponential(level_key, (), width.dtype)

    def inside(point):
        return log_density(point) > log_level  # NaN counts as outside

    interval = _doubled_interval(inside, width, max_doublings, interval_key)

    def keep_shrinking(carry):
        _, _, _, _, done, count = carry
        return ~done & (count < _MAX_SHRINKS)

    def shrink(carry):
        lower, upper, _, _, _, count = carry
        key = threefry.fold_in(shrink_key, count)
        candidate = threefry.uniform(key, (), width.dtype, minval=lower, maxval=upper)
        candidate_log_density = log_density(candidate)
        done = (candidate_log_density > log_level) & _passes_doubling_test(inside, candidate, interval, width)
        lower = jnp.where(done | (candidate >= 0), lower, candidate)
        upper = jnp.where(done | (candidate < 0), upper, candidate)
        return lower, upper, candidate, candidate_log_density, done, count + 1

    zero = jnp.zeros((), width.dtype)
    initial = (interval.lower, interval.upper, zero, log_density_at_zero, jnp.zeros((), bool), jnp.int32(0))
    _, _, point, point_log_density, done, _ = jax.lax.while_loop(keep_shrinking, shrink, initial)
    point = jnp.where(done, point, zero)
    point_log_density = jnp.where(done, point_log_density, log_density_at_zero)
    bounds_satisfied = ~(interval.lower_inside | interval.upper_inside)
    return point, point_log_density, bounds_satisfied, interval


@transition_kernel
class SliceSampler(TransitionKernel):
    """Slice sampling with doubling along a random direction (TFP's `SliceSampler`).

    Args:
      target_log_prob_fn: the log density, called TFP's way (`fn(*state)` for a list state).
      step_size: the initial slice width: a scalar, or a structure like the state (per part);
        about the target's scale along a direction works well.
      max_doublings: the most doublings of the slice interval per step (a Python int); the
        interval can grow to `2 ** max_doublings` times the step size.

    Example:
      >>> kernel = SliceSampler(lambda x: -0.5 * jnp.sum(x**2), step_size=1.0, max_doublings=5)
      >>> state, results = kernel.one_step(jnp.zeros(2), kernel.bootstrap_results(jnp.zeros(2)), seed=0)
      >>> bool(jnp.isclose(results.target_log_prob, -0.5 * jnp.sum(state**2)))
      True

    """

    target_log_prob_fn: Callable[..., Any] = static_field()
    step_size: Any
    max_doublings: int = static_field()

    def __post_init__(self) -> None:
        target = self.target_log_prob_fn
        if not callable(target):
            raise TypeError(f"SliceSampler: target_log_prob_fn must be callable, got {target!r}.")
        doublings = self.max_doublings
        if isinstance(doublings, bool) or not isinstance(doublings, int) or doublings < 0:
            raise ValueError(f"SliceSampler: max_doublings must be an int >= 0, got {doublings!r}.")

    def bootstrap_results(self, init_state: Any) -> SliceSamplerKernelResults:
        """Results at `init_state`: its log density, a zero direction and empty bounds."""
        target_log_prob = call_target(self.target_log_prob_fn, init_state)
        zero = jnp.zeros_like(target_log_prob)
        return SliceSamplerKernelResults(
            target_log_prob=target_log_prob,
            bounds_satisfied=jnp.ones((), bool),
            direction=jax.tree.map(jnp.zeros_like, init_state),
            upper_bounds=zero,
            lower_bounds=zero,
        )

    def one_step(
        self, current_state: Any, previous_kernel_results: SliceSamplerKernelResults, seed: Any = None
    ) -> tuple[Any, SliceSamplerKernelResults]:
        """Slice-sample along a fresh random direction."""
        direction_key, slice_key = threefry.split(as_key(seed, "SliceSampler.one_step"))
        position, unravel = flatten_state(current_state)
        direction = threefry.normal(direction_key, position.shape, position.dtype)
        direction = direction / jnp.linalg.norm(direction)
        step_size = flat_step_size(self.step_size, current_state, position.dtype)
        width = jax.lax.rsqrt(jnp.sum((direction / step_size) ** 2))

        def log_density(distance):
            return call_target(self.target_log_prob_fn, unravel(position + distance * direction))

        distance, target_log_prob, bounds_satisfied, interval = slice_sample_1d(
            log_density, previous_kernel_results.target_log_prob, width, self.max_doublings, slice_key
        )
        results = SliceSamplerKernelResults(
            target_log_prob=target_log_prob,
            bounds_satisfied=bounds_satisfied,
            direction=unravel(direction),
            upper_bounds=interval.upper,
            lower_bounds=interval.lower,
        )
        return unravel(position + distance * direction), results
