"""Default posteriors and priors of the variational layers: TFP's initialization, shapes, dtypes."""

import jax
import jax.numpy as jnp
import numpy as np
import pytest
from flax import nnx
from scipy import stats

from probax.distributions import Deterministic, Normal
from probax.layers.variational_defaults import (
    MeanFieldNormal,
    NormalPrior,
    default_mean_field_normal_fn,
    default_multivariate_normal_fn,
    normal_initializer,
    posterior_mean_field,
    prior_trainable,
)


@pytest.mark.parametrize("dtype", [jnp.float32, jnp.float64])
def test_mean_field_normal_follows_tfp_initialization(dtype):
    module = default_mean_field_normal_fn()(dtype, (40, 50), nnx.Rngs(0))
    loc = np.asarray(module.loc[...], np.float64)
    raw = np.asarray(module.untransformed_scale[...], np.float64)
    assert module.loc[...].dtype == dtype and loc.shape == (40, 50)
    # loc ~ N(0, 0.1), u ~ N(-3, 0.1): 2000 draws each.
    assert stats.kstest(loc.ravel() / 0.1, "norm").pvalue > 1e-3
    assert stats.kstest((raw.ravel() + 3.0) / 0.1, "norm").pvalue > 1e-3
    q = module()
    assert isinstance(q.distribution, Normal) and q.event_shape == (40, 50) and q.batch_shape == ()
    expected_scale = np.finfo(dtype).eps + np.logaddexp(0.0, raw)
    np.testing.assert_allclose(q.distribution.scale, expected_scale, rtol=1e-6)


def test_singular_posterior_is_a_point_mass():
    q = default_mean_field_normal_fn(is_singular=True)(jnp.float64, (3,), nnx.Rngs(0))()
    assert isinstance(q.distribution, Deterministic) and q.event_shape == (3,)
    np.testing.assert_array_equal(q.sample(seed=0), q.distribution.loc)


def test_standard_normal_prior_log_prob():
    p = default_multivariate_normal_fn(jnp.float64, (2, 3))()
    x = np.linspace(-1.0, 1.0, 6).reshape(2, 3)
    np.testing.assert_allclose(p.log_prob(x), stats.norm.logpdf(x).sum(), rtol=1e-12)
    assert nnx.state(default_multivariate_normal_fn(jnp.float64, (2, 3)), nnx.Param) == nnx.State({})


def test_tutorial_builders():
    q = posterior_mean_field(6, 2, jnp.float64)()
    np.testing.assert_array_equal(q.distribution.loc, np.zeros(8))
    np.testing.assert_allclose(q.distribution.scale, np.full(8, 1.0 + 1e-5), rtol=1e-12)
    prior = prior_trainable(6, 2)
    assert isinstance(prior.loc, nnx.Param) and prior.loc[...].shape == (8,)
    np.testing.assert_allclose(prior().stddev(), np.ones(8))
    fixed = NormalPrior(3, loc=1.0, scale=2.0)
    np.testing.assert_allclose(fixed().mean(), np.ones(3))
    np.testing.assert_allclose(fixed().stddev(), np.full(3, 2.0))


def test_gradient_reaches_both_parameters():
    module = MeanFieldNormal(3, jnp.float64, rngs=nnx.Rngs(0))
    grads = nnx.grad(lambda m: jnp.sum(m().sample(seed=1)) + jnp.sum(m().stddev()))(module)
    assert np.all(np.asarray(grads.loc[...]) == 1.0)
    assert np.all(np.asarray(grads.untransformed_scale[...]) != 0.0)


def test_bad_arguments():
    with pytest.raises(ValueError, match=r"pass rngs=nnx\.Rngs"):
        MeanFieldNormal(3)
    with pytest.raises(ValueError, match="scale must be positive"):
        NormalPrior(3, scale=0.0)
    with pytest.raises(TypeError, match="shape must be an int or a sequence"):
        NormalPrior("abc")
    with pytest.raises(ValueError, match="bias_size must be a non-negative int"):
        posterior_mean_field(3, -1)
    assert normal_initializer(1.0, 0.0)(jax.random.key(0), (2,), jnp.float32).tolist() == [1.0, 1.0]
