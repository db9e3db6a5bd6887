"""Pinned joint distributions: the unnormalized posteriors that MCMC and VI take."""

import jax
import jax.numpy as jnp
import numpy as np
import pytest
import scipy.stats

from probax import distributions as tfd
from probax.distributions.independent import Independent
from tests.distributions import joint_models


def regression_model(x):
    """y ~ Normal(slope * x, noise): three flavours of the same model."""
    x = jnp.asarray(x)

    def likelihood(slope, noise):
        # An outer product that also holds for batched slopes under strict rank promotion.
        return Independent(tfd.Normal(jnp.einsum("...,n->...n", slope, x), noise[..., None]), 1)

    def coroutine():
        slope = yield tfd.Root(tfd.Normal(0.0, 2.0, name="slope"))
        noise = yield tfd.Root(tfd.HalfNormal(1.0, name="noise"))
        yield likelihood(slope, noise).copy(name="y")

    return {
        "sequential": tfd.JointDistributionSequential(
            [tfd.Normal(0.0, 2.0), tfd.HalfNormal(1.0), lambda noise, slope: likelihood(slope, noise)]
        ),
        "named": tfd.JointDistributionNamed(
            dict(slope=tfd.Normal(0.0, 2.0), noise=tfd.HalfNormal(1.0), y=likelihood)
        ),
        "coroutine": tfd.JointDistributionCoroutine(coroutine),
    }


X = np.linspace(-1.0, 2.0, 5)
Y = 0.7 * X + np.array([0.1, -0.2, 0.05, 0.3, -0.1])


def oracle(slope, noise):
    return (scipy.stats.norm(0, 2).logpdf(slope) + scipy.stats.halfnorm(scale=1).logpdf(noise)
            + scipy.stats.norm(slope * X, noise).logpdf(Y).sum())


@pytest.mark.parametrize("flavour", ["sequential", "named", "coroutine"])
def test_unnormalized_log_prob_plugs_in_the_pins(flavour):
    model = regression_model(X)[flavour]
    last = model._part_names()[-1]
    posterior = model.experimental_pin(**{last: Y})
    assert posterior.unpinned_names == model._part_names()[:2]
    expected = oracle(0.5, 0.8)
    np.testing.assert_allclose(posterior.unnormalized_log_prob(0.5, 0.8), expected, rtol=1e-12)
    np.testing.assert_allclose(posterior.log_prob(posterior._pack_free([0.5, 0.8])), expected, rtol=1e-12)
    parts = posterior.unnormalized_log_prob_parts(0.5, 0.8)
    np.testing.assert_allclose(sum(jax.tree_util.tree_leaves(parts)), expected, rtol=1e-12)
    draws = posterior.sample_unpinned(3, seed=0)
    assert type(draws) is type(posterior._pack_free([0.5, 0.8]))
    assert [v.shape for v in jax.tree_util.tree_leaves(draws)] == [(3,), (3,)]
    assert posterior.unnormalized_log_prob(draws).shape == (3,)


def test_pinned_values_reach_dependent_parts_when_sampling():
    model = tfd.JointDistributionNamed(dict(mu=tfd.Normal(0.0, 1.0), y=lambda mu: tfd.Normal(mu, 0.01),
                                            z=lambda y: tfd.Normal(y, 0.01)))
    draws = model.experimental_pin(y=100.0).sample_unpinned(50, seed=0)
    assert np.all(np.abs(np.asarray(draws["z"]) - 100.0) < 0.1)
    assert np.all(np.abs(np.asarray(draws["mu"])) < 5.0)


def test_pinning_in_steps_and_structure():
    model = regression_model(X)["named"]
    once = model.experimental_pin(y=Y, noise=0.8)
    twice = model.experimental_pin(y=Y).experimental_pin(noise=0.8)
    np.testing.assert_allclose(once.unnormalized_log_prob(slope=0.5), twice.unnormalized_log_prob(slope=0.5))
    assert once.event_shape == {"slope": ()}
    assert once.batch_shape == {"slope": ()}
    assert once.pinned_names == ("noise", "y")
    assert model.condition(y=Y).unpinned_names == ("slope", "noise")


def test_pin_errors():
    model = regression_model(X)["named"]
    with pytest.raises(ValueError, match="pin at least one"):
        model.experimental_pin()
    with pytest.raises(ValueError, match="every part is pinned"):
        model.experimental_pin(slope=0.0, noise=1.0, y=Y)
    with pytest.raises(ValueError, match=r"unknown part names \['sigma'\]"):
        model.experimental_pin(sigma=1.0)
    with pytest.raises(ValueError, match=r"missing values for parts \['noise'\]"):
        model.experimental_pin(y=Y).unnormalized_log_prob(slope=0.1)
    with pytest.raises(TypeError, match="must be a JointDistribution"):
        tfd.JointDistributionPinned(tfd.Normal(0.0, 1.0), 1.0)


def test_pinned_under_jit_vmap_and_as_a_pytree():
    model = regression_model(X)["named"]

    @jax.jit
    def log_posterior(y, slope, noise):
        return model.experimental_pin(y=y).unnormalized_log_prob(slope=slope, noise=noise)

    np.testing.assert_allclose(log_posterior(Y, 0.5, 0.8), oracle(0.5, 0.8), rtol=1e-12)
    datasets = np.stack([Y, Y + 1.0])
    batched = jax.vmap(log_posterior, in_axes=(0, None, None))(datasets, 0.5, 0.8)
    np.testing.assert_allclose(batched[0], oracle(0.5, 0.8), rtol=1e-12)
    returned = jax.jit(lambda y: model.experimental_pin(y=y))(Y)
    assert isinstance(returned, tfd.JointDistributionPinned)
    np.testing.assert_allclose(returned.unnormalized_log_prob(slope=0.5, noise=0.8), oracle(0.5, 0.8),
                               rtol=1e-12)
    gradient = jax.grad(lambda v: returned.unnormalized_log_prob(v))({"slope": 0.5, "noise": 0.8})
    assert np.isfinite(gradient["slope"]) and np.isfinite(gradient["noise"])


def test_changepoint_posterior_via_pin():
    counts = joint_models.synthetic_counts(num_days=40)
    posterior = joint_models.changepoint_model(counts).experimental_pin(counts=counts)
    assert posterior.unpinned_names == ("lambda_1", "lambda_2", "tau")
    start = posterior.sample_unpinned(seed=0)
    assert np.isfinite(posterior.unnormalized_log_prob(start))
