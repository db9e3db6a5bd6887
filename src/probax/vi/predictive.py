"""Posterior predictive draws: sample the fitted surrogate and push each draw through a model."""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping

import jax

from probax._internal.prng import as_key
from probax._internal.shapes import as_shape
from probax.distributions.joint_distribution_pinned import JointDistributionPinned
from probax.vi._target import as_surrogate, call_target


def _model_sampler(model, caller: str) -> Callable:
    """`(draw, key) -> predictive value` for a pinned JointDistribution or a callable."""
    if isinstance(model, JointDistributionPinned):
        names = model.unpinned_names

        def resample(draw, key):
            if isinstance(draw, Mapping):
                values = dict(draw)
            elif isinstance(draw, list | tuple):
                values = dict(zip(names, draw, strict=True))
            else:
                values = {names[0]: draw}
            return model.distribution.sample(seed=key, **values)

        return resample
    if not callable(model):
        raise TypeError(
            f"{caller}: model must be a pinned JointDistribution or a callable, got {type(model).__name__}."
        )

    def push(draw, key):
        out = call_target(model, draw)
        return out.sample(seed=key) if hasattr(out, "sample") else out

    return push


def sample_posterior_predictive(surrogate_posterior, model, sample_shape=(), seed=None):
    """Draw from the (fitted) surrogate and, for each draw, from the model given it.

    Args:
      surrogate_posterior: the fitted surrogate (a distribution or a `Trainable`).
      model: a pinned JointDistribution (each draw fills its free parts and the whole model is
        sampled, so the pinned parts are redrawn: replicated data), or a callable taking one draw
        (TFP's calling convention: `fn(z)`, `fn(*parts)` or `fn(**parts)`) and returning a
        distribution (sampled once per draw) or an array (a derived quantity).
      sample_shape: the shape of the posterior draws.
      seed: a `jax.random` key or an int.

    Returns:
      `(posterior_draws, predictive_draws)`, both with leading dimensions `sample_shape`; for a
      pinned model the predictive draws are the full model's structure.

    Example:
      >>> from probax.distributions import Normal
      >>> _, y = sample_posterior_predictive(Normal(2., 0.1), lambda mu: Normal(mu, 1.), 1000, seed=0)
      >>> y.shape, round(float(y.mean()), 0)
      ((1000,), 2.0)

    """
    caller = "sample_posterior_predictive"
    key = as_key(seed, caller)
    shape = as_shape(sample_shape, "sample_shape")
    q = as_surrogate(surrogate_posterior, caller)
    draw_key, model_key = jax.random.split(key)
    draws = q.sample(shape, seed=draw_key)
    n = math.prod(shape)
    flat = jax.tree.map(lambda leaf: leaf.reshape((n, *leaf.shape[len(shape) :])), draws)
    predictive = jax.vmap(_model_sampler(model, caller))(flat, jax.random.split(model_key, n))
    return draws, jax.tree.map(lambda leaf: leaf.reshape((*shape, *leaf.shape[1:])), predictive)
