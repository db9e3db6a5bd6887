"""DenseVariational (TFP's v2 layer): KL exact and one-draw estimate, gradients, fit."""

import jax
import jax.numpy as jnp
import numpy as np
import optax
import pytest
from flax import nnx

from probax.layers.dense_variational import DenseVariational
from probax.layers.independent_heads import IndependentNormal
from probax.layers.variational_defaults import MeanFieldNormal, posterior_mean_field, prior_trainable
from probax.training.fit import fit


def _layer(kl_use_exact, kl_weight=0.5, **options):
    layer = DenseVariational(2, 3, posterior_mean_field, prior_trainable, kl_weight=kl_weight,
                             kl_use_exact=kl_use_exact, dtype=jnp.float64, rngs=nnx.Rngs(0), **options)
    # Move the parameters away from their symmetric starting point.
    values = np.random.default_rng(0).normal(size=(3, 9))
    layer.posterior.loc[...] = values[0]
    layer.posterior.untransformed_scale[...] = values[1]
    layer.prior.loc[...] = values[2]
    return layer


def _posterior_and_prior(layer):
    loc = np.asarray(layer.posterior.loc[...])
    scale = 1e-5 + np.logaddexp(0.0, np.asarray(layer.posterior.untransformed_scale[...]))
    return loc, scale, np.asarray(layer.prior.loc[...])


def test_exact_kl_matches_closed_form():
    layer = _layer(kl_use_exact=True)
    layer(jnp.ones((4, 2)))
    loc, scale, prior_loc = _posterior_and_prior(layer)
    kl = np.sum(0.5 * ((loc - prior_loc) ** 2 + scale**2 - 1.0) - np.log(scale))
    np.testing.assert_allclose(layer.regularization_term.get_value(), 0.5 * kl, rtol=1e-12)


def test_monte_carlo_kl_uses_the_draw_that_makes_the_output():
    layer = _layer(kl_use_exact=False, kl_weight=None, activation=jax.nn.relu)
    x = jnp.asarray([[1.0, -2.0], [0.5, 3.0]])
    key = nnx.clone(layer).rngs()  # the key the next call draws its weights with
    out = layer(x)
    loc, scale, prior_loc = _posterior_and_prior(layer)
    w = np.asarray(layer.posterior().sample(seed=key))
    log_q = np.sum(-0.5 * ((w - loc) / scale) ** 2 - np.log(scale))
    log_p = np.sum(-0.5 * (w - prior_loc) ** 2)
    np.testing.assert_allclose(layer.regularization_term.get_value(), log_q - log_p, rtol=1e-10)
    expected = np.maximum(np.asarray(x) @ w[:6].reshape(2, 3) + w[6:][None, :], 0.0)
    np.testing.assert_allclose(out, expected, rtol=1e-12)


def test_no_bias():
    layer = DenseVariational(2, 3, posterior_mean_field, prior_trainable, use_bias=False, rngs=nnx.Rngs(0))
    assert layer(jnp.ones((4, 2))).shape == (4, 3) and layer.posterior.loc[...].shape == (6,)


def test_gradients_reach_posterior_and_prior():
    layer = _layer(kl_use_exact=False)
    x = jnp.ones((4, 2))
    grads = nnx.grad(lambda m: jnp.sum(m(x)) + m.regularization_term.get_value())(layer)
    for leaf in (grads.posterior.loc, grads.posterior.untransformed_scale, grads.prior.loc):
        value = np.asarray(leaf[...])
        assert np.all(np.isfinite(value)) and np.any(value != 0)


def test_fit_loss_is_negative_elbo_over_n_and_decreases():
    num_examples = 32
    x = jnp.linspace(-1.0, 1.0, num_examples)[:, None]
    y = 2 * x + 0.1 * jax.random.normal(jax.random.key(1), x.shape)
    model = nnx.Sequential(
        DenseVariational(1, 2, posterior_mean_field, prior_trainable, kl_weight=1 / num_examples,
                         kl_use_exact=True, rngs=nnx.Rngs(0)),
        IndependentNormal(1))
    copy = nnx.clone(model)
    nll = -float(jnp.sum(copy(x).log_prob(y)))
    loc, scale, prior_loc = _posterior_and_prior(copy.layers[0])
    kl = np.sum(0.5 * ((loc - prior_loc) ** 2 + scale**2 - 1.0) - np.log(scale))
    history = fit(model, x, y, optimizer=optax.adam(0.05), epochs=100, batch_size=num_examples, shuffle=False,
                  verbose=0)
    losses = history.history["loss"]
    np.testing.assert_allclose(losses[0], (nll + kl) / num_examples, rtol=1e-5)
    assert np.mean(losses[-10:]) < losses[0] - 1.0


def test_bad_arguments():
    with pytest.raises(ValueError, match="last dimension 2"):
        _layer(True)(jnp.ones((4, 3)))
    with pytest.raises(TypeError, match="make_prior_fn must be callable"):
        DenseVariational(2, 3, posterior_mean_field, None, rngs=nnx.Rngs(0))

    def wrong_size(kernel_size, bias_size, dtype, rngs):
        return MeanFieldNormal(kernel_size, dtype, rngs=rngs)

    with pytest.raises(ValueError, match="vectors of size 9"):
        DenseVariational(2, 3, wrong_size, prior_trainable, rngs=nnx.Rngs(0))(jnp.ones((1, 2)))
