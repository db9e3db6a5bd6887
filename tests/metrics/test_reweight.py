"""reweight_prior against the conjugate case: Normal predictive and Normal priors give a Normal."""

import jax
import jax.numpy as jnp
import numpy as np
import pytest
from scipy import stats

from probax.distributions import MixtureSameFamily, Normal
from probax.layers.independent_heads import IndependentNormal
from probax.metrics.reweight import reweight_prior

LOC, SCALE = np.array([0.0, 1.0, 2.0]), np.array([0.5, 1.0, 0.7])
TRAIN, TARGET = (0.0, 3.0), (1.0, 2.0)


def conjugate(loc, scale):
    """N(loc, scale) * N(target) / N(train), normalized: a Normal."""
    precision = scale**-2 + TARGET[1] ** -2 - TRAIN[1] ** -2
    mean = (loc * scale**-2 + TARGET[0] * TARGET[1] ** -2 - TRAIN[0] * TRAIN[1] ** -2) / precision
    return mean, precision**-0.5


def test_conjugate_moments_cdf_and_quantile_batched():
    posterior = reweight_prior(Normal(LOC, SCALE), Normal(*TRAIN), Normal(*TARGET), num_points=512)
    assert isinstance(posterior, MixtureSameFamily)
    assert posterior.batch_shape == (3,) and posterior.event_shape == ()
    mean, sd = conjugate(LOC, SCALE)
    np.testing.assert_allclose(posterior.mean(), mean, atol=1e-5)
    np.testing.assert_allclose(posterior.stddev(), sd, rtol=1e-4)
    x = mean + np.array([-1.0, 0.3, 1.5]) * sd
    np.testing.assert_allclose(posterior.cdf(x), stats.norm.cdf(x, mean, sd), atol=1e-5)
    np.testing.assert_allclose(posterior.quantile(0.8), stats.norm.ppf(0.8, mean, sd), atol=1e-4)
    # The density is constant on each cell: its log is off by at most a cell width times |d log p / dx|.
    width = (Normal(LOC, SCALE).quantile(1 - 1e-6) - Normal(LOC, SCALE).quantile(1e-6)) / 512
    slope = np.abs(x - mean) / sd**2 + width / sd**2
    error = np.abs(posterior.log_prob(x) - stats.norm.logpdf(x, mean, sd))
    np.testing.assert_array_less(error, width * slope)


def test_functions_as_priors_unit_event_and_samples():
    # log priors as plain functions (unnormalized is fine), predictive from the IndependentNormal(1) head.
    params = jnp.array([[1.0, np.log(np.expm1(1.0))]])  # loc 1, scale 1
    posterior = reweight_prior(IndependentNormal(1)(params), lambda m: jnp.zeros_like(m),
                               lambda m: -0.5 * jnp.square(m - 3.0), num_points=256)
    assert posterior.batch_shape == (1,)
    np.testing.assert_allclose(posterior.mean(), [2.0], atol=1e-4)  # N(1, 1) * N(3, 1) = N(2, 1/2)
    draws = posterior.sample(4000, seed=0)
    assert draws.shape == (4000, 1)
    np.testing.assert_allclose(np.mean(draws), 2.0, atol=4 * np.sqrt(0.5 / 4000))
    np.testing.assert_allclose(np.var(draws), 0.5, rtol=4 * np.sqrt(2 / 4000))


def test_jit_and_argument_checks():
    posterior = jax.jit(lambda m: reweight_prior(Normal(m, 1.0), Normal(0.0, 10.0), Normal(0.0, 10.0),
                                                 num_points=256))(jnp.array(0.5))
    np.testing.assert_allclose(posterior.stddev(), 1.0, rtol=1e-3)  # equal priors: the predictive itself
    with pytest.raises(ValueError, match="num_points must be an int >= 2"):
        reweight_prior(Normal(0.0, 1.0), Normal(0.0, 1.0), Normal(0.0, 1.0), num_points=1)
    with pytest.raises(ValueError, match="tail_probability"):
        reweight_prior(Normal(0.0, 1.0), Normal(0.0, 1.0), Normal(0.0, 1.0), tail_probability=0.7)
    with pytest.raises(TypeError, match="target_log_prior must be a Distribution or a function"):
        reweight_prior(Normal(0.0, 1.0), Normal(0.0, 1.0), 3.0)
