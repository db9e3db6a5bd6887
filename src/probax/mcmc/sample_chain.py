"""`sample_chain`: run one Markov chain with a transition kernel (TFP's driver and return types).

The whole run is one compiled program: one loop over all
`num_burnin_steps + 1 + (num_results - 1) * (1 + num_steps_between_results)`
kernel steps (result `r` is the state after step
`num_burnin_steps + r * (1 + num_steps_between_results)`, as in TFP), so the
kernel's program is compiled once, not once for the burn-in and again for the
results. Each step writes its state and `trace_fn`'s value into the slot of the
first result at or after it; a slot's last write is its result's. (So `trace_fn`
runs after every step, burn-in included; keep it cheap.) The program is a
module-level `jit` whose arguments are the kernel (a pytree: its arrays are
traced, its static configuration is part of the cache key), the state, the
results and the key; the step counts and `trace_fn` are static. A second call
with the same kernel configuration and shapes reuses the compiled program.

Step `i` (counting from 0 over the whole run) uses the key
`jax.random.fold_in(seed, i)`, so draws depend only on the seed and the step.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any, NamedTuple

import jax
import jax.numpy as jnp
import numpy as np

from probax._internal import threefry
from probax._internal.prng import as_key
from probax.mcmc.kernel import TransitionKernel


class StatesAndTrace(NamedTuple):
    """States and traced values of a chain (TFP's return type).

    Attributes:
      all_states: the kept states, each part with a leading `num_results` dimension.
      trace: what `trace_fn` returned at each kept state, stacked the same way.

    """

    all_states: Any
    trace: Any


class CheckpointableStatesAndTrace(NamedTuple):
    """States, trace and the final kernel results, to resume a chain (TFP's return type).

    Attributes:
      all_states: the kept states, each part with a leading `num_results` dimension.
      trace: what `trace_fn` returned at each kept state, stacked the same way.
      final_kernel_results: the kernel results after the last step; pass them back as
        `previous_kernel_results` (with the last state as `current_state`) to continue.

    """

    all_states: Any
    trace: Any
    final_kernel_results: Any


def _trace_kernel_results(current_state: Any, kernel_results: Any) -> Any:
    """TFP's default `trace_fn`: keep the kernel results."""
    del current_state
    return kernel_results


def _check_count(value: Any, name: str, minimum: int) -> int:
    if isinstance(value, bool) or not isinstance(value, int | np.integer) or value < minimum:
        raise ValueError(f"sample_chain: {name} must be an int >= {minimum}, got {value!r}.")
    return int(value)


@functools.partial(
    jax.jit, static_argnames=("num_results", "num_burnin_steps", "num_steps_between_results", "trace_fn")
)
def _run_chain(
    kernel: TransitionKernel,
    current_state: Any,
    kernel_results: Any,
    key: jax.Array,
    num_results: int,
    num_burnin_steps: int,
    num_steps_between_results: int,
    trace_fn: Callable[[Any, Any], Any] | None,
) -> tuple[Any, Any, Any]:
    stride = 1 + num_steps_between_results
    num_steps = num_burnin_steps + 1 + (num_results - 1) * stride

    def kept_values(state: Any, results: Any) -> tuple[Any, Any]:
        return state, None if trace_fn is None else trace_fn(state, results)

    template = jax.eval_shape(kept_values, current_state, kernel_results)
    buffers = jax.tree.map(lambda leaf: jnp.zeros((num_results, *leaf.shape), leaf.dtype), template)

    def step(index: jax.Array, carry: tuple[Any, Any, Any]) -> tuple[Any, Any, Any]:
        state, results, buffers = carry
        state, results = kernel.one_step(state, results, threefry.fold_in(key, index))
        # The slot of the first result at or after this step (see the module's docstring).
        slot = jnp.clip(-((num_burnin_steps - index) // stride), 0, num_results - 1)
        buffers = jax.tree.map(
            lambda buffer, value: jax.lax.dynamic_update_index_in_dim(buffer, value, slot, 0),
            buffers,
            kept_values(state, results),
        )
        return state, results, buffers

    _, final_results, (all_states, trace) = jax.lax.fori_loop(
        0, num_steps, step, (current_state, kernel_results, buffers)
    )
    return all_states, trace, final_results


def sample_chain(
    num_results: int,
    current_state: Any,
    previous_kernel_results: Any = None,
    kernel: TransitionKernel | None = None,
    num_burnin_steps: int = 0,
    num_steps_between_results: int = 0,
    trace_fn: Callable[[Any, Any], Any] | None = _trace_kernel_results,
    return_final_kernel_results: bool = False,
    parallel_iterations: int = 10,
    seed: Any = None,
    name: str | None = None,
) -> Any:
    """Run a Markov chain and keep `num_results` states (TFP's `sample_chain`).

    Args:
      num_results: the number of states to keep (an int >= 1).
      current_state: the starting state: an array, a list of arrays or any pytree.
      previous_kernel_results: the kernel results at `current_state`; default
        `kernel.bootstrap_results(current_state)`.
      kernel: the transition kernel.
      num_burnin_steps: steps taken before the first kept state is counted (the first
        kept state is the one after `num_burnin_steps + 1` steps).
      num_steps_between_results: steps discarded between kept states (thinning).
      trace_fn: `(state, kernel_results) -> anything` kept at each kept state (it runs after
        every step, see above); default the kernel results. `None` keeps only the states. Keep
        it small on long runs.
      return_final_kernel_results: also return the final kernel results (to resume).
      parallel_iterations: accepted for TFP compatibility; unused.
      seed: a `jax.random` key or an int.
      name: accepted for TFP compatibility; unused.

    Returns:
      `CheckpointableStatesAndTrace` when `return_final_kernel_results`, else the stacked
      states when `trace_fn` is None, else `StatesAndTrace(all_states, trace)`.

    Raises:
      ValueError: on a missing kernel or seed, or counts that are not ints of the right range.

    Example:
      >>> import jax.numpy as jnp
      >>> from probax.mcmc.hmc import HamiltonianMonteCarlo
      >>> kernel = HamiltonianMonteCarlo(lambda x: -0.5 * jnp.sum(x**2), step_size=0.5, num_leapfrog_steps=3)
      >>> states, is_accepted = sample_chain(
      ...     num_results=500, current_state=jnp.zeros(2), kernel=kernel, num_burnin_steps=100,
      ...     trace_fn=lambda _, results: results.is_accepted, seed=0)
      >>> states.shape, is_accepted.shape
      ((500, 2), (500,))
      >>> bool(jnp.all(jnp.abs(states.mean(axis=0)) < 0.2))
      True

    """
    del parallel_iterations, name
    if not isinstance(kernel, TransitionKernel):
        raise ValueError(f"sample_chain: kernel must be a TransitionKernel, got {kernel!r}.")
    num_results = _check_count(num_results, "num_results", 1)
    num_burnin_steps = _check_count(num_burnin_steps, "num_burnin_steps", 0)
    num_steps_between_results = _check_count(num_steps_between_results, "num_steps_between_results", 0)
    if trace_fn is not None and not callable(trace_fn):
        raise TypeError(f"sample_chain: trace_fn must be callable (state, results) or None, got {trace_fn}.")
    key = as_key(seed, "sample_chain")
    current_state = jax.tree.map(lambda part: jnp.asarray(part, jnp.result_type(part)), current_state)
    if previous_kernel_results is None:
        previous_kernel_results = kernel.bootstrap_results(current_state)
    all_states, trace, final_results = _run_chain(
        kernel,
        current_state,
        previous_kernel_results,
        key,
        num_results=num_results,
        num_burnin_steps=num_burnin_steps,
        num_steps_between_results=num_steps_between_results,
        trace_fn=trace_fn,
    )
    if return_final_kernel_results:
        return CheckpointableStatesAndTrace(all_states, trace, final_results)
    if trace_fn is None:
        return all_states
    return StatesAndTrace(all_states, trace)
