"""Plumbing shared by the variational losses: calling the target, drawing from the surrogate.

The target is called TFP's way: one argument for an array-valued surrogate, `*parts` for a
list or tuple of parts (named tuples included), `**parts` for a dict. It is called on one
draw at a time (vmapped over the sample dimensions), so it needs no broadcasting over them.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping

import jax
import jax.numpy as jnp

from probax._internal.prng import as_key
from probax.vi.trainable import Trainable


def call_target(target_log_prob_fn: Callable, value) -> jax.Array:
    """`target_log_prob_fn` applied to one draw with TFP's calling convention."""
    if isinstance(value, Mapping):
        return target_log_prob_fn(**value)
    if isinstance(value, list | tuple):
        return target_log_prob_fn(*value)
    return target_log_prob_fn(value)


def log_prob_of_draws(target_log_prob_fn: Callable, draws, sample_shape: tuple[int, ...]) -> jax.Array:
    """The target's log density at each of the draws (leading dimensions `sample_shape`)."""
    n = math.prod(sample_shape)
    rank = len(sample_shape)
    flat = jax.tree.map(lambda leaf: leaf.reshape((n, *leaf.shape[rank:])), draws)
    values = jax.vmap(lambda value: call_target(target_log_prob_fn, value))(flat)
    if values.shape[1:] and math.prod(values.shape[1:]) == 1:
        values = values.reshape((n,))
    if values.shape != (n,):
        raise ValueError(
            "target_log_prob_fn must return a scalar log density for one draw, got shape "
            f"{values.shape[1:]} (was the target written for a batched surrogate?)."
        )
    return values.reshape(sample_shape)


def as_surrogate(surrogate, caller: str):
    """The surrogate distribution (built, for a `Trainable`); checks it can sample and score."""
    distribution = surrogate.build() if isinstance(surrogate, Trainable) else surrogate
    if not (hasattr(distribution, "sample") and hasattr(distribution, "log_prob")):
        raise TypeError(
            f"{caller}: surrogate_posterior must be a distribution or a probax.vi.Trainable, "
            f"got {type(surrogate).__name__}."
        )
    return distribution


def stopped_surrogate(surrogate, caller: str):
    """The surrogate with gradients to its parameters stopped (its density still depends on the value)."""
    if isinstance(surrogate, Trainable):
        return surrogate.build_fn(jax.lax.stop_gradient(surrogate.params))
    return jax.tree.map(
        lambda leaf: jax.lax.stop_gradient(leaf) if isinstance(leaf, jax.Array) else leaf,
        as_surrogate(surrogate, caller),
    )


def sample_and_log_prob(distribution, sample_shape: tuple[int, ...], seed, caller: str):
    """Reparameterized draws and their log density (in one forward pass where the surrogate offers it)."""
    key = as_key(seed, caller)
    joint = getattr(distribution, "sample_and_log_prob", None) or getattr(
        distribution, "experimental_sample_and_log_prob", None
    )
    if joint is not None:
        return joint(sample_shape, seed=key)
    draws = distribution.sample(sample_shape, seed=key)
    return draws, distribution.log_prob(draws)


def stopped_draws(distribution, sample_shape: tuple[int, ...], seed, caller: str):
    """Draws with no gradient path to the surrogate's parameters (for score-function estimators)."""
    draws = distribution.sample(sample_shape, seed=as_key(seed, caller))
    return jax.tree.map(jax.lax.stop_gradient, draws)


def reparameterized_draws(distribution, sample_shape: tuple[int, ...], seed, caller: str):
    """Draws that carry gradients to the surrogate's parameters."""
    return distribution.sample(sample_shape, seed=as_key(seed, caller))


def score_function_loss(divergences: jax.Array, q_log_prob: jax.Array) -> jax.Array:
    """Mean of `divergences` whose gradient adds `(f - baseline) grad log q` per draw.

    The baseline of a draw is the mean of the other draws' divergences, which keeps the
    estimator unbiased (it does not depend on that draw).
    """
    fixed = jax.lax.stop_gradient(divergences)
    n = divergences.shape[0]
    baseline = (jnp.sum(fixed) - fixed) / (n - 1) if n > 1 else jnp.zeros_like(fixed)
    score = (fixed - baseline) * (q_log_prob - jax.lax.stop_gradient(q_log_prob))
    return jnp.mean(divergences + score)


def log_mean_exp(values: jax.Array, axis: int = 0) -> jax.Array:
    """log(mean(exp(values))) along `axis`, stably."""
    return jax.nn.logsumexp(values, axis=axis) - math.log(values.shape[axis])
