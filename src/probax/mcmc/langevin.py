"""The Metropolis-adjusted Langevin algorithm (MALA) and its uncalibrated proposal.

The proposal is one Euler-Maruyama step of the Langevin diffusion that leaves
the target invariant, with step size `h` (TFP's parameterization: `h` is the
variance of the injected noise):

    x' = x + (h / 2) * grad log p(x) + sqrt(h) * z,    z ~ N(0, I).

It is not symmetric, so the Metropolis-Hastings correction is the log ratio of
the reverse and forward proposal densities,
`log q(x | x') - log q(x' | x) = (|z|^2 - |x - x' - (h / 2) grad log p(x')|^2 / h) / 2`
(the normalizing constants cancel). The gradient at the proposal, needed for
that correction, is kept in the results and reused as the next step's drift:
one gradient evaluation per step. The state is handled flattened (as in
`leapfrog.py`), so any pytree state and per-part step sizes work.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, NamedTuple

import jax
import jax.numpy as jnp
from jax.flatten_util import ravel_pytree

from probax._internal import threefry
from probax._internal.prng import as_key
from probax.mcmc.kernel import TransitionKernel, static_field, transition_kernel
from probax.mcmc.leapfrog import flat_step_size, flat_target
from probax.mcmc.metropolis_hastings import MetropolisHastings, MetropolisHastingsKernelResults
from probax.mcmc.target import target_and_gradient


class UncalibratedLangevinKernelResults(NamedTuple):
    """Results of an uncalibrated Langevin proposal.

    Attributes:
      grads_target_log_prob: the gradient of the target at the state (the state's structure).
      log_acceptance_correction: `log q(current | proposed) - log q(proposed | current)`.
      target_log_prob: the target's log density at the state.
      step_size: the step size (scalar, or a structure like the state); adaptations replace it.

    """

    grads_target_log_prob: Any
    log_acceptance_correction: jax.Array
    target_log_prob: jax.Array
    step_size: Any


def _check_settings(kernel: TransitionKernel) -> None:
    caller = type(kernel).__name__
    if not callable(kernel.target_log_prob_fn):
        raise TypeError(f"{caller}: target_log_prob_fn must be callable, got {kernel.target_log_prob_fn!r}.")
    if kernel.step_size is None:
        raise ValueError(f"{caller}: step_size is required (a positive scalar or one per state part).")


@transition_kernel
class UncalibratedLangevin(TransitionKernel):
    """The Langevin (Euler-Maruyama) proposal, always moved to (wrap it in `MetropolisHastings`).

    Args:
      target_log_prob_fn: the log density, called TFP's way (`fn(*state)` for a list state).
      step_size: the noise variance `h`: a scalar, or a structure like the state (per part).

    Example:
      >>> kernel = UncalibratedLangevin(lambda x: -0.5 * jnp.sum(x**2), step_size=0.1)
      >>> state, results = kernel.one_step(jnp.ones(2), kernel.bootstrap_results(jnp.ones(2)), seed=0)
      >>> bool(jnp.allclose(results.grads_target_log_prob, -state))
      True

    """

    is_calibrated = False

    target_log_prob_fn: Callable[..., Any] = static_field()
    step_size: Any

    def __post_init__(self) -> None:
        _check_settings(self)

    def bootstrap_results(self, init_state: Any) -> UncalibratedLangevinKernelResults:
        """Results at `init_state`: the target and its gradient there, a zero correction."""
        target_log_prob, grads = target_and_gradient(self.target_log_prob_fn, init_state)
        dtype = ravel_pytree(init_state)[0].dtype
        return UncalibratedLangevinKernelResults(
            grads_target_log_prob=grads,
            log_acceptance_correction=jnp.zeros_like(target_log_prob),
            target_log_prob=target_log_prob,
            step_size=jax.tree.map(lambda s: jnp.asarray(s, dtype), self.step_size),
        )

    def one_step(
        self, current_state: Any, previous_kernel_results: UncalibratedLangevinKernelResults, seed: Any = None
    ) -> tuple[Any, UncalibratedLangevinKernelResults]:
        """Propose `x + (h / 2) grad + sqrt(h) z`; the results hold the reverse/forward correction."""
        key = as_key(seed, f"{type(self).__name__}.one_step")
        previous = previous_kernel_results
        position, unravel, value_and_grad = flat_target(self.target_log_prob_fn, current_state)
        step_size = flat_step_size(previous.step_size, current_state, position.dtype)
        half_step = 0.5 * step_size
        noise = threefry.normal(key, position.shape, position.dtype)
        gradient = ravel_pytree(previous.grads_target_log_prob)[0]
        proposed = position + half_step * gradient + jnp.sqrt(step_size) * noise
        proposed_log_prob, proposed_gradient = value_and_grad(proposed)
        reverse_noise = position - proposed - half_step * proposed_gradient
        correction = 0.5 * (jnp.sum(noise**2) - jnp.sum(reverse_noise**2 / step_size))
        results = UncalibratedLangevinKernelResults(
            grads_target_log_prob=unravel(proposed_gradient),
            log_acceptance_correction=correction.astype(proposed_log_prob.dtype),
            target_log_prob=proposed_log_prob,
            step_size=previous.step_size,
        )
        return unravel(proposed), results


@transition_kernel
class MetropolisAdjustedLangevinAlgorithm(TransitionKernel):
    """MALA (TFP's `MetropolisAdjustedLangevinAlgorithm`): Langevin proposals with an accept step.

    Args:
      target_log_prob_fn: the log density, called TFP's way (`fn(*state)` for a list state).
      step_size: the noise variance `h` of the proposal: a scalar, or a structure like the
        state (per part). On a standard normal target in `d` dimensions, `h` of order
        `d ** (-1/3)` gives the optimal acceptance rate of about 0.57.

    Results are `MetropolisHastingsKernelResults` whose `accepted_results` are
    `UncalibratedLangevinKernelResults` (with the `step_size` the adaptations tune).
    Only the identity volatility is offered (TFP's `volatility_fn=None`).

    Example:
      >>> kernel = MetropolisAdjustedLangevinAlgorithm(lambda x: -0.5 * jnp.sum(x**2), step_size=0.5)
      >>> state, results = kernel.one_step(jnp.zeros(3), kernel.bootstrap_results(jnp.zeros(3)), seed=0)
      >>> state.shape, results.log_accept_ratio.shape
      ((3,), ())

    """

    target_log_prob_fn: Callable[..., Any] = static_field()
    step_size: Any

    def __post_init__(self) -> None:
        _check_settings(self)

    @property
    def inner_kernel(self) -> UncalibratedLangevin:
        """The uncalibrated proposal kernel this kernel accepts or rejects."""
        return UncalibratedLangevin(self.target_log_prob_fn, self.step_size)

    def bootstrap_results(self, init_state: Any) -> MetropolisHastingsKernelResults:
        """Metropolis-Hastings results at `init_state`."""
        return MetropolisHastings(self.inner_kernel).bootstrap_results(init_state)

    def one_step(
        self, current_state: Any, previous_kernel_results: MetropolisHastingsKernelResults, seed: Any = None
    ) -> tuple[Any, MetropolisHastingsKernelResults]:
        """Propose a Langevin move and accept it with the Metropolis-Hastings probability."""
        return MetropolisHastings(self.inner_kernel).one_step(current_state, previous_kernel_results, seed)
