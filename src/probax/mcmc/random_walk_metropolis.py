"""Random-walk Metropolis: `UncalibratedRandomWalk` proposals accepted by `MetropolisHastings`.

A proposal function (`new_state_fn`) follows TFP's protocol: it takes the list
of state parts (the leaves of the state, in order) and a key, and returns the
list of proposed parts. It must be symmetric (the proposal density from `x` to
`x'` equals that from `x'` to `x`), so the Metropolis-Hastings correction is
zero. `random_walk_normal_fn` and `random_walk_uniform_fn` build the usual ones;
they are pytrees (`jax.tree_util.Partial`) whose `scale` is an array leaf, so a
kernel can be vmapped or differentiated over it.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any, NamedTuple

import jax
import jax.numpy as jnp
from jax.tree_util import Partial

from probax._internal import threefry
from probax._internal.prng import as_key
from probax.mcmc.kernel import TransitionKernel, static_field, transition_kernel
from probax.mcmc.metropolis_hastings import MetropolisHastings, MetropolisHastingsKernelResults
from probax.mcmc.target import call_target

NewStateFn = Callable[[list, jax.Array], list]


def _scale_per_part(scale: Any, num_parts: int, caller: str) -> list:
    scales = list(scale) if isinstance(scale, list | tuple) else [scale] * num_parts
    if len(scales) != num_parts:
        raise ValueError(f"{caller}: scale has {len(scales)} parts but the state has {num_parts}.")
    return scales


def _perturb(draw: Callable[..., jax.Array], scale: Any, state_parts: Sequence[Any], seed: Any) -> list:
    """`part + scale * draw(key, shape, dtype)` for each part, with independent keys."""
    keys = threefry.split(as_key(seed, "random walk proposal"), len(state_parts))
    scales = _scale_per_part(scale, len(state_parts), "random walk proposal")
    proposed = []
    for part, part_scale, key in zip(state_parts, scales, keys, strict=True):
        part = jnp.asarray(part)
        step = jnp.broadcast_to(jnp.asarray(part_scale, part.dtype), part.shape)
        proposed.append(part + step * draw(key, part.shape, part.dtype))
    return proposed


def _normal_step(scale: Any, state_parts: Sequence[Any], seed: Any) -> list:
    return _perturb(jax.random.normal, scale, state_parts, seed)


def _uniform_step(scale: Any, state_parts: Sequence[Any], seed: Any) -> list:
    def uniform(key: jax.Array, shape: tuple[int, ...], dtype: Any) -> jax.Array:
        return threefry.uniform(key, shape, dtype, minval=-1.0, maxval=1.0)

    return _perturb(uniform, scale, state_parts, seed)


def random_walk_normal_fn(scale: Any = 1.0) -> NewStateFn:
    """A proposal adding `Normal(0, scale)` noise to each state part (TFP's default proposal).

    Args:
      scale: the noise's standard deviation: one array broadcasting to every part, or a
        list with one per part.

    Returns:
      `new_state_fn(state_parts, seed) -> proposed_parts`, a pytree with `scale` as leaves.

    Example:
      >>> propose = random_walk_normal_fn(scale=0.5)
      >>> [p.shape for p in propose([jnp.zeros(3), jnp.zeros(())], seed=0)]
      [(3,), ()]

    """
    return Partial(_normal_step, scale)


def random_walk_uniform_fn(scale: Any = 1.0) -> NewStateFn:
    """A proposal adding `Uniform(-scale, scale)` noise to each state part.

    Args:
      scale: the half-width of the noise: one array broadcasting to every part, or a list
        with one per part.

    Returns:
      `new_state_fn(state_parts, seed) -> proposed_parts`, a pytree with `scale` as leaves.

    Example:
      >>> propose = random_walk_uniform_fn(scale=0.1)
      >>> bool(jnp.all(jnp.abs(propose([jnp.ones(4)], seed=0)[0] - 1.0) <= 0.1))
      True

    """
    return Partial(_uniform_step, scale)


def _as_pytree_fn(new_state_fn: Any) -> Partial:
    if new_state_fn is None:
        return random_walk_normal_fn()
    if isinstance(new_state_fn, Partial):
        return new_state_fn
    if not callable(new_state_fn):
        raise TypeError(
            f"new_state_fn must be a callable (state_parts, seed) -> parts; got {type(new_state_fn)}."
        )
    return Partial(new_state_fn)


class UncalibratedRandomWalkResults(NamedTuple):
    """Results of an uncalibrated random-walk proposal (TFP's fields, without the seed).

    Attributes:
      log_acceptance_correction: zero: the proposals are symmetric.
      target_log_prob: the target's log density at the state.

    """

    log_acceptance_correction: jax.Array
    target_log_prob: jax.Array


@transition_kernel
class UncalibratedRandomWalk(TransitionKernel):
    """Proposes `new_state_fn(state)` and always moves there (wrap it in `MetropolisHastings`).

    Args:
      target_log_prob_fn: the log density, called TFP's way (`fn(*state)` for a list state).
      new_state_fn: a symmetric proposal `(state_parts, seed) -> proposed_parts`; default
        `random_walk_normal_fn(1.)`.

    Example:
      >>> kernel = UncalibratedRandomWalk(lambda x: -0.5 * x**2)
      >>> state, results = kernel.one_step(jnp.array(0.0), kernel.bootstrap_results(jnp.array(0.0)), seed=1)
      >>> bool(jnp.isclose(results.target_log_prob, -0.5 * state**2))
      True

    """

    is_calibrated = False

    target_log_prob_fn: Callable[..., Any] = static_field()
    new_state_fn: Any = None

    def __post_init__(self) -> None:
        object.__setattr__(self, "new_state_fn", _as_pytree_fn(self.new_state_fn))

    def bootstrap_results(self, init_state: Any) -> UncalibratedRandomWalkResults:
        """Results at `init_state`: its log density and a zero correction."""
        target_log_prob = call_target(self.target_log_prob_fn, init_state)
        return UncalibratedRandomWalkResults(jnp.zeros_like(target_log_prob), target_log_prob)

    def one_step(
        self, current_state: Any, previous_kernel_results: UncalibratedRandomWalkResults, seed: Any = None
    ) -> tuple[Any, UncalibratedRandomWalkResults]:
        """Propose a new state; its results hold the target's log density there."""
        key = as_key(seed, "UncalibratedRandomWalk.one_step")
        parts, treedef = jax.tree.flatten(current_state)
        proposed_parts = list(self.new_state_fn(parts, key))
        if len(proposed_parts) != len(parts):
            raise ValueError(
                f"new_state_fn returned {len(proposed_parts)} state parts; the state has {len(parts)}."
            )
        proposed = jax.tree.unflatten(treedef, proposed_parts)
        return proposed, self.bootstrap_results(proposed)


@transition_kernel
class RandomWalkMetropolis(TransitionKernel):
    """Random-walk Metropolis (TFP's `RandomWalkMetropolis`): symmetric proposals with an accept step.

    Args:
      target_log_prob_fn: the log density, called TFP's way (`fn(*state)` for a list state).
      new_state_fn: a symmetric proposal `(state_parts, seed) -> proposed_parts`; default
        `random_walk_normal_fn(1.)`.

    Results are `MetropolisHastingsKernelResults` whose `accepted_results` are
    `UncalibratedRandomWalkResults`.

    Example:
      >>> kernel = RandomWalkMetropolis(lambda x: -0.5 * x**2, random_walk_normal_fn(2.0))
      >>> state, results = kernel.one_step(jnp.array(0.0), kernel.bootstrap_results(jnp.array(0.0)), seed=0)
      >>> results.accepted_results.target_log_prob.dtype == state.dtype
      True

    """

    target_log_prob_fn: Callable[..., Any] = static_field()
    new_state_fn: Any = None

    def __post_init__(self) -> None:
        object.__setattr__(self, "new_state_fn", _as_pytree_fn(self.new_state_fn))

    @property
    def _impl(self) -> MetropolisHastings:
        return MetropolisHastings(UncalibratedRandomWalk(self.target_log_prob_fn, self.new_state_fn))

    def bootstrap_results(self, init_state: Any) -> MetropolisHastingsKernelResults:
        """Metropolis-Hastings results at `init_state`."""
        return self._impl.bootstrap_results(init_state)

    def one_step(
        self, current_state: Any, previous_kernel_results: MetropolisHastingsKernelResults, seed: Any = None
    ) -> tuple[Any, MetropolisHastingsKernelResults]:
        """Propose a random-walk move and accept it with the Metropolis probability."""
        return self._impl.one_step(current_state, previous_kernel_results, seed)
