"""Convergence criteria for `fit_surrogate_posterior`: stop when the loss or the parameters settle.

A criterion is a small static object with `bootstrap(params) -> state` and
`one_step(step, loss, params, new_params, state) -> (has_converged, state)`, evaluated
inside the compiled loop. Stochastic losses are noisy, so both criteria smooth what they
watch with an exponential moving average over about `window_size` steps.
"""

from __future__ import annotations

import dataclasses

import jax
import jax.numpy as jnp


def _decay(window_size: int) -> float:
    if int(window_size) < 1:
        raise ValueError(f"window_size must be a positive int, got {window_size!r}.")
    return 1.0 - 1.0 / int(window_size)


@dataclasses.dataclass(frozen=True)
class LossNotDecreasing:
    """Converged when the smoothed loss decreases by less than `atol + rtol * |smoothed loss|` per step.

    Args:
      rtol: relative tolerance on the per-step decrease of the smoothed loss.
      atol: absolute tolerance on it.
      window_size: steps the moving averages span.
      min_num_steps: never converge before this many steps.

    Example:
      >>> criterion = LossNotDecreasing(rtol=0.01, window_size=2, min_num_steps=0)
      >>> state = criterion.bootstrap({'w': jnp.zeros(2)})
      >>> for step in range(3):
      ...     converged, state = criterion.one_step(step, jnp.array(1.), None, None, state)
      >>> bool(converged)  # a flat loss
      True

    """

    rtol: float = 1e-3
    atol: float = 0.0
    window_size: int = 20
    min_num_steps: int = 50

    def bootstrap(self, params):
        """Moving averages of the loss and of its decrease (unset until the first step)."""
        dtype = jnp.result_type(*jax.tree.leaves(params))
        return {
            "average_loss": jnp.full((), jnp.nan, dtype),
            "average_decrease": jnp.full((), jnp.inf, dtype),
        }

    def one_step(self, step, loss, params, new_params, state):
        """(Whether the smoothed loss has stopped decreasing, the updated state)."""
        del params, new_params
        decay = _decay(self.window_size)
        loss = jnp.asarray(loss).astype(state["average_loss"].dtype)
        previous_loss = jnp.where(jnp.isnan(state["average_loss"]), loss, state["average_loss"])
        average_loss = decay * previous_loss + (1 - decay) * loss
        decrease = previous_loss - average_loss
        previous = state["average_decrease"]
        average_decrease = jnp.where(jnp.isinf(previous), decrease, decay * previous + (1 - decay) * decrease)
        converged = (step >= self.min_num_steps) & (
            average_decrease < self.atol + self.rtol * jnp.abs(average_loss)
        )
        return converged, {"average_loss": average_loss, "average_decrease": average_decrease}


@dataclasses.dataclass(frozen=True)
class ParameterChangeBelow:
    """Converged when the smoothed parameter change is below `atol + rtol * ||params||` (Euclidean norms).

    With adaptive optimizers (adam) steps stay of the order of the learning rate, so choose
    tolerances above it, or decay the learning rate.

    Args:
      rtol: relative tolerance on the size of the smoothed change.
      atol: absolute tolerance on it.
      window_size: steps the moving average spans.
      min_num_steps: never converge before this many steps.

    Example:
      >>> criterion = ParameterChangeBelow(atol=1e-3, window_size=1, min_num_steps=0)
      >>> state = criterion.bootstrap({'w': jnp.ones(2)})
      >>> bool(criterion.one_step(1, 0., {'w': jnp.ones(2)}, {'w': jnp.ones(2)}, state)[0])
      True

    """

    rtol: float = 1e-4
    atol: float = 0.0
    window_size: int = 20
    min_num_steps: int = 50

    def bootstrap(self, params):
        """The moving average of the update (a pytree like `params`)."""
        return {"average_change": jax.tree.map(jnp.zeros_like, params)}

    def one_step(self, step, loss, params, new_params, state):
        """(Whether the parameters have stopped moving, the updated state)."""
        del loss
        decay = _decay(self.window_size)
        average_change = jax.tree.map(
            lambda avg, new, old: decay * avg + (1 - decay) * (new - old),
            state["average_change"],
            new_params,
            params,
        )
        converged = (step >= self.min_num_steps) & (
            _norm(average_change) <= self.atol + self.rtol * _norm(new_params)
        )
        return converged, {"average_change": average_change}


def _norm(tree) -> jax.Array:
    return jnp.sqrt(sum(jnp.sum(jnp.square(leaf)) for leaf in jax.tree.leaves(tree)))
