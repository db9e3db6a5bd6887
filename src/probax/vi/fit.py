"""fit_surrogate_posterior: stochastic optimization of a variational loss, compiled as one loop.

The surrogate is a `Trainable`: its parameters are an explicit pytree that an optax
optimizer updates. The whole fit is one compiled program: a `lax.scan` over the steps, or,
with a convergence criterion, a `lax.while_loop` that stops once the criterion holds. The
progress bar (tqdm) is updated from the host by `jax.debug.callback` about 20 times per
fit, so it costs next to nothing.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, NamedTuple

import jax
import jax.numpy as jnp
import optax

from probax._internal.prng import as_key
from probax.vi.csiszar_divergence import CsiszarFunction, kl_reverse
from probax.vi.trainable import Trainable
from probax.vi.variational_loss import GradientEstimators, monte_carlo_variational_loss

_PROGRESS_UPDATES = 20


class TraceableQuantities(NamedTuple):
    """What `trace_fn` may record at each step (before that step's update)."""

    loss: jax.Array
    gradients: Any
    parameters: Any
    step: jax.Array
    has_converged: jax.Array


def trace_loss(traceable: TraceableQuantities) -> dict[str, jax.Array]:
    """The default trace: `{'loss': loss}` at each step.

    Example:
      >>> trace_loss(TraceableQuantities(1., None, None, 0, False))
      {'loss': 1.0}

    """
    return {"loss": traceable.loss}


def fit_surrogate_posterior(
    target_log_prob_fn: Callable,
    surrogate_posterior: Trainable,
    optimizer: optax.GradientTransformation,
    num_steps: int,
    sample_size: int = 1,
    importance_sample_size: int = 1,
    discrepancy_fn: CsiszarFunction = kl_reverse,
    gradient_estimator: GradientEstimators = GradientEstimators.REPARAMETERIZATION,
    convergence_criterion=None,
    trace_fn: Callable[[TraceableQuantities], Any] = trace_loss,
    seed=None,
    verbose: bool = True,
):
    """Fit a surrogate posterior by minimizing `monte_carlo_variational_loss` with an optax optimizer.

    Args:
      target_log_prob_fn: the unnormalized log posterior, called on one draw (see
        `monte_carlo_variational_loss` for the calling convention).
      surrogate_posterior: a `Trainable` (e.g. from `build_factored_surrogate_posterior`).
      optimizer: an optax `GradientTransformation`.
      num_steps: the (maximum) number of optimization steps.
      sample_size: draws per loss estimate.
      importance_sample_size: importance draws per group (above 1: importance-weighted bound).
      discrepancy_fn: the Csiszar function (default `kl_reverse`: the negative ELBO).
      gradient_estimator: a `GradientEstimators` member.
      convergence_criterion: optional, e.g. `LossNotDecreasing()`; the loop stops once it holds.
      trace_fn: `TraceableQuantities -> pytree` recorded at every step.
      seed: a `jax.random` key or an int.
      verbose: show a tqdm progress bar (not when `fit_surrogate_posterior` itself runs under `jit`).

    Returns:
      `(fitted_distribution, trace)`: the surrogate distribution at the final parameters, and
      the stacked output of `trace_fn` (one entry per step run; `trace['loss']` by default).

    Example:
      >>> import optax
      >>> from probax.distributions import Normal
      >>> from probax.vi.surrogate_builders import build_factored_surrogate_posterior
      >>> q, trace = fit_surrogate_posterior(Normal(3., 2.).log_prob, build_factored_surrogate_posterior(()),
      ...                                    optax.adam(0.05), num_steps=500, sample_size=64, seed=0,
      ...                                    verbose=False)
      >>> round(float(q.mean()), 1), round(float(q.distribution.stddev()[0]), 1), trace['loss'].shape
      (3.0, 2.0, (500,))

    """
    caller = "fit_surrogate_posterior"
    if not isinstance(surrogate_posterior, Trainable):
        raise TypeError(
            f"{caller}: surrogate_posterior must be a probax.vi.Trainable (its parameters are "
            f"what is fitted), got {type(surrogate_posterior).__name__}."
        )
    if not (hasattr(optimizer, "init") and hasattr(optimizer, "update")):
        raise TypeError(f"{caller}: optimizer must be an optax GradientTransformation, got {optimizer!r}.")
    if isinstance(num_steps, bool) or not isinstance(num_steps, int) or num_steps < 1:
        raise ValueError(f"{caller}: num_steps must be a positive int, got {num_steps!r}.")
    key = as_key(seed, caller)
    build_fn = surrogate_posterior.build_fn

    def loss_fn(params, step_key):
        return monte_carlo_variational_loss(
            target_log_prob_fn,
            Trainable(build_fn, params),
            sample_size=sample_size,
            importance_sample_size=importance_sample_size,
            discrepancy_fn=discrepancy_fn,
            gradient_estimator=gradient_estimator,
            seed=step_key,
        )

    # Inside an outer jit the bar would be built once, at trace time: no bar there.
    traced = any(isinstance(leaf, jax.core.Tracer) for leaf in jax.tree.leaves(surrogate_posterior.params))
    progress = _Progress(num_steps) if verbose and not traced else None

    def step(params, opt_state, criterion_state, i):
        loss, gradients = jax.value_and_grad(loss_fn)(params, jax.random.fold_in(key, i))
        updates, opt_state = optimizer.update(gradients, opt_state, params)
        new_params = optax.apply_updates(params, updates)
        converged = jnp.asarray(False)
        if convergence_criterion is not None:
            converged, criterion_state = convergence_criterion.one_step(
                i, loss, params, new_params, criterion_state
            )
        traced = trace_fn(TraceableQuantities(loss, gradients, params, i, converged))
        if progress is not None:
            progress.stage(i, loss)
        return new_params, opt_state, criterion_state, converged, traced

    params = surrogate_posterior.params
    opt_state = optimizer.init(params)
    criterion_state = None if convergence_criterion is None else convergence_criterion.bootstrap(params)
    run = _scan_loop if convergence_criterion is None else _while_loop
    try:
        params, steps_run, trace = jax.jit(lambda *args: run(step, num_steps, *args))(
            params, opt_state, criterion_state
        )
    finally:
        if progress is not None:
            progress.close()
    if not isinstance(steps_run, jax.core.Tracer) and int(steps_run) < num_steps:
        # Under an outer jit the length is not known: the unrun steps stay NaN (or zero).
        trace = jax.tree.map(lambda t: t[: int(steps_run)], trace)
    return surrogate_posterior.with_params(params).build(), trace


def _scan_loop(step, num_steps, params, opt_state, criterion_state):
    def body(carry, i):
        params, opt_state, criterion_state = carry
        params, opt_state, criterion_state, _, traced = step(params, opt_state, criterion_state, i)
        return (params, opt_state, criterion_state), traced

    (params, _, _), trace = jax.lax.scan(body, (params, opt_state, criterion_state), jnp.arange(num_steps))
    return params, jnp.asarray(num_steps), trace


def _while_loop(step, num_steps, params, opt_state, criterion_state):
    """Steps until convergence; the trace is preallocated for `num_steps` and cut to the steps run."""
    traced_shapes = jax.eval_shape(lambda: step(params, opt_state, criterion_state, jnp.asarray(0))[-1])
    buffers = jax.tree.map(lambda s: jnp.full((num_steps, *s.shape), _unset(s.dtype), s.dtype), traced_shapes)

    def keep_going(carry):
        i, converged = carry[0], carry[1]
        return (i < num_steps) & ~converged

    def body(carry):
        i, _, params, opt_state, criterion_state, buffers = carry
        params, opt_state, criterion_state, converged, traced = step(params, opt_state, criterion_state, i)
        buffers = jax.tree.map(lambda b, t: b.at[i].set(t), buffers, traced)
        return i + 1, converged, params, opt_state, criterion_state, buffers

    carry = (jnp.asarray(0), jnp.asarray(False), params, opt_state, criterion_state, buffers)
    steps_run, _, params, _, _, buffers = jax.lax.while_loop(keep_going, body, carry)
    return params, steps_run, buffers


def _unset(dtype):
    return jnp.nan if jnp.issubdtype(dtype, jnp.inexact) else 0


class _Progress:
    """A tqdm bar advanced from inside the compiled loop every `num_steps / 20` steps."""

    def __init__(self, num_steps: int):
        from tqdm.auto import tqdm

        self.num_steps = num_steps
        self.every = max(1, num_steps // _PROGRESS_UPDATES)
        self.bar = tqdm(total=num_steps, desc="fit_surrogate_posterior", leave=False)

    def _update(self, i, loss):
        self.bar.n = int(i) + 1
        self.bar.set_postfix(loss=f"{float(loss):.4g}", refresh=False)
        self.bar.refresh()

    def stage(self, i, loss):
        """Stage the host callback for the steps that report (inside the traced loop)."""
        report = ((i + 1) % self.every == 0) | (i + 1 == self.num_steps)
        jax.lax.cond(report, lambda: jax.debug.callback(self._update, i, loss), lambda: None)

    def close(self):
        self.bar.close()
