"""Hamiltonian Monte Carlo with a fixed number of leapfrog steps (TFP's HMC kernels).

`UncalibratedHamiltonianMonteCarlo` proposes the end of a leapfrog trajectory
from a fresh momentum; `HamiltonianMonteCarlo` accepts or rejects it with
`MetropolisHastings`, as TFP does. The step size and the metric are read from
the previous results (not the kernel), so step-size and mass-matrix adaptations
change them with `replace_field`.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, NamedTuple

import jax
import jax.numpy as jnp
from jax.flatten_util import ravel_pytree

from probax._internal.prng import as_key
from probax.mcmc.kernel import TransitionKernel, static_field, transition_kernel
from probax.mcmc.leapfrog import PhasePoint, flat_step_size, flat_target, flatten_state, leapfrog
from probax.mcmc.metric import Metric, identity_metric, kinetic_energy, make_metric, sample_momentum, velocity
from probax.mcmc.metropolis_hastings import MetropolisHastings, MetropolisHastingsKernelResults
from probax.mcmc.target import target_and_gradient


class UncalibratedHamiltonianMonteCarloKernelResults(NamedTuple):
    """Results of one uncalibrated HMC proposal (TFP's fields, plus the metric).

    Attributes:
      log_acceptance_correction: kinetic energy before minus after the trajectory.
      target_log_prob: the target at the state.
      grads_target_log_prob: its gradient, in the state's structure.
      initial_momentum: the momentum drawn at the start (state's structure).
      final_momentum: the momentum at the end of the trajectory.
      step_size: the leapfrog step size (scalar, or per state part).
      num_leapfrog_steps: leapfrog steps per proposal.
      metric: the `Metric` (inverse mass matrix over the flattened state).

    """

    log_acceptance_correction: jax.Array
    target_log_prob: jax.Array
    grads_target_log_prob: Any
    initial_momentum: Any
    final_momentum: Any
    step_size: Any
    num_leapfrog_steps: jax.Array
    metric: Metric


def initial_metric(inverse_mass_matrix: Any, flat_state: jax.Array) -> Metric:
    """The metric a Hamiltonian kernel starts with: identity when no inverse mass matrix is given.

    Example:
      >>> import jax.numpy as jnp
      >>> initial_metric(None, jnp.zeros(2)).inverse_mass_matrix.tolist()
      [1.0, 1.0]

    """
    if inverse_mass_matrix is None:
        return identity_metric(flat_state.shape[0], flat_state.dtype)
    metric = make_metric(jnp.asarray(inverse_mass_matrix, flat_state.dtype))
    if metric.inverse_mass_matrix.shape[0] != flat_state.shape[0]:
        raise ValueError(
            f"inverse_mass_matrix has shape {metric.inverse_mass_matrix.shape} but the flattened state has "
            f"{flat_state.shape[0]} numbers."
        )
    return metric


def check_hamiltonian_settings(kernel: TransitionKernel, count_name: str) -> None:
    """Check a Hamiltonian kernel's static settings: a callable target, a step size, a positive int count.

    Only static fields are checked (JAX rebuilds kernels with placeholder leaves).

    Example:
      >>> kernel = HamiltonianMonteCarlo(lambda x: -x**2, step_size=0.1, num_leapfrog_steps=0)
      Traceback (most recent call last):
      ...
      ValueError: HamiltonianMonteCarlo: num_leapfrog_steps must be a positive int, got 0.

    """
    caller = type(kernel).__name__
    if not callable(kernel.target_log_prob_fn):
        raise TypeError(f"{caller}: target_log_prob_fn must be callable, got {kernel.target_log_prob_fn!r}.")
    if kernel.step_size is None:
        raise ValueError(f"{caller}: step_size is required (a positive scalar or one per state part).")
    count = getattr(kernel, count_name)
    if isinstance(count, bool) or not isinstance(count, int) or count < 1:
        raise ValueError(f"{caller}: {count_name} must be a positive int, got {count!r}.")


@transition_kernel
class UncalibratedHamiltonianMonteCarlo(TransitionKernel):
    """The HMC proposal: a fresh momentum and `num_leapfrog_steps` leapfrog steps (no accept/reject).

    Args:
      target_log_prob_fn: the log density (a list state is passed as separate arguments).
      step_size: the leapfrog step size: a scalar, or a structure like the state (per part).
      num_leapfrog_steps: leapfrog steps per proposal (a Python int).
      inverse_mass_matrix: `(d,)` or `(d, d)` over the flattened state; `None` for the identity.

    Example:
      >>> import jax.numpy as jnp
      >>> kernel = UncalibratedHamiltonianMonteCarlo(lambda x: -0.5 * jnp.sum(x**2), 0.5, 3)
      >>> state, results = kernel.one_step(jnp.zeros(2), kernel.bootstrap_results(jnp.zeros(2)), seed=0)
      >>> state.shape, int(results.num_leapfrog_steps)
      ((2,), 3)

    """

    target_log_prob_fn: Callable[..., Any] = static_field()
    step_size: Any
    num_leapfrog_steps: int = static_field()
    inverse_mass_matrix: Any = None

    is_calibrated = False

    def __post_init__(self) -> None:
        check_hamiltonian_settings(self, "num_leapfrog_steps")

    def bootstrap_results(self, init_state: Any) -> UncalibratedHamiltonianMonteCarloKernelResults:
        """Results at `init_state`: the target and its gradient there, zero momenta."""
        flat_state, _ = flatten_state(init_state)
        target_log_prob, grads = target_and_gradient(self.target_log_prob_fn, init_state)
        zeros = jax.tree.map(jnp.zeros_like, init_state)
        step_size = jax.tree.map(lambda s: jnp.asarray(s, flat_state.dtype), self.step_size)
        return UncalibratedHamiltonianMonteCarloKernelResults(
            log_acceptance_correction=jnp.zeros((), target_log_prob.dtype),
            target_log_prob=target_log_prob,
            grads_target_log_prob=grads,
            initial_momentum=zeros,
            final_momentum=zeros,
            step_size=step_size,
            num_leapfrog_steps=jnp.asarray(self.num_leapfrog_steps, jnp.int32),
            metric=initial_metric(self.inverse_mass_matrix, flat_state),
        )

    def one_step(
        self,
        current_state: Any,
        previous_kernel_results: UncalibratedHamiltonianMonteCarloKernelResults,
        seed: Any = None,
    ) -> tuple[Any, UncalibratedHamiltonianMonteCarloKernelResults]:
        """Draw a momentum and integrate; returns the trajectory's end and its results."""
        key = as_key(seed, f"{type(self).__name__}.one_step")
        previous = previous_kernel_results
        flat_state, unravel, value_and_grad = flat_target(self.target_log_prob_fn, current_state)
        metric = previous.metric
        momentum = sample_momentum(metric, key).astype(flat_state.dtype)
        start = PhasePoint(
            flat_state, momentum, previous.target_log_prob, ravel_pytree(previous.grads_target_log_prob)[0]
        )
        step_size = flat_step_size(previous.step_size, current_state, flat_state.dtype)
        end = leapfrog(value_and_grad, metric, step_size, start, self.num_leapfrog_steps)
        initial_kinetic = kinetic_energy(momentum, velocity(metric, momentum))
        final_kinetic = kinetic_energy(end.momentum, velocity(metric, end.momentum))
        results = previous._replace(
            log_acceptance_correction=initial_kinetic - final_kinetic,
            target_log_prob=end.target_log_prob,
            grads_target_log_prob=unravel(end.grads_target_log_prob),
            initial_momentum=unravel(momentum),
            final_momentum=unravel(end.momentum),
        )
        return unravel(end.position), results


@transition_kernel
class HamiltonianMonteCarlo(TransitionKernel):
    """Hamiltonian Monte Carlo: `MetropolisHastings(UncalibratedHamiltonianMonteCarlo(...))`, as in TFP.

    Args:
      target_log_prob_fn: the log density (a list state is passed as separate arguments).
      step_size: the leapfrog step size: a scalar, or a structure like the state (per part).
      num_leapfrog_steps: leapfrog steps per proposal (a Python int).
      inverse_mass_matrix: `(d,)` or `(d, d)` over the flattened state; `None` for the identity.

    The results are `MetropolisHastingsKernelResults` whose `accepted_results`
    are `UncalibratedHamiltonianMonteCarloKernelResults`.

    Example:
      >>> import jax, jax.numpy as jnp
      >>> kernel = HamiltonianMonteCarlo(lambda x: -0.5 * x**2, step_size=0.5, num_leapfrog_steps=4)
      >>> def step(carry, key):
      ...     state, results = kernel.one_step(*carry, seed=key)
      ...     return (state, results), state
      >>> init = jnp.array(0.0)
      >>> keys = jax.random.split(jax.random.key(0), 2000)
      >>> _, draws = jax.lax.scan(step, (init, kernel.bootstrap_results(init)), keys)
      >>> bool(abs(jnp.mean(draws)) < 0.15), bool(0.8 < float(jnp.var(draws)) < 1.25)
      (True, True)

    """

    target_log_prob_fn: Callable[..., Any] = static_field()
    step_size: Any
    num_leapfrog_steps: int = static_field()
    inverse_mass_matrix: Any = None

    def __post_init__(self) -> None:
        check_hamiltonian_settings(self, "num_leapfrog_steps")

    @property
    def inner_kernel(self) -> UncalibratedHamiltonianMonteCarlo:
        """The uncalibrated proposal kernel this kernel accepts or rejects."""
        return UncalibratedHamiltonianMonteCarlo(
            self.target_log_prob_fn, self.step_size, self.num_leapfrog_steps, self.inverse_mass_matrix
        )

    @property
    def _impl(self) -> MetropolisHastings:
        return MetropolisHastings(self.inner_kernel)

    def bootstrap_results(self, init_state: Any) -> MetropolisHastingsKernelResults:
        """Results at `init_state` (see `MetropolisHastings.bootstrap_results`)."""
        return self._impl.bootstrap_results(init_state)

    def one_step(
        self, current_state: Any, previous_kernel_results: MetropolisHastingsKernelResults, seed: Any = None
    ) -> tuple[Any, MetropolisHastingsKernelResults]:
        """One HMC transition: propose with the leapfrog trajectory, then accept or reject."""
        return self._impl.one_step(current_state, previous_kernel_results, seed)
