"""MetropolisHastings: turns an uncalibrated proposal kernel into a calibrated one."""

from __future__ import annotations

from typing import Any, NamedTuple

import jax
import jax.numpy as jnp

from probax._internal import threefry
from probax._internal.prng import as_key
from probax.mcmc.kernel import TransitionKernel, transition_kernel


class MetropolisHastingsKernelResults(NamedTuple):
    """Results of one Metropolis-Hastings step (TFP's fields).

    Attributes:
      accepted_results: the inner kernel's results at the state the chain now holds.
      is_accepted: whether the proposal was accepted.
      log_accept_ratio: log of the acceptance probability before capping at 1 (-inf for a NaN proposal).
      proposed_state: the state the inner kernel proposed.
      proposed_results: the inner kernel's results at the proposal.
      extra: room for wrappers to keep their own data (unused here).

    """

    accepted_results: Any
    is_accepted: jax.Array
    log_accept_ratio: jax.Array
    proposed_state: Any
    proposed_results: Any
    extra: Any = ()


def _select(condition: jax.Array, if_true: Any, if_false: Any) -> Any:
    return jax.tree.map(lambda a, b: jnp.where(condition, a, b), if_true, if_false)


@transition_kernel
class MetropolisHastings(TransitionKernel):
    """Accept or reject the proposals of an uncalibrated kernel (Metropolis-Hastings).

    The inner kernel's results must have `target_log_prob` and
    `log_acceptance_correction` (the log ratio of reverse to forward proposal
    densities; zero for a symmetric proposal). A proposal is accepted with
    probability `min(1, exp(log_accept_ratio))` where
    `log_accept_ratio = target(proposed) - target(current) + log_acceptance_correction`.

    Args:
      inner_kernel: an uncalibrated kernel (`UncalibratedHamiltonianMonteCarlo`,
        `UncalibratedRandomWalk`, `UncalibratedLangevin`, ...).

    Example:
      >>> import jax.numpy as jnp
      >>> from typing import NamedTuple
      >>> class Proposal(NamedTuple):
      ...     target_log_prob: jnp.ndarray
      ...     log_acceptance_correction: jnp.ndarray
      >>> @transition_kernel
      ... class ShiftByOne(TransitionKernel):
      ...     is_calibrated = False
      ...     def bootstrap_results(self, x):
      ...         return Proposal(-0.5 * x**2, jnp.zeros(()))
      ...     def one_step(self, x, results, seed=None):
      ...         return x + 1.0, self.bootstrap_results(x + 1.0)
      >>> kernel = MetropolisHastings(ShiftByOne())
      >>> state, results = kernel.one_step(0.0, kernel.bootstrap_results(0.0), seed=0)
      >>> round(float(results.log_accept_ratio), 3)
      -0.5

    """

    inner_kernel: TransitionKernel

    def __post_init__(self) -> None:
        if not isinstance(self.inner_kernel, TransitionKernel):
            raise TypeError(
                f"MetropolisHastings: inner_kernel must be a TransitionKernel, got {type(self.inner_kernel)}."
            )

    def bootstrap_results(self, init_state: Any) -> MetropolisHastingsKernelResults:
        """Results at `init_state`: the inner kernel's, with nothing yet accepted."""
        inner = self.inner_kernel.bootstrap_results(init_state)
        zero = jnp.zeros_like(inner.target_log_prob)
        return MetropolisHastingsKernelResults(
            accepted_results=inner,
            is_accepted=jnp.ones(zero.shape, bool),
            log_accept_ratio=zero,
            proposed_state=init_state,
            proposed_results=inner,
        )

    def one_step(
        self, current_state: Any, previous_kernel_results: MetropolisHastingsKernelResults, seed: Any = None
    ) -> tuple[Any, MetropolisHastingsKernelResults]:
        """Propose with the inner kernel, then accept or keep the current state."""
        proposal_key, accept_key = threefry.split(as_key(seed, "MetropolisHastings.one_step"))
        accepted = previous_kernel_results.accepted_results
        proposed_state, proposed = self.inner_kernel.one_step(current_state, accepted, seed=proposal_key)
        log_accept_ratio = proposed.target_log_prob - accepted.target_log_prob
        log_accept_ratio = log_accept_ratio + proposed.log_acceptance_correction
        # A NaN ratio (a proposal where the target is undefined) is a rejection.
        log_accept_ratio = jnp.where(jnp.isnan(log_accept_ratio), -jnp.inf, log_accept_ratio)
        log_uniform = jnp.log(threefry.uniform(accept_key, log_accept_ratio.shape, log_accept_ratio.dtype))
        is_accepted = log_uniform < log_accept_ratio
        next_state = _select(is_accepted, proposed_state, current_state)
        results = MetropolisHastingsKernelResults(
            accepted_results=_select(is_accepted, proposed, accepted),
            is_accepted=is_accepted,
            log_accept_ratio=log_accept_ratio,
            proposed_state=proposed_state,
            proposed_results=proposed,
            extra=previous_kernel_results.extra,
        )
        return next_state, results
