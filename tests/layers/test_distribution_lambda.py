import jax
import jax.numpy as jnp
import numpy as np
import optax
import pytest
from flax import nnx

from probax.distributions import Bernoulli, Distribution, Independent, Normal, kl_divergence
from probax.layers.distribution_lambda import DistributionLambda
from probax.layers.independent_heads import IndependentNormal
from probax.layers.tensor_coercible import convert_to_tensor, tensor_coercible


def test_head_output_is_its_family_and_needs_no_key_for_log_prob():
    d = IndependentNormal(2)(jnp.zeros((3, 4)))
    assert isinstance(d, Independent) and type(d).__name__ == "Independent"
    np.testing.assert_allclose(d.log_prob(jnp.zeros(2)), 2 * (-0.5 * np.log(2 * np.pi) - np.log(np.log(2.0))))
    prior = Independent(Normal(jnp.zeros(2), 1.0), 1)
    plain = IndependentNormal.new(jnp.zeros((3, 4)), 2)
    np.testing.assert_allclose(kl_divergence(d, prior), kl_divergence(plain, prior))
    with pytest.raises(ValueError, match=r"give the head rngs=nnx.Rngs"):
        jnp.asarray(d)


@pytest.mark.parametrize("fn", ["mean", Distribution.mean])
def test_statistic_conversions(fn):
    d = DistributionLambda(lambda t: Normal(t, 1.0), convert_to_tensor_fn=fn)(jnp.array([1.0, 2.0]))
    np.testing.assert_array_equal(jnp.asarray(d), [1.0, 2.0])
    mode = DistributionLambda(lambda t: Bernoulli(probs=t), Distribution.mode)(jnp.array([0.2, 0.9]))
    np.testing.assert_array_equal(convert_to_tensor(mode), [0, 1])


def test_sample_conversion_uses_seed_or_rngs():
    params = jnp.zeros((3, 2))
    head = IndependentNormal(1)
    a, b = convert_to_tensor(head(params, seed=7)), convert_to_tensor(head(params, seed=7))
    np.testing.assert_array_equal(a, b)
    np.testing.assert_array_equal(a, IndependentNormal.new(params, 1).sample(seed=jax.random.key(7)))
    stateful = IndependentNormal(1, rngs=nnx.Rngs(0))
    first, second = jnp.asarray(stateful(params)), jnp.asarray(stateful(params))
    assert first.shape == (3, 1) and not np.array_equal(first, second)
    # Converting one output twice gives the same draw (the key is fixed when the head is called).
    out = stateful(params)
    np.testing.assert_array_equal(jnp.asarray(out), convert_to_tensor(out))


def test_callable_conversion_with_and_without_seed():
    d = DistributionLambda(lambda t: Normal(t, 1.0), lambda dist, seed: dist.sample(4, seed=seed))(
        jnp.zeros(2), seed=0)
    assert jnp.asarray(d).shape == (4, 2)
    twice = DistributionLambda(lambda t: Normal(t, 1.0), lambda dist: 2 * dist.mean())(jnp.ones(2))
    np.testing.assert_array_equal(jnp.asarray(twice), [2.0, 2.0])


def test_bad_arguments():
    with pytest.raises(ValueError, match="convert_to_tensor_fn"):
        DistributionLambda(lambda t: Normal(t, 1.0), "median")
    with pytest.raises(TypeError, match="convert_to_tensor_fn"):
        DistributionLambda(lambda t: Normal(t, 1.0), 3)
    with pytest.raises(TypeError, match="make_distribution_fn must be callable"):
        DistributionLambda(Normal(0.0, 1.0))
    with pytest.raises(TypeError, match="rngs"):
        IndependentNormal(1, rngs=0)
    with pytest.raises(TypeError, match="must be a Distribution"):
        tensor_coercible(jnp.zeros(2))


def test_head_feeding_further_layers_trains_under_nnx_jit():
    """A stochastic head in the middle of nnx.Sequential: the next layer sees a draw (TFP's default)."""
    model = nnx.Sequential(
        nnx.Linear(3, IndependentNormal.params_size(2), rngs=nnx.Rngs(0)),
        IndependentNormal(2, rngs=nnx.Rngs(1)),
        nnx.Linear(2, IndependentNormal.params_size(1), rngs=nnx.Rngs(2)),
        IndependentNormal(1),
    )
    x, y = jnp.ones((8, 3)), jnp.zeros((8, 1))
    optimizer = nnx.Optimizer(model, optax.adam(1e-2), wrt=nnx.Param)

    @nnx.jit
    def step(model, optimizer):
        loss, grads = nnx.value_and_grad(lambda m: -jnp.mean(m(x).log_prob(y)))(model)
        optimizer.update(model, grads)
        return loss

    losses = [float(step(model, optimizer)) for _ in range(3)]
    assert all(np.isfinite(losses))
    assert len(set(losses)) == 3  # new draws and new weights each step


def test_output_returned_from_jit_keeps_family_and_rule():
    head = DistributionLambda(lambda t: Normal(t, 1.0), "mean")
    out = jax.jit(head)(jnp.array([3.0]))
    assert isinstance(out, Normal)
    np.testing.assert_array_equal(jnp.asarray(out), [3.0])
    # A draw made inside jit: the key does not leave the trace, a new one is given outside.
    sampled = jax.jit(lambda t: IndependentNormal(1)(t, seed=0))(jnp.zeros((2, 2)))
    assert convert_to_tensor(sampled, seed=1).shape == (2, 1)
    with pytest.raises(ValueError, match="rngs"):
        convert_to_tensor(sampled)
    np.testing.assert_array_equal(convert_to_tensor(jnp.ones(2)), [1.0, 1.0])
    assert convert_to_tensor(Normal(jnp.zeros(3), 1.0), seed=0).shape == (3,)
