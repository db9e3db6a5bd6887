"""`predict_samples`: many stochastic forward passes of an NNX model, stacked along a new first axis.

A model whose randomness comes from its `nnx.Rngs` streams (MC dropout, variational layers, heads
that draw) gives a different output on each pass. `predict_samples` runs `num_samples` passes as
one compiled, vectorized program: each pass gets its own keys, derived from `seed`, in place of
the model's stream keys. The user's model is not changed (its stream counters do not advance),
and the same seed gives the same draws.

Passes run in inference mode, as `probax.training.predict`: `nnx.Dropout` is off and
`nnx.BatchNorm` uses its running averages; `MCDropout` and the variational layers still draw.
"""

from __future__ import annotations

import functools

import jax
from flax import nnx

from probax._internal.prng import as_key


def _stream_keys(sample_key: jax.Array, stream_keys: list[jax.Array]) -> list[jax.Array]:
    """A fresh key for each stream (of each stream key's shape) from one pass's key."""
    fresh = []
    for index, old in enumerate(stream_keys):
        key = jax.random.fold_in(sample_key, index)
        fresh.append(jax.random.split(key, old.shape) if old.shape else key)
    return fresh


@functools.partial(jax.jit, static_argnums=0)
def _passes(graph: nnx.GraphDef, stream_keys, rest, x, sample_keys):
    leaves, treedef = jax.tree.flatten(stream_keys)

    def one_pass(sample_key):
        keys = jax.tree.unflatten(treedef, _stream_keys(sample_key, leaves))
        return nnx.merge(graph, keys, rest, copy=True)(x)

    return jax.vmap(one_pass)(sample_keys)


def predict_samples(model: nnx.Module, x, num_samples: int, seed):
    """`num_samples` stochastic forward passes of `model` on `x`, stacked along a new leading axis.

    Args:
      model: a Flax NNX module whose randomness comes from `nnx.Rngs` streams.
      x: the inputs, passed to `model` as they are.
      num_samples: the number of passes.
      seed: a `jax.random` key or an int.

    Returns:
      The outputs with a leading axis of size `num_samples`: an array `[num_samples, ...]`, or a
      distribution whose parameters gain that axis (batch shape `[num_samples, ...]`).

    Example:
      >>> from probax.layers.mc_dropout import MCDropout
      >>> model = nnx.Sequential(nnx.Linear(2, 3, rngs=nnx.Rngs(0)), MCDropout(0.5, rngs=nnx.Rngs(1)))
      >>> draws = predict_samples(model, jnp.ones((4, 2)), num_samples=10, seed=0)
      >>> draws.shape, bool(jnp.any(draws[0] != draws[1]))
      ((10, 4, 3), True)

    """
    if isinstance(num_samples, bool) or not isinstance(num_samples, int) or num_samples < 1:
        raise ValueError(f"predict_samples: num_samples must be a positive int, got {num_samples!r}.")
    if not isinstance(model, nnx.Module):
        raise TypeError(f"predict_samples: model must be a Flax NNX Module, got {type(model).__name__}.")
    sample_keys = jax.random.split(as_key(seed, "predict_samples"), num_samples)
    inference = nnx.view(model, deterministic=True, use_running_average=True, raise_if_not_found=False)
    graph, stream_keys, rest = nnx.split(inference, nnx.RngKey, ...)
    return _passes(graph, stream_keys, rest, x, sample_keys)
