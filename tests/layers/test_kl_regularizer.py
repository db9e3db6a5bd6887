import jax
import jax.numpy as jnp
import numpy as np
import pytest
from flax import nnx

from probax.distributions import Independent, Normal
from probax.layers.independent_heads import IndependentNormal
from probax.layers.kl_regularizer import KLDivergenceAddLoss, KLDivergenceRegularizer, kl_divergence_loss
from probax.layers.regularization_loss import (
    RegularizationLoss,
    record_regularization_loss,
    regularization_loss,
)

PRIOR = Independent(Normal(jnp.zeros(2), 1.0), 1)
PARAMS = jnp.array([[0.5, -1.0, 0.3, -0.2], [1.5, 0.0, -0.7, 0.4], [0.0, 2.0, 1.0, 0.0]])


def exact_kl(params):
    params = np.asarray(params)
    loc, scale = params[:, :2], np.logaddexp(0.0, params[:, 2:])
    return np.sum(0.5 * (loc**2 + scale**2 - 1) - np.log(scale), axis=-1)


def test_exact_kl_loss_matches_closed_form_and_weight():
    q = IndependentNormal.new(PARAMS, 2)
    exact = exact_kl(PARAMS).sum()
    np.testing.assert_allclose(kl_divergence_loss(q, PRIOR, use_exact_kl=True), exact, rtol=1e-12)
    np.testing.assert_allclose(kl_divergence_loss(q, lambda: PRIOR, use_exact_kl=True, weight=0.25),
                               0.25 * exact_kl(PARAMS).sum(), rtol=1e-12)


def test_monte_carlo_kl_is_unbiased():
    q = IndependentNormal.new(PARAMS, 2)
    draws = 20_000
    estimate = kl_divergence_loss(q, PRIOR, test_points_fn=lambda d: d.sample(draws, seed=3),
                                  test_points_reduce_axis=0)
    exact = exact_kl(PARAMS).sum()
    z = q.sample(draws, seed=3)
    spread = np.std(np.sum(np.asarray(q.log_prob(z) - PRIOR.log_prob(z)), axis=1))
    assert abs(float(estimate) - exact) < 4 * spread / np.sqrt(draws)


def test_default_test_points_are_the_heads_draw():
    q = IndependentNormal(2)(PARAMS, seed=5)
    z = IndependentNormal.new(PARAMS, 2).sample(seed=jax.random.key(5))
    expected = np.sum(np.asarray(q.log_prob(z) - PRIOR.log_prob(z)))
    np.testing.assert_allclose(kl_divergence_loss(q, PRIOR, test_points_reduce_axis=None) * z.shape[0],
                               expected, rtol=1e-10)
    np.testing.assert_allclose(kl_divergence_loss(q, PRIOR), expected, rtol=1e-10)


def test_kl_add_loss_layer_records_term_and_gradients_flow():
    encoder = nnx.Sequential(nnx.Linear(3, 4, rngs=nnx.Rngs(0)), IndependentNormal(2, rngs=nnx.Rngs(1)),
                             KLDivergenceAddLoss(PRIOR, use_exact_kl=True, weight=0.5))
    x = jnp.asarray(np.random.default_rng(0).normal(size=(5, 3)))

    def loss(model):
        model(x)
        return regularization_loss(model)

    value, grads = nnx.jit(nnx.value_and_grad(loss))(encoder)
    params = encoder.layers[0](x)
    np.testing.assert_allclose(value, 0.5 * exact_kl(params).sum(), rtol=1e-10)
    kernel_grad = grads["layers"][0]["kernel"][...]
    assert np.all(np.isfinite(kernel_grad)) and np.any(kernel_grad != 0)

    def functional(kernel):
        p = x @ kernel + encoder.layers[0].bias[...][None]
        return 0.5 * kl_divergence_loss(IndependentNormal.new(p, 2), PRIOR, use_exact_kl=True)

    np.testing.assert_allclose(kernel_grad, jax.grad(functional)(encoder.layers[0].kernel[...]), rtol=1e-10)


def test_activity_regularizer_on_head_and_monte_carlo_default():
    head = IndependentNormal(2, rngs=nnx.Rngs(0), activity_regularizer=KLDivergenceRegularizer(PRIOR))
    q = head(PARAMS)
    z = jnp.asarray(q)  # the same draw the regularizer used
    expected = np.sum(np.asarray(q.log_prob(z) - PRIOR.log_prob(z)))
    np.testing.assert_allclose(regularization_loss(head), expected, rtol=1e-12)


def test_regularization_loss_helpers():
    assert float(regularization_loss(nnx.Linear(1, 1, rngs=nnx.Rngs(0)))) == 0.0
    variable = RegularizationLoss(jnp.zeros((), jnp.float32))
    record_regularization_loss(variable, jnp.float64(2.5))
    assert variable.get_value().dtype == jnp.float32 and float(variable.get_value()) == 2.5
    with pytest.raises(ValueError, match="scalar"):
        record_regularization_loss(variable, jnp.ones(2))
    with pytest.raises(TypeError, match="distribution_b must be a Distribution"):
        kl_divergence_loss(PRIOR, 3.0)
