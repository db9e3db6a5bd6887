"""Dense* and Conv2D* variational layers: KL terms, gradients, estimator agreement, shapes, fit."""

import jax
import jax.numpy as jnp
import numpy as np
import optax
import pytest
from flax import nnx

from probax.distributions import Independent, Normal, kl_divergence
from probax.layers.conv_flipout import Conv2DFlipout
from probax.layers.conv_reparameterization import Conv2DReparameterization
from probax.layers.dense_flipout import DenseFlipout
from probax.layers.dense_local_reparameterization import DenseLocalReparameterization
from probax.layers.dense_reparameterization import DenseReparameterization
from probax.layers.independent_heads import IndependentNormal
from probax.layers.monte_carlo_predictions import predict_samples
from probax.layers.regularization_loss import regularization_loss
from probax.layers.variational_defaults import default_mean_field_normal_fn, default_multivariate_normal_fn
from probax.layers.variational_layer import default_divergence_fn
from probax.training.fit import fit

DENSE = [DenseReparameterization, DenseFlipout, DenseLocalReparameterization]


def _softplus(u):
    return np.logaddexp(0.0, u)


def _analytic_kl(posterior_module):
    """KL[N(loc, eps + softplus(u)) || N(0, 1)] summed, from the module's raw parameters."""
    loc = np.asarray(posterior_module.loc[...], np.float64)
    scale = posterior_module.scale_floor + _softplus(np.asarray(posterior_module.untransformed_scale[...],
                                                                np.float64))
    return np.sum(0.5 * (loc**2 + scale**2 - 1.0) - np.log(scale))


@pytest.mark.parametrize("layer_class", DENSE)
def test_dense_records_weighted_analytic_kl(layer_class):
    layer = layer_class(3, 2, kl_weight=0.25, dtype=jnp.float64, rngs=nnx.Rngs(0))
    out = layer(jnp.ones((5, 3)))
    assert out.shape == (5, 2) and out.dtype == jnp.float64
    expected = 0.25 * _analytic_kl(layer.kernel_posterior)
    assert expected > 1  # TFP's initial scales (~0.05) are far from the unit prior
    np.testing.assert_allclose(layer.regularization_term.get_value(), expected, rtol=1e-12)
    np.testing.assert_allclose(regularization_loss(layer), expected, rtol=1e-12)


def test_tfp_style_divergence_fn_equals_kl_weight():
    num_examples = 40
    by_weight = DenseReparameterization(3, 2, kl_weight=1 / num_examples, rngs=nnx.Rngs(0))
    by_fn = DenseReparameterization(3, 2, rngs=nnx.Rngs(0), kernel_divergence_fn=lambda q, p, _: (
        kl_divergence(q, p) / num_examples))
    x = jnp.ones((2, 3))
    np.testing.assert_allclose(by_weight(x), by_fn(x))
    np.testing.assert_allclose(by_weight.regularization_term.get_value(),
                               by_fn.regularization_term.get_value())


def test_bias_prior_adds_a_monte_carlo_term_for_a_point_mass_posterior():
    layer = DenseReparameterization(3, 2, bias_prior_fn=default_multivariate_normal_fn, dtype=jnp.float64,
                                    rngs=nnx.Rngs(0))
    layer(jnp.ones((1, 3)))
    bias = np.asarray(layer.bias_posterior.loc[...])
    # No analytic KL[Deterministic || Normal]: log q(b) - log p(b) = 0 - log N(b; 0, 1).
    bias_term = np.sum(0.5 * bias**2 + 0.5 * np.log(2 * np.pi))
    np.testing.assert_allclose(layer.regularization_term.get_value(),
                               _analytic_kl(layer.kernel_posterior) + bias_term, rtol=1e-12)


@pytest.mark.parametrize("layer_class", DENSE)
def test_gradients_reach_loc_scale_and_bias(layer_class):
    layer = layer_class(3, 2, kl_weight=0.1, rngs=nnx.Rngs(0))
    x = jnp.linspace(-1.0, 1.0, 12).reshape(4, 3)

    def loss(model):
        return jnp.sum(jnp.square(model(x))) + regularization_loss(model)

    grads = nnx.grad(loss)(layer)
    posterior = grads.kernel_posterior
    for leaf in (posterior.loc, posterior.untransformed_scale, grads.bias_posterior.loc):
        value = np.asarray(leaf[...])
        assert np.all(np.isfinite(value)) and np.any(value != 0)


def test_layers_agree_in_expectation():
    """Same posterior (same init seed): output means and variances agree across the three estimators."""
    x = jnp.asarray(np.random.default_rng(0).normal(size=(3, 4)))
    num_draws = 3000
    stats = {}
    unit_scales = default_mean_field_normal_fn(untransformed_scale_initializer=jax.nn.initializers.ones)
    for layer_class in DENSE:
        layer = layer_class(4, 2, dtype=jnp.float64, rngs=nnx.Rngs(0), kernel_posterior_fn=unit_scales)
        draws = np.asarray(predict_samples(layer, x, num_draws, seed=1))
        stats[layer_class.__name__] = draws.mean(0), draws.var(0)
    q = layer.kernel_posterior()
    loc, scale = np.asarray(q.distribution.loc), np.asarray(q.distribution.scale)
    mean = np.asarray(x) @ loc + np.asarray(layer.bias_posterior.loc[...])
    var = np.asarray(x) ** 2 @ scale**2
    for name, (sample_mean, sample_var) in stats.items():
        assert np.max(np.abs(sample_mean - mean) / np.sqrt(var / num_draws)) < 5, name
        assert np.max(np.abs(sample_var - var) / (var * np.sqrt(2 / num_draws))) < 6, name


def test_draws_change_between_calls_under_jit():
    layer = DenseFlipout(3, 2, rngs=nnx.Rngs(0))
    call = nnx.jit(lambda model, x: model(x))
    x = jnp.ones((4, 3))
    first, second = call(layer, x), call(layer, x)
    assert first.shape == (4, 2) and not np.allclose(first, second)
    assert np.isfinite(float(layer.regularization_term.get_value()))


def test_mean_kernel_makes_reparameterization_deterministic():
    layer = DenseReparameterization(3, 2, kernel_posterior_tensor_fn="mean", rngs=nnx.Rngs(0))
    x = jnp.ones((4, 3))
    expected = x @ layer.kernel_posterior.loc[...] + layer.bias_posterior.loc[...][None, :]
    np.testing.assert_allclose(layer(x), expected, rtol=1e-6)
    np.testing.assert_allclose(layer(x), expected, rtol=1e-6)


def test_conv_shapes_and_padding():
    x = jnp.ones((2, 2, 7, 7, 3))  # two leading batch dimensions
    assert Conv2DReparameterization(3, 4, 3, rngs=nnx.Rngs(0))(x).shape == (2, 2, 5, 5, 4)
    same = Conv2DFlipout(3, 4, (3, 1), strides=(2, 1), padding="same", rngs=nnx.Rngs(0))
    assert same(x).shape == (2, 2, 4, 7, 4)
    assert same(x[0, 0]).shape == (4, 7, 4)  # one unbatched image


@pytest.mark.parametrize(("conv_class", "dense_class"), [(Conv2DReparameterization, DenseReparameterization),
                                                         (Conv2DFlipout, DenseFlipout)])
def test_one_by_one_conv_equals_dense(conv_class, dense_class):
    conv = conv_class(3, 2, 1, dtype=jnp.float64, rngs=nnx.Rngs(0))
    dense = dense_class(3, 2, dtype=jnp.float64, rngs=nnx.Rngs(0))
    for name in ("loc", "untransformed_scale"):
        value = getattr(dense.kernel_posterior, name)[...]
        getattr(conv.kernel_posterior, name)[...] = value.reshape(1, 1, 3, 2)
    x = jnp.asarray(np.random.default_rng(1).normal(size=(4, 1, 1, 3)))
    # Same keys, same kernel draw (or Flipout signs per example): the same numbers.
    np.testing.assert_allclose(conv(x)[:, 0, 0, :], dense(x[:, 0, 0, :]), rtol=1e-12)
    np.testing.assert_allclose(conv.regularization_term.get_value(), dense.regularization_term.get_value(),
                               rtol=1e-12)


def test_fit_loss_is_negative_elbo_over_n_and_decreases():
    num_examples = 32
    x = jnp.linspace(-1.0, 1.0, num_examples)[:, None]
    y = 2 * x + 0.1 * jax.random.normal(jax.random.key(1), x.shape)
    model = nnx.Sequential(DenseFlipout(1, 4, jax.nn.tanh, kl_weight=1 / num_examples, rngs=nnx.Rngs(0)),
                           DenseReparameterization(4, 2, kl_weight=1 / num_examples, rngs=nnx.Rngs(1)),
                           IndependentNormal(1))

    def negative_elbo(copy):
        nll = -jnp.sum(copy(x).log_prob(y))
        kl = sum(_analytic_kl(layer.kernel_posterior) for layer in copy.layers[:2])
        return float(nll) + kl

    expected = negative_elbo(nnx.clone(model)) / num_examples
    history = fit(model, x, y, optimizer=optax.adam(0.05), epochs=60, batch_size=num_examples, shuffle=False,
                  verbose=0)
    losses = history.history["loss"]
    np.testing.assert_allclose(losses[0], expected, rtol=1e-5)
    assert np.mean(losses[-10:]) < losses[0] - 1.0


def test_default_divergence_needs_a_draw_without_analytic_kl():
    from probax.distributions import Deterministic

    q = Independent(Deterministic(jnp.zeros(2)), 1)
    p = Independent(Normal(jnp.zeros(2), 1.0), 1)
    np.testing.assert_allclose(default_divergence_fn(q, p, jnp.zeros(2)), np.log(2 * np.pi))
    with pytest.raises(NotImplementedError, match="pass a divergence_fn"):
        default_divergence_fn(q, p, None)


def test_bad_arguments():
    with pytest.raises(ValueError, match="last dimension 3"):
        DenseFlipout(3, 2, rngs=nnx.Rngs(0))(jnp.ones((4, 2)))
    with pytest.raises(ValueError, match="units must be a positive int"):
        DenseReparameterization(3, 0, rngs=nnx.Rngs(0))
    with pytest.raises(TypeError, match=r"rngs must be an nnx\.Rngs"):
        DenseReparameterization(3, 2, rngs=0)
    with pytest.raises(ValueError, match="padding must be 'SAME' or 'VALID'"):
        Conv2DFlipout(3, 2, 3, padding="full", rngs=nnx.Rngs(0))
    with pytest.raises(ValueError, match="kernel_size must be an int or a pair"):
        Conv2DFlipout(3, 2, (3, 3, 3), rngs=nnx.Rngs(0))
    with pytest.raises(ValueError, match=r"\[\.\.\., height, width, channels\]"):
        Conv2DFlipout(3, 2, 1, rngs=nnx.Rngs(0))(jnp.ones((4, 3)))
    with pytest.raises(TypeError, match="DenseFlipout needs a kernel posterior of the form"):
        DenseFlipout(3, 2, rngs=nnx.Rngs(0),
                     kernel_posterior_fn=default_mean_field_normal_fn(is_singular=True))(jnp.ones((1, 3)))
