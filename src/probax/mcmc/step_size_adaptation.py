"""Step-size adaptation kernels (TFP's): `SimpleStepSizeAdaptation` and `DualAveragingStepSizeAdaptation`.

Both wrap an inner kernel whose results carry a `step_size` and expose a
`log_accept_ratio` (HMC, NUTS, MALA, possibly inside a
`TransformedTransitionKernel`). Each step they put the step size of their own
results into the inner results, take the inner step, and, during the first
`num_adaptation_steps` steps, compute the next step size from the acceptance
probability. Getters and setters default to `kernel_results.get_field` /
`replace_field` (the outermost `step_size` / `log_accept_ratio`), and may be
replaced as in TFP. A step size may be a scalar or a structure (one per state
part); every part is adapted with the same acceptance probability. Kernels run
one chain per call, so nothing is averaged across chains (a `vmap` over chains
adapts each chain's step size separately).
"""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Any, NamedTuple

import jax
import jax.numpy as jnp

from probax.mcmc.dual_averaging import DualAveragingState, dual_averaging_update
from probax.mcmc.kernel import TransitionKernel, static_field, transition_kernel
from probax.mcmc.kernel_results import get_field, replace_field


def hmc_like_step_size_getter_fn(kernel_results: Any) -> Any:
    """The outermost `step_size` in nested kernel results.

    Example:
      >>> from probax.mcmc.hmc import HamiltonianMonteCarlo
      >>> kernel = HamiltonianMonteCarlo(lambda x: -x**2, step_size=0.3, num_leapfrog_steps=2)
      >>> round(float(hmc_like_step_size_getter_fn(kernel.bootstrap_results(1.0))), 2)
      0.3

    """
    return get_field(kernel_results, "step_size")


def hmc_like_step_size_setter_fn(kernel_results: Any, new_step_size: Any) -> Any:
    """Nested kernel results with the outermost `step_size` replaced.

    Example:
      >>> from probax.mcmc.hmc import HamiltonianMonteCarlo
      >>> kernel = HamiltonianMonteCarlo(lambda x: -x**2, step_size=0.3, num_leapfrog_steps=2)
      >>> results = hmc_like_step_size_setter_fn(kernel.bootstrap_results(1.0), 0.5)
      >>> results.accepted_results.step_size
      0.5

    """
    return replace_field(kernel_results, "step_size", new_step_size)


def hmc_like_log_accept_prob_getter_fn(kernel_results: Any) -> jax.Array:
    """`log(min(1, accept ratio))` from the outermost `log_accept_ratio`; NaN counts as a rejection.

    Example:
      >>> from probax.mcmc.hmc import HamiltonianMonteCarlo
      >>> kernel = HamiltonianMonteCarlo(lambda x: -x**2, step_size=0.3, num_leapfrog_steps=2)
      >>> float(hmc_like_log_accept_prob_getter_fn(kernel.bootstrap_results(1.0)))
      0.0

    """
    log_accept_ratio = get_field(kernel_results, "log_accept_ratio")
    return jnp.minimum(jnp.where(jnp.isnan(log_accept_ratio), -jnp.inf, log_accept_ratio), 0.0)


def _check_adaptation_settings(kernel: TransitionKernel) -> None:
    caller = type(kernel).__name__
    if not isinstance(kernel.inner_kernel, TransitionKernel):
        raise TypeError(f"{caller}: inner_kernel must be a TransitionKernel, got {kernel.inner_kernel!r}.")
    steps = kernel.num_adaptation_steps
    if isinstance(steps, bool) or not isinstance(steps, int) or steps < 0:
        raise ValueError(f"{caller}: num_adaptation_steps must be an int >= 0, got {steps!r}.")


class SimpleStepSizeAdaptationResults(NamedTuple):
    """Results of `SimpleStepSizeAdaptation` (TFP's fields).

    Attributes:
      inner_results: the inner kernel's results.
      target_accept_prob: the acceptance probability aimed at.
      adaptation_rate: the fraction by which the step size changes per step.
      step: the number of steps taken by this kernel (int32).
      new_step_size: the step size the inner kernel uses at the next step.

    """

    inner_results: Any
    target_accept_prob: jax.Array
    adaptation_rate: jax.Array
    step: jax.Array
    new_step_size: Any


@transition_kernel
class SimpleStepSizeAdaptation(TransitionKernel):
    """Multiplies the step size by `1 + adaptation_rate` when accepting too often, divides it otherwise.

    After a step whose acceptance probability exceeds `target_accept_prob` the step size is
    multiplied by `1 + adaptation_rate`, else divided by it (Andrieu & Thoms 2008, eq. 19;
    TFP's policy). It changes only during the first `num_adaptation_steps` steps: keep that
    below the burn-in so kept draws come from a fixed kernel.

    Args:
      inner_kernel: the kernel to tune (its results carry `step_size` and `log_accept_ratio`).
      num_adaptation_steps: the number of steps that adapt (an int).
      target_accept_prob: the acceptance probability to aim at.
      adaptation_rate: the relative change per step.
      step_size_setter_fn: `(kernel_results, new_step_size) -> kernel_results`.
      step_size_getter_fn: `kernel_results -> step_size`.
      log_accept_prob_getter_fn: `kernel_results -> log acceptance probability`.

    Example:
      >>> from probax.mcmc.hmc import HamiltonianMonteCarlo
      >>> hmc = HamiltonianMonteCarlo(lambda x: -0.5 * x**2, step_size=10.0, num_leapfrog_steps=1)
      >>> kernel = SimpleStepSizeAdaptation(hmc, num_adaptation_steps=3, adaptation_rate=0.5)
      >>> state, results = jnp.array(0.5), kernel.bootstrap_results(jnp.array(0.5))
      >>> for key in range(3):
      ...     state, results = kernel.one_step(state, results, seed=key)
      >>> int(results.step), bool(results.new_step_size < 10.0)  # too large a step: rejections shrink it
      (3, True)

    """

    inner_kernel: TransitionKernel
    num_adaptation_steps: int = static_field()
    target_accept_prob: Any = 0.75
    adaptation_rate: Any = 0.01
    step_size_setter_fn: Callable[[Any, Any], Any] = static_field(default=hmc_like_step_size_setter_fn)
    step_size_getter_fn: Callable[[Any], Any] = static_field(default=hmc_like_step_size_getter_fn)
    log_accept_prob_getter_fn: Callable[[Any], Any] = static_field(default=hmc_like_log_accept_prob_getter_fn)

    def __post_init__(self) -> None:
        _check_adaptation_settings(self)

    @property
    def is_calibrated(self) -> bool:
        """Whether the inner kernel is calibrated."""
        return self.inner_kernel.is_calibrated

    def bootstrap_results(self, init_state: Any) -> SimpleStepSizeAdaptationResults:
        """Results at `init_state`: the inner kernel's, and its initial step size."""
        inner = self.inner_kernel.bootstrap_results(init_state)
        step_size = self.step_size_getter_fn(inner)
        dtype = jax.tree.leaves(step_size)[0].dtype
        return SimpleStepSizeAdaptationResults(
            inner_results=inner,
            target_accept_prob=jnp.asarray(self.target_accept_prob, dtype),
            adaptation_rate=jnp.asarray(self.adaptation_rate, dtype),
            step=jnp.zeros((), jnp.int32),
            new_step_size=step_size,
        )

    def one_step(
        self, current_state: Any, previous_kernel_results: SimpleStepSizeAdaptationResults, seed: Any = None
    ) -> tuple[Any, SimpleStepSizeAdaptationResults]:
        """Step the inner kernel with the current step size, then adapt it."""
        previous = previous_kernel_results
        inner = self.step_size_setter_fn(previous.inner_results, previous.new_step_size)
        next_state, inner = self.inner_kernel.one_step(current_state, inner, seed)
        log_accept_prob = self.log_accept_prob_getter_fn(inner)
        increase = log_accept_prob > jnp.log(previous.target_accept_prob)
        factor = jnp.where(increase, 1.0 + previous.adaptation_rate, 1.0 / (1.0 + previous.adaptation_rate))
        adapting = previous.step < self.num_adaptation_steps
        new_step_size = jax.tree.map(
            lambda size: jnp.where(adapting, size * factor.astype(size.dtype), size),
            self.step_size_getter_fn(inner),
        )
        results = previous._replace(inner_results=inner, step=previous.step + 1, new_step_size=new_step_size)
        return next_state, results


class DualAveragingStepSizeAdaptationResults(NamedTuple):
    """Results of `DualAveragingStepSizeAdaptation` (TFP's fields).

    Attributes:
      inner_results: the inner kernel's results.
      target_accept_prob: the acceptance probability aimed at.
      log_shrinkage_target: the log step size the iterates shrink towards (per step-size part).
      exploration_shrinkage: Stan's `gamma`.
      step_count_smoothing: Stan's `t0`.
      decay_rate: Stan's `kappa`.
      error_sum: the sum of `target_accept_prob - accept_prob` so far (per step-size part).
      log_averaging_step: the averaged log step size (per step-size part).
      step: the number of steps taken by this kernel (int32).
      num_adaptation_steps: the number of adapting steps (int32).
      new_step_size: the step size the inner kernel uses at the next step.

    """

    inner_results: Any
    target_accept_prob: jax.Array
    log_shrinkage_target: Any
    exploration_shrinkage: jax.Array
    step_count_smoothing: jax.Array
    decay_rate: jax.Array
    error_sum: Any
    log_averaging_step: Any
    step: jax.Array
    num_adaptation_steps: jax.Array
    new_step_size: Any


@transition_kernel
class DualAveragingStepSizeAdaptation(TransitionKernel):
    """Tunes the step size by Nesterov dual averaging (Hoffman & Gelman 2014; TFP's kernel).

    During the first `num_adaptation_steps` steps the step size follows the dual-averaging
    iterates (see `probax.mcmc.dual_averaging`); at the last of them it is set to the
    averaged iterate, and kept from then on.

    Args:
      inner_kernel: the kernel to tune (its results carry `step_size` and `log_accept_ratio`).
      num_adaptation_steps: the number of steps that adapt (an int).
      target_accept_prob: the acceptance probability to aim at.
      exploration_shrinkage: Stan's `gamma`: how strongly iterates are pulled to the shrinkage target.
      shrinkage_target: the step size the iterates shrink towards (a scalar or one per part);
        default 10 times the initial step size.
      step_count_smoothing: Stan's `t0`: damps the first iterations.
      decay_rate: Stan's `kappa`: the averaging weight of the newest iterate is `step ** -decay_rate`.
      step_size_setter_fn: `(kernel_results, new_step_size) -> kernel_results`.
      step_size_getter_fn: `kernel_results -> step_size`.
      log_accept_prob_getter_fn: `kernel_results -> log acceptance probability`.

    Example:
      >>> from probax.mcmc.hmc import HamiltonianMonteCarlo
      >>> hmc = HamiltonianMonteCarlo(lambda x: -0.5 * x**2, step_size=5.0, num_leapfrog_steps=1)
      >>> kernel = DualAveragingStepSizeAdaptation(hmc, num_adaptation_steps=20)
      >>> state, results = jnp.array(0.5), kernel.bootstrap_results(jnp.array(0.5))
      >>> for key in range(3):
      ...     state, results = kernel.one_step(state, results, seed=key)
      >>> int(results.step), results.error_sum.shape
      (3, ())

    """

    inner_kernel: TransitionKernel
    num_adaptation_steps: int = static_field()
    target_accept_prob: Any = 0.75
    exploration_shrinkage: Any = 0.05
    shrinkage_target: Any = None
    step_count_smoothing: Any = 10
    decay_rate: Any = 0.75
    step_size_setter_fn: Callable[[Any, Any], Any] = static_field(default=hmc_like_step_size_setter_fn)
    step_size_getter_fn: Callable[[Any], Any] = static_field(default=hmc_like_step_size_getter_fn)
    log_accept_prob_getter_fn: Callable[[Any], Any] = static_field(default=hmc_like_log_accept_prob_getter_fn)

    def __post_init__(self) -> None:
        _check_adaptation_settings(self)

    @property
    def is_calibrated(self) -> bool:
        """Whether the inner kernel is calibrated."""
        return self.inner_kernel.is_calibrated

    def _log_shrinkage_target(self, step_size: Any) -> Any:
        sizes, treedef = jax.tree.flatten(step_size)
        if self.shrinkage_target is None:
            return treedef.unflatten([jnp.log(size) + math.log(10.0) for size in sizes])
        targets = jax.tree.leaves(self.shrinkage_target)
        targets = targets * len(sizes) if len(targets) == 1 else targets
        if len(targets) != len(sizes):
            raise ValueError(
                f"DualAveragingStepSizeAdaptation: shrinkage_target has {len(targets)} parts but the step "
                f"size has {len(sizes)}; give one, or one per step-size part."
            )
        logs = [jnp.log(jnp.asarray(target, size.dtype)) for target, size in zip(targets, sizes, strict=True)]
        return treedef.unflatten(logs)

    def bootstrap_results(self, init_state: Any) -> DualAveragingStepSizeAdaptationResults:
        """Results at `init_state`: the inner kernel's, zero errors, and its initial step size."""
        inner = self.inner_kernel.bootstrap_results(init_state)
        step_size = self.step_size_getter_fn(inner)
        dtype = jax.tree.leaves(step_size)[0].dtype
        return DualAveragingStepSizeAdaptationResults(
            inner_results=inner,
            target_accept_prob=jnp.asarray(self.target_accept_prob, dtype),
            log_shrinkage_target=self._log_shrinkage_target(step_size),
            exploration_shrinkage=jnp.asarray(self.exploration_shrinkage, dtype),
            step_count_smoothing=jnp.asarray(self.step_count_smoothing, dtype),
            decay_rate=jnp.asarray(self.decay_rate, dtype),
            error_sum=jax.tree.map(jnp.zeros_like, step_size),
            log_averaging_step=jax.tree.map(jnp.zeros_like, step_size),
            step=jnp.zeros((), jnp.int32),
            num_adaptation_steps=jnp.asarray(self.num_adaptation_steps, jnp.int32),
            new_step_size=step_size,
        )

    def one_step(
        self,
        current_state: Any,
        previous_kernel_results: DualAveragingStepSizeAdaptationResults,
        seed: Any = None,
    ) -> tuple[Any, DualAveragingStepSizeAdaptationResults]:
        """Step the inner kernel with the current step size, then update the dual-averaging iterates."""
        previous = previous_kernel_results
        inner = self.step_size_setter_fn(previous.inner_results, previous.new_step_size)
        next_state, inner = self.inner_kernel.one_step(current_state, inner, seed)
        accept_prob = jnp.exp(self.log_accept_prob_getter_fn(inner))
        step = previous.step + 1

        def update(step_size, log_shrinkage_target, error_sum, log_averaging_step):
            state = DualAveragingState(
                log_step_size=jnp.log(step_size),
                log_averaged_step_size=log_averaging_step,
                error_sum=error_sum,
                step=previous.step,
                shrinkage_target=log_shrinkage_target,
            )
            state = dual_averaging_update(
                state,
                accept_prob,
                previous.target_accept_prob,
                shrinkage=previous.exploration_shrinkage,
                decay_rate=previous.decay_rate,
                decay_offset=previous.step_count_smoothing,
            )
            # Iterates while adapting, the averaged iterate at the last adapting step, then fixed.
            last = previous.num_adaptation_steps
            final_size = jnp.where(step == last, jnp.exp(state.log_averaged_step_size), step_size)
            adapting = step <= last
            return (
                jnp.where(step < last, jnp.exp(state.log_step_size), final_size),
                jnp.where(adapting, state.error_sum, error_sum),
                jnp.where(adapting, state.log_averaged_step_size, log_averaging_step),
            )

        sizes, treedef = jax.tree.flatten(self.step_size_getter_fn(inner))
        updated = [
            update(*parts)
            for parts in zip(
                sizes,
                treedef.flatten_up_to(previous.log_shrinkage_target),
                treedef.flatten_up_to(previous.error_sum),
                treedef.flatten_up_to(previous.log_averaging_step),
                strict=True,
            )
        ]
        new_step_size, error_sum, log_averaging_step = (
            treedef.unflatten([part[i] for part in updated]) for i in range(3)
        )
        return next_state, previous._replace(
            inner_results=inner,
            error_sum=error_sum,
            log_averaging_step=log_averaging_step,
            step=step,
            new_step_size=new_step_size,
        )
