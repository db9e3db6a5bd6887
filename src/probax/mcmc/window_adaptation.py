"""Stan's windowed adaptation of the step size and the mass matrix, as a kernel wrapper.

Warmup is split as Stan splits it: an initial buffer (75 steps) where only the
step size adapts, a series of doubling "slow" windows (25, 50, 100, ... steps;
the last one stretched to the terminal buffer) at the end of each of which the
inverse mass matrix is set to the regularized covariance of the window's draws,
and a terminal buffer (50 steps) where the step size adapts to the final metric.
The step size follows dual averaging throughout (`probax.mcmc.dual_averaging`),
restarted from the current step size when a window changes the metric (as Stan
and BlackJAX do), and is fixed at its averaged value after the last step.

The mass matrix is estimated in the space the inner kernel moves in: under a
`TransformedTransitionKernel`, the unconstrained state of its results
(`transformed_state`). Draws are flattened with `jax.flatten_util.ravel_pytree`.

With `chain_axis_name`, chains run as a named `vmap` (or sharded) axis share
one step size: dual averaging is fed the mean of their acceptance statistics.
That is less noisy than one chain's, so the averaged step size lands nearer to
where the mean acceptance over the posterior is the target (per chain, the noise
biases it low: accept statistics of about 0.87 for a 0.8 target), and vmapped
chains no longer wait for the one that drew the smallest step size.

The windows' ends are static, and the step counter is a scalar in the results.
Under a `vmap` over chains that leaves the counter unbatched (`sample` maps it
with `in_axes=None`), the metric is rebuilt only at a window's end (`lax.cond`);
a plain `vmap` is also correct, it just evaluates the rebuild every step.
"""

from __future__ import annotations

from typing import Any, NamedTuple

import jax
import jax.numpy as jnp
import numpy as np
from jax.flatten_util import ravel_pytree

from probax.mcmc.dual_averaging import DualAveragingState, dual_averaging_init, dual_averaging_update
from probax.mcmc.kernel import TransitionKernel, static_field, transition_kernel
from probax.mcmc.kernel_results import get_field, has_field, replace_field, replace_fields_everywhere
from probax.mcmc.metric import identity_metric, make_metric

# Stan's regularization of the covariance estimate: shrink towards 1e-3 * identity with weight 5 / (n + 5).
_REGULARIZATION_COUNT = 5.0
_REGULARIZATION_SCALE = 1e-3
# A window estimates the correlations only with at least this many draws per dimension; with fewer,
# the sample covariance's eigenvalues spread so far that its diagonal alone makes a better metric.
_DENSE_DRAWS_PER_DIMENSION = 2


class WindowSchedule(NamedTuple):
    """Where the slow windows of a warmup lie (steps counted from 0, ends exclusive).

    Attributes:
      slow_start: the first step whose draw enters a covariance estimate (end of the initial buffer).
      window_ends: the step counts at which each slow window ends and the metric changes.

    """

    slow_start: int
    window_ends: tuple[int, ...]


def window_schedule(
    num_steps: int, initial_buffer: int = 75, base_window: int = 25, terminal_buffer: int = 50
) -> WindowSchedule:
    """Stan's warmup windows for `num_steps` adaptation steps.

    When the three phases do not fit, Stan's fallback applies: 15% initial
    buffer, 10% terminal buffer, one slow window in between. Fewer than 20 steps
    adapt only the step size (no window).

    Args:
      num_steps: the number of adaptation steps.
      initial_buffer: steps before the first window (step size only).
      base_window: the length of the first slow window; each next one doubles.
      terminal_buffer: steps after the last window (step size only).

    Returns:
      A `WindowSchedule`.

    Example:
      >>> window_schedule(1000).window_ends
      (100, 150, 250, 450, 950)

    """
    if num_steps < 20:
        return WindowSchedule(num_steps, ())
    if initial_buffer + base_window + terminal_buffer > num_steps:
        initial_buffer = int(0.15 * num_steps)
        terminal_buffer = int(0.1 * num_steps)
        base_window = num_steps - initial_buffer - terminal_buffer
    slow_end = num_steps - terminal_buffer
    ends: list[int] = []
    start, size = initial_buffer, base_window
    while start < slow_end:
        end = start + size
        # A window that would leave less than twice its successor's room is stretched to the end.
        if end + 2 * size > slow_end:
            end = slow_end
        ends.append(end)
        start, size = end, 2 * size
    return WindowSchedule(initial_buffer, tuple(ends))


class WelfordState(NamedTuple):
    """Running mean and sum of squared deviations (Welford's algorithm) of flattened draws.

    Attributes:
      count: the number of draws seen (a float scalar).
      mean: their mean, shape (d,).
      m2: the sum of squared deviations, shape (d,) (diagonal) or (d, d) (dense).

    """

    count: jax.Array
    mean: jax.Array
    m2: jax.Array


def welford_init(dimension: int, dtype: Any, dense: bool) -> WelfordState:
    """An empty `WelfordState` for `dimension`-vectors.

    Example:
      >>> welford_init(3, jnp.float32, dense=True).m2.shape
      (3, 3)

    """
    m2_shape = (dimension, dimension) if dense else (dimension,)
    return WelfordState(jnp.zeros((), dtype), jnp.zeros((dimension,), dtype), jnp.zeros(m2_shape, dtype))


def welford_update(state: WelfordState, x: jax.Array) -> WelfordState:
    """Add the draw `x` (shape (d,)) to the running moments.

    Example:
      >>> state = welford_init(1, jnp.float32, dense=False)
      >>> for x in (1.0, 2.0, 4.0):
      ...     state = welford_update(state, jnp.array([x]))
      >>> [round(float(v), 4) for v in (state.mean[0], state.m2[0] / (state.count - 1))]
      [2.3333, 2.3333]

    """
    count = state.count + 1
    delta = x - state.mean
    mean = state.mean + delta / count
    after = x - mean
    m2 = state.m2 + (jnp.outer(delta, after) if state.m2.ndim == 2 else delta * after)
    return WelfordState(count, mean, m2)


def regularized_covariance(state: WelfordState) -> jax.Array:
    """Stan's estimate of the inverse mass matrix: the sample covariance shrunk towards 1e-3 * I.

    Example:
      >>> state = welford_init(1, jnp.float32, dense=False)
      >>> for x in (1.0, 2.0, 4.0):
      ...     state = welford_update(state, jnp.array([x]))
      >>> round(float(regularized_covariance(state)[0]), 4)  # (3/8) * 2.3333 + 1e-3 * 5/8
      0.8756

    """
    count = state.count
    covariance = state.m2 / (count - 1)
    shrink = _REGULARIZATION_SCALE * _REGULARIZATION_COUNT / (count + _REGULARIZATION_COUNT)
    identity = jnp.eye(covariance.shape[0], dtype=covariance.dtype) if covariance.ndim == 2 else 1.0
    return count / (count + _REGULARIZATION_COUNT) * covariance + shrink * identity


class WindowAdaptationResults(NamedTuple):
    """Results of `WindowAdaptation`.

    Attributes:
      inner_results: the inner kernel's results (carrying the current `step_size` and `metric`).
      adaptation_step: the number of steps taken so far (int32 scalar, the same for every chain).
      step_size_state: the dual-averaging state of the log step size.
      moments: the running moments of the current slow window's (unconstrained, flattened) draws.

    """

    inner_results: Any
    adaptation_step: jax.Array
    step_size_state: DualAveragingState
    moments: WelfordState


def _moving_state(state: Any, inner_results: Any) -> jax.Array:
    """The flattened state the inner kernel moves in (unconstrained under a transformed kernel)."""
    if has_field(inner_results, "transformed_state"):
        state = get_field(inner_results, "transformed_state")
    return ravel_pytree(state)[0]


def _frozen(
    step: jax.Array, next_state: Any, inner: Any, dual: DualAveragingState, moments: WelfordState
) -> tuple[Any, DualAveragingState, WelfordState]:
    """After the warmup: the step size, the metric and the adaptation state stay as they are."""
    del step, next_state
    return inner, dual, moments


@transition_kernel
class WindowAdaptation(TransitionKernel):
    """Adapt an HMC-like kernel's step size and (diagonal or dense) inverse mass matrix, as Stan does.

    For the first `num_adaptation_steps` steps the step size follows dual averaging
    towards `target_accept_prob` and, when the inner results have a `metric`, the
    inverse mass matrix is re-estimated at the end of each of Stan's slow windows
    (see `window_schedule`). From step `num_adaptation_steps` on, the step size is
    the averaged one and nothing changes any more. The adaptation starts from the
    inner kernel's step size and an identity metric. Keep it for the whole run (what
    `sample` does: past the warmup its update is skipped by one `lax.cond`), e.g. in
    `sample_chain` with `num_burnin_steps=num_adaptation_steps`, or sample with the
    inner kernel from `results.inner_results`.

    A dense metric's windows with fewer than twice as many draws as dimensions
    estimate only the variances (a diagonal matrix); the correlations enter from the
    first window long enough. `dense_mass="auto"` picks a dense metric exactly when
    some window is: in `sample`'s default 1000-step warmup (longest window 500 draws),
    for states of up to 250 numbers.

    Args:
      inner_kernel: a calibrated kernel whose results have a scalar `step_size` and a
        `log_accept_ratio` (HMC, NUTS, MALA, or any of them inside a `TransformedTransitionKernel`).
      num_adaptation_steps: the number of warmup steps.
      target_accept_prob: the mean acceptance probability dual averaging aims for.
      dense_mass: True for a dense inverse mass matrix, False for a diagonal one, `"auto"` for a
        dense one when the longest slow window has at least twice as many draws as the (flat,
        unconstrained) state has numbers, else a diagonal one.
      adapt_mass_matrix: estimate the inverse mass matrix at all; False adapts the step size only
        and keeps the identity metric (better when the target is piecewise constant in some
        coordinate, where variance estimates from a random walk mislead).
      initial_buffer: steps before the first slow window (Stan's `init_buffer`).
      base_window: the first slow window's length (Stan's `window`).
      terminal_buffer: steps after the last slow window (Stan's `term_buffer`).
      chain_axis_name: the name of a `vmap` axis over chains (`jax.vmap(..., axis_name=...)`): dual
        averaging then follows the chains' mean acceptance statistic, one step size for all of them.
        None adapts each chain's step size on its own (Stan's rule); the metric is always per chain.

    Example:
      >>> from probax.mcmc.nuts import NoUTurnSampler
      >>> kernel = WindowAdaptation(NoUTurnSampler(lambda x: -0.5 * jnp.sum((x / 3.0) ** 2), step_size=1.0),
      ...                           num_adaptation_steps=200)
      >>> state, results = jnp.zeros(2), None
      >>> results = kernel.bootstrap_results(state)
      >>> step = jax.jit(kernel.one_step)
      >>> for i in range(200):
      ...     state, results = step(state, results, jax.random.key(i))
      >>> inverse_mass = get_field(results, "metric").inverse_mass_matrix  # dense: 2 numbers, 50-draw windows
      >>> variances = jnp.diagonal(inverse_mass)  # estimates of 9
      >>> inverse_mass.shape, bool(jnp.all((variances > 4.0) & (variances < 20.0)))
      ((2, 2), True)

    """

    inner_kernel: TransitionKernel
    num_adaptation_steps: int = static_field()
    target_accept_prob: float = static_field(default=0.8)
    dense_mass: bool | str = static_field(default="auto")
    adapt_mass_matrix: bool = static_field(default=True)
    initial_buffer: int = static_field(default=75)
    base_window: int = static_field(default=25)
    terminal_buffer: int = static_field(default=50)
    chain_axis_name: str | None = static_field(default=None)

    def __post_init__(self) -> None:
        if not isinstance(self.inner_kernel, TransitionKernel):
            raise TypeError(
                f"WindowAdaptation: inner_kernel must be a TransitionKernel, got {type(self.inner_kernel)}."
            )
        for name in ("num_adaptation_steps", "initial_buffer", "base_window", "terminal_buffer"):
            value = getattr(self, name)
            if isinstance(value, bool) or not isinstance(value, int) or value < 0:
                raise ValueError(f"WindowAdaptation: {name} must be a non-negative int, got {value!r}.")
        if not 0.0 < self.target_accept_prob < 1.0:
            raise ValueError(
                f"WindowAdaptation: target_accept_prob must lie in (0, 1), got {self.target_accept_prob!r}."
            )
        if not isinstance(self.adapt_mass_matrix, bool):
            raise TypeError(
                f"WindowAdaptation: adapt_mass_matrix must be a bool, got {self.adapt_mass_matrix!r}."
            )
        if not (isinstance(self.dense_mass, bool) or self.dense_mass == "auto"):
            raise TypeError(
                f"WindowAdaptation: dense_mass must be a bool or 'auto', got {self.dense_mass!r}."
            )
        if self.chain_axis_name is not None and not isinstance(self.chain_axis_name, str):
            raise TypeError(
                f"WindowAdaptation: chain_axis_name must be a str or None, got {self.chain_axis_name!r}."
            )

    @property
    def schedule(self) -> WindowSchedule:
        """The slow windows of this warmup."""
        return window_schedule(
            self.num_adaptation_steps, self.initial_buffer, self.base_window, self.terminal_buffer
        )

    def uses_dense_metric(self, dimension: int) -> bool:
        """Whether the metric of a `dimension`-number (flat, unconstrained) state is a dense matrix.

        Example:
          >>> from probax.mcmc.nuts import NoUTurnSampler
          >>> kernel = WindowAdaptation(NoUTurnSampler(lambda x: -jnp.sum(x**2), step_size=1.0), 1000)
          >>> kernel.uses_dense_metric(250), kernel.uses_dense_metric(251)
          (True, False)

        """
        if self.dense_mass != "auto":
            return self.dense_mass
        schedule = self.schedule
        windows = np.diff((schedule.slow_start, *schedule.window_ends))
        longest = int(windows.max()) if windows.size else 0
        return self.adapt_mass_matrix and longest >= _DENSE_DRAWS_PER_DIMENSION * dimension

    def bootstrap_results(self, init_state: Any) -> WindowAdaptationResults:
        """The inner results at `init_state` with an identity metric, and empty adaptation state."""
        inner = self.inner_kernel.bootstrap_results(init_state)
        step_size = jnp.asarray(get_field(inner, "step_size"))
        if step_size.ndim != 0:
            raise ValueError(
                "WindowAdaptation: the inner kernel's step_size must be a scalar (the mass matrix "
                f"scales the parameters); got shape {step_size.shape}."
            )
        flat = _moving_state(init_state, inner)
        # Without a metric (e.g. MALA) only the step size adapts: no d x d moments to carry.
        dense = has_field(inner, "metric") and self.uses_dense_metric(flat.shape[0])
        if has_field(inner, "metric"):
            # Proposals kept in the results must match in shape too: every `metric` field is set.
            identity = identity_metric(flat.shape[0], flat.dtype, dense)
            inner = replace_fields_everywhere(inner, ("metric",), lambda path: identity)
        return WindowAdaptationResults(
            inner_results=inner,
            adaptation_step=jnp.zeros((), jnp.int32),
            step_size_state=dual_averaging_init(step_size),
            moments=welford_init(flat.shape[0], flat.dtype, dense),
        )

    def one_step(
        self, current_state: Any, previous_kernel_results: WindowAdaptationResults, seed: Any = None
    ) -> tuple[Any, WindowAdaptationResults]:
        """One inner step, then one adaptation update (nothing changes after the adaptation steps)."""
        previous = previous_kernel_results
        step = previous.adaptation_step
        next_state, inner = self.inner_kernel.one_step(current_state, previous.inner_results, seed)
        # Past the warmup the update is skipped outright, so a run can keep this kernel for its
        # sampling phase (one compiled program for both) at the cost of one branch per step.
        inner, dual, moments = jax.lax.cond(
            step < self.num_adaptation_steps,
            self._adapt,
            _frozen,
            step,
            next_state,
            inner,
            previous.step_size_state,
            previous.moments,
        )
        return next_state, WindowAdaptationResults(inner, step + 1, dual, moments)

    def _adapt(
        self, step: jax.Array, next_state: Any, inner: Any, dual: DualAveragingState, moments: WelfordState
    ) -> tuple[Any, DualAveragingState, WelfordState]:
        """The adaptation update after warmup step `step`: dual averaging, and the metric's windows."""
        log_accept_ratio = get_field(inner, "log_accept_ratio")
        accept_prob = jnp.exp(jnp.minimum(log_accept_ratio, 0.0))
        if self.chain_axis_name is not None:
            # A NaN (undefined proposal) counts as a rejection before it could spoil the other chains' mean.
            accept_prob = jnp.where(jnp.isnan(accept_prob), 0.0, accept_prob)
            accept_prob = jax.lax.pmean(accept_prob, self.chain_axis_name)
        dual = dual_averaging_update(dual, accept_prob, self.target_accept_prob)
        schedule = self.schedule
        if self.adapt_mass_matrix and has_field(inner, "metric") and schedule.window_ends:
            in_window = (step >= schedule.slow_start) & (step < schedule.window_ends[-1])
            flat = _moving_state(next_state, inner)
            moments = jax.lax.cond(in_window, welford_update, lambda m, _: m, moments, flat)
            window_end = jnp.any(step + 1 == jnp.asarray(schedule.window_ends))
            inner, dual, moments = jax.lax.cond(
                window_end, self._end_window, lambda *parts: parts, inner, dual, moments
            )
        is_last = step == self.num_adaptation_steps - 1
        step_size = jnp.exp(jnp.where(is_last, dual.log_averaged_step_size, dual.log_step_size))
        old_step_size = get_field(inner, "step_size")
        inner = replace_field(inner, "step_size", step_size.astype(old_step_size.dtype))
        return inner, dual, moments

    def _end_window(
        self, inner: Any, dual: DualAveragingState, moments: WelfordState
    ) -> tuple[Any, DualAveragingState, WelfordState]:
        """Set the metric from the window's moments, restart dual averaging, empty the moments."""
        covariance = regularized_covariance(moments)
        if covariance.ndim == 2:
            enough_draws = moments.count >= _DENSE_DRAWS_PER_DIMENSION * covariance.shape[0]
            covariance = jnp.where(enough_draws, covariance, jnp.diag(jnp.diagonal(covariance)))
        inner = replace_field(inner, "metric", make_metric(covariance))
        dual = dual_averaging_init(jnp.exp(dual.log_step_size))
        empty = jax.tree.map(jnp.zeros_like, moments)
        return inner, dual, empty
