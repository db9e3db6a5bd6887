import jax
import jax.numpy as jnp
import numpy as np
import pytest
from scipy import special, stats

from probax.distributions import MixtureSameFamily as MixtureSameFamilyDistribution
from probax.layers.independent_heads import IndependentPoisson
from probax.layers.mixture_heads import (
    CategoricalMixtureOfOneHotCategorical,
    MixtureLogistic,
    MixtureNormal,
    MixtureSameFamily,
)
from probax.layers.multivariate_heads import MultivariateNormalTriL, OneHotCategorical

RNG = np.random.default_rng(1)


def softplus(x):
    return np.logaddexp(0.0, x)


def tfp_scale_tril_3(raw):
    """TFP's fill_triangular order for n = 3 ([1..6] -> [[4, 0, 0], [6, 5, 0], [3, 2, 1]]), softplus diag."""
    a = raw
    tril = np.array([[a[3], 0, 0], [a[5], a[4], 0], [a[2], a[1], a[0]]])
    tril[np.diag_indices(3)] = softplus(np.diag(tril)) + 1e-5
    return tril


def test_multivariate_normal_tril_matches_hand_computation():
    assert MultivariateNormalTriL.params_size(3) == 9
    params = RNG.normal(size=(4, 9))
    y = RNG.normal(size=(4, 3))
    d = MultivariateNormalTriL(3)(params)
    assert d.batch_shape == (4,) and d.event_shape == (3,)
    for i in range(4):
        tril = tfp_scale_tril_3(params[i, 3:])
        expected = stats.multivariate_normal.logpdf(y[i], params[i, :3], tril @ tril.T)
        np.testing.assert_allclose(d.log_prob(y[i])[i], expected, rtol=1e-10)


def test_one_hot_categorical_matches_hand_computation():
    params = RNG.normal(size=(2, 3, 4))
    labels = RNG.integers(0, 4, size=(2, 3))
    y = np.eye(4)[labels]
    d = OneHotCategorical(4)(params)
    assert OneHotCategorical.params_size(4) == 4
    assert d.batch_shape == (2, 3) and d.event_shape == (4,)
    expected = np.take_along_axis(special.log_softmax(params, -1), labels[..., None], -1)[..., 0]
    np.testing.assert_allclose(d.log_prob(y), expected, rtol=1e-12)
    assert d.sample(seed=0).dtype == jnp.float64


@pytest.mark.parametrize("event_shape", [(), [1], (2,)])
def test_mixture_normal_matches_hand_computation(event_shape):
    num_components, batch = 3, (5,)
    event = tuple(event_shape)
    size = int(np.prod(event))
    assert MixtureNormal.params_size(num_components, event_shape) == num_components * (1 + 2 * size)
    params = RNG.normal(size=(*batch, MixtureNormal.params_size(num_components, event_shape)))
    y = RNG.normal(size=(*batch, *event))
    d = MixtureNormal(num_components, event_shape)(params)
    assert isinstance(d, MixtureSameFamilyDistribution)
    assert d.batch_shape == batch and d.event_shape == event
    log_w = special.log_softmax(params[..., :num_components], -1)
    per_component = params[..., num_components:].reshape(*batch, num_components, 2 * size)
    loc = per_component[..., :size].reshape(*batch, num_components, *event)
    scale = softplus(per_component[..., size:]).reshape(*batch, num_components, *event)
    component_logp = stats.norm.logpdf(np.expand_dims(y, 1), loc, scale)
    component_logp = component_logp.reshape(*batch, num_components, -1).sum(-1)
    expected = special.logsumexp(log_w + component_logp, axis=-1)
    np.testing.assert_allclose(d.log_prob(y), expected, rtol=1e-12)


def test_mixture_logistic_matches_hand_computation():
    params = RNG.normal(size=(4, MixtureLogistic.params_size(2)))
    y = RNG.normal(size=4)
    d = MixtureLogistic(2)(params)
    log_w = special.log_softmax(params[:, :2], -1)
    comp = params[:, 2:].reshape(4, 2, 2)
    logp = stats.logistic.logpdf(y[:, None], comp[..., 0], softplus(comp[..., 1]))
    np.testing.assert_allclose(d.log_prob(y), special.logsumexp(log_w + logp, -1), rtol=1e-12)


def test_mixture_same_family_with_any_component_head():
    params = RNG.normal(size=(3, MixtureSameFamily.params_size(2, IndependentPoisson.params_size(2))))
    assert params.shape[-1] == 6
    y = RNG.integers(0, 4, size=(3, 2))
    d = MixtureSameFamily(2, IndependentPoisson(2))(params)
    log_w = special.log_softmax(params[:, :2], -1)
    rates = np.exp(params[:, 2:].reshape(3, 2, 2))
    logp = stats.poisson.logpmf(y[:, None, :], rates).sum(-1)
    np.testing.assert_allclose(d.log_prob(y), special.logsumexp(log_w + logp, -1), rtol=1e-10)
    with pytest.raises(ValueError, match="num_components"):
        MixtureSameFamily.new(jnp.zeros((3, 5)), 2, IndependentPoisson(2))


def test_categorical_mixture_of_one_hot_categorical():
    event_size, num_components = 3, 2
    assert CategoricalMixtureOfOneHotCategorical.params_size(event_size, num_components) == 8
    params = RNG.normal(size=(4, 8))
    labels = RNG.integers(0, 3, size=4)
    d = CategoricalMixtureOfOneHotCategorical(event_size, num_components)(params)
    assert d.batch_shape == (4,) and d.event_shape == (3,)
    w = special.softmax(params[:, :2], -1)
    probs = special.softmax(params[:, 2:].reshape(4, 2, 3), -1)
    expected_probs = np.einsum("bk,bkc->bc", w, probs)
    np.testing.assert_allclose(d.log_prob(np.eye(3)[labels]), np.log(expected_probs[np.arange(4), labels]),
                               rtol=1e-12)
    np.testing.assert_allclose(d.mean(), expected_probs, rtol=1e-12)


def test_validation_messages():
    with pytest.raises(ValueError, match="num_components must be a positive int"):
        MixtureNormal(0)
    with pytest.raises(ValueError, match="event_size must be a positive int"):
        MultivariateNormalTriL.params_size(0)
    with pytest.raises(ValueError, match=r"MixtureNormal: params must have last dimension 6"):
        MixtureNormal.new(jnp.zeros(5), 2)


def test_grad_through_mixture_head_is_finite_and_correct():
    params = jnp.asarray(RNG.normal(size=(6, MixtureNormal.params_size(3, [1]))))
    y = jnp.asarray(RNG.normal(size=(6, 1)))

    def loss(p):
        return -jnp.mean(MixtureNormal.new(p, 3, [1]).log_prob(y))

    grad = jax.jit(jax.grad(loss))(params)
    assert np.all(np.isfinite(grad))
    eps = 1e-6
    for index in [(0, 0), (2, 4), (5, 8)]:
        numeric = (loss(params.at[index].add(eps)) - loss(params.at[index].add(-eps))) / (2 * eps)
        np.testing.assert_allclose(grad[index], numeric, rtol=1e-5, atol=1e-9)

