"""predict_samples: stacked stochastic passes, reproducible by seed, leaving the model untouched."""

import jax
import jax.numpy as jnp
import numpy as np
import pytest
from flax import nnx

from probax.layers.dense_flipout import DenseFlipout
from probax.layers.independent_heads import IndependentNormal
from probax.layers.mc_dropout import MCDropout
from probax.layers.monte_carlo_predictions import predict_samples

X = jnp.linspace(-1.0, 1.0, 10).reshape(5, 2)


def _dropout_model(rate):
    return nnx.Sequential(nnx.Linear(2, 8, rngs=nnx.Rngs(0)), MCDropout(rate, rngs=nnx.Rngs(1)),
                          nnx.Linear(8, 1, rngs=nnx.Rngs(2)))


def test_draws_differ_with_dropout_and_are_reproducible():
    model = _dropout_model(0.5)
    draws = np.asarray(predict_samples(model, X, 20, seed=0))
    assert draws.shape == (20, 5, 1)
    assert len({draw.tobytes() for draw in draws}) == 20
    np.testing.assert_array_equal(draws, predict_samples(model, X, 20, seed=jax.random.key(0)))
    assert not np.array_equal(draws, predict_samples(model, X, 20, seed=1))


def test_rate_zero_gives_identical_draws_equal_to_a_plain_call():
    model = _dropout_model(0.0)
    draws = np.asarray(predict_samples(model, X, 4, seed=0))
    for draw in draws:
        np.testing.assert_allclose(draw, model(X), rtol=1e-6)


def _snapshot(model):
    leaves = jax.tree.leaves(nnx.state(model))
    return [np.asarray(jax.random.key_data(leaf) if jnp.issubdtype(leaf.dtype, jax.dtypes.prng_key) else leaf)
            for leaf in leaves]


def test_model_is_not_mutated():
    model = _dropout_model(0.5)
    before = _snapshot(model)
    predict_samples(model, X, 3, seed=0)
    after = _snapshot(model)
    assert len(before) == len(after) > 0
    assert all(np.array_equal(a, b) for a, b in zip(before, after, strict=True))
    model(X)  # a plain call does advance the streams (the snapshot can see it)
    assert not all(np.array_equal(a, b) for a, b in zip(before, _snapshot(model), strict=True))


def test_nnx_dropout_is_off_but_variational_layers_draw():
    model = nnx.Sequential(nnx.Linear(2, 8, rngs=nnx.Rngs(0)), nnx.Dropout(0.5, rngs=nnx.Rngs(1)))
    draws = np.asarray(predict_samples(model, X, 3, seed=0))
    np.testing.assert_allclose(draws[0], draws[2])
    np.testing.assert_allclose(draws[0], nnx.view(model, deterministic=True)(X), rtol=1e-6)


def test_distribution_outputs_are_stacked():
    model = nnx.Sequential(DenseFlipout(2, 2, rngs=nnx.Rngs(0)), IndependentNormal(1))
    dist = predict_samples(model, X, 6, seed=0)
    assert dist.batch_shape == (6, 5) and dist.event_shape == (1,)
    means = np.asarray(dist.mean())
    assert not np.allclose(means[0], means[1])
    assert dist.log_prob(jnp.zeros((5, 1))).shape == (6, 5)


def test_bad_arguments():
    with pytest.raises(ValueError, match="num_samples must be a positive int"):
        predict_samples(_dropout_model(0.5), X, 0, seed=0)
    with pytest.raises(ValueError, match="predict_samples needs randomness"):
        predict_samples(_dropout_model(0.5), X, 2, seed=None)
    with pytest.raises(TypeError, match="must be a Flax NNX Module"):
        predict_samples(lambda x: x, X, 2, seed=0)
