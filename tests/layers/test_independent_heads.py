import jax
import jax.numpy as jnp
import numpy as np
import pytest
from scipy import special, stats

from probax.distributions import Independent
from probax.layers.independent_heads import (
    IndependentBernoulli,
    IndependentLogistic,
    IndependentNormal,
    IndependentPoisson,
)
from probax.layers.scale_transforms import FlooredSoftplus

RNG = np.random.default_rng(0)
BATCH = (2, 3)


def softplus(x):
    return np.logaddexp(0.0, x)


@pytest.mark.parametrize(
    ("head", "scipy_dist", "event_shape"),
    [(IndependentNormal, stats.norm, ()), (IndependentNormal, stats.norm, 1),
     (IndependentNormal, stats.norm, (2, 2)), (IndependentLogistic, stats.logistic, (2, 2))],
)
def test_loc_scale_heads_match_hand_computation(head, scipy_dist, event_shape):
    shape = (event_shape,) if isinstance(event_shape, int) else event_shape
    size = int(np.prod(shape))
    assert head.params_size(event_shape) == 2 * size
    params = RNG.normal(size=(*BATCH, 2 * size))
    y = RNG.normal(size=(*BATCH, *shape))
    d = head(event_shape)(params)
    assert isinstance(d, Independent)
    assert d.batch_shape == BATCH and d.event_shape == shape
    loc = params[..., :size].reshape(*BATCH, *shape)
    scale = softplus(params[..., size:]).reshape(*BATCH, *shape)
    expected = scipy_dist.logpdf(y, loc, scale).reshape(*BATCH, -1).sum(-1)
    np.testing.assert_allclose(d.log_prob(y), expected, rtol=1e-12)
    np.testing.assert_allclose(head.new(params, event_shape).log_prob(y), expected, rtol=1e-12)


def test_independent_bernoulli_matches_hand_computation():
    params = RNG.normal(size=(*BATCH, 6))
    y = RNG.integers(0, 2, size=(*BATCH, 2, 3))
    d = IndependentBernoulli([2, 3])(params)
    assert IndependentBernoulli.params_size([2, 3]) == 6
    assert d.batch_shape == BATCH and d.event_shape == (2, 3)
    p = special.expit(params.reshape(*BATCH, 2, 3))
    expected = stats.bernoulli.logpmf(y, p).sum((-2, -1))
    np.testing.assert_allclose(d.log_prob(y), expected, rtol=1e-10)
    assert d.sample(seed=0).dtype == jnp.float64  # TFP: draws take the params' dtype by default
    assert IndependentBernoulli(2, sample_dtype=jnp.int32)(params[..., :2]).sample(seed=0).dtype == jnp.int32


def test_independent_poisson_matches_hand_computation():
    params = RNG.normal(size=(*BATCH, 3))
    y = RNG.integers(0, 5, size=(*BATCH, 3))
    d = IndependentPoisson(3)(params)
    assert IndependentPoisson.params_size(3) == 3
    np.testing.assert_allclose(d.log_prob(y), stats.poisson.logpmf(y, np.exp(params)).sum(-1), rtol=1e-10)


def test_float32_params_stay_float32():
    params = jnp.asarray(RNG.normal(size=(4, 2)), jnp.float32)
    d = IndependentNormal(1)(params)
    assert d.log_prob(jnp.zeros((4, 1), jnp.float32)).dtype == jnp.float32
    expected = stats.norm.logpdf(0.0, np.asarray(params[:, :1], np.float64),
                                 softplus(np.asarray(params[:, 1:], np.float64))).sum(-1)
    np.testing.assert_allclose(d.log_prob(jnp.zeros((4, 1), jnp.float32)), expected, rtol=1e-5)


def test_scale_transform_override():
    params = jnp.array([[0.0, -1e4]])
    default = IndependentNormal(1)(params).stddev()
    floored = IndependentNormal(1, scale_transform=FlooredSoftplus(1e-3, 0.05))(params).stddev()
    assert float(default[0, 0]) == 0.0  # softplus underflows: TFP's default has no floor
    np.testing.assert_allclose(floored, [[1e-3]], rtol=1e-6)
    np.testing.assert_allclose(FlooredSoftplus(1e-5, 0.05)(2.0), 1e-5 + softplus(0.1), rtol=1e-12)


def test_wrong_params_size_raises():
    with pytest.raises(ValueError, match=r"IndependentNormal: params must have last dimension 4"):
        IndependentNormal(2)(jnp.zeros((3, 5)))
    with pytest.raises(ValueError, match="last dimension 3"):
        IndependentPoisson.new(jnp.zeros(2), 3)
    with pytest.raises(TypeError, match="event_shape"):
        IndependentNormal("a b")
    with pytest.raises(ValueError, match="non-negative"):
        IndependentNormal.params_size(-1)


def test_jit_and_grad_through_head():
    params = jnp.asarray(RNG.normal(size=(5, 4)))
    y = jnp.asarray(RNG.normal(size=(5, 2)))

    def loss(p):
        return -jnp.mean(IndependentNormal.new(p, 2).log_prob(y))

    value, grad = jax.jit(jax.value_and_grad(loss))(params)
    np.testing.assert_allclose(value, loss(params), rtol=1e-12)
    eps = 1e-6
    bumped = params.at[1, 3].add(eps)
    np.testing.assert_allclose(grad[1, 3], (loss(bumped) - loss(params)) / eps, rtol=1e-4)
    assert np.all(np.isfinite(grad))
    out = jax.jit(IndependentNormal(2))(params)
    np.testing.assert_allclose(out.log_prob(y), IndependentNormal.new(params, 2).log_prob(y))
