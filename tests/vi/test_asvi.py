import jax
import jax.numpy as jnp
import numpy as np
import optax
import pytest

from probax.distributions import (
    Beta,
    Gamma,
    Independent,
    JointDistributionCoroutine,
    JointDistributionNamed,
    JointDistributionSequential,
    Normal,
    Uniform,
)
from probax.vi.asvi import build_asvi_surrogate_posterior
from probax.vi.fit import fit_surrogate_posterior
from probax.vi.surrogate_builders import build_factored_surrogate_posterior
from probax.vi.variational_loss import GradientEstimators, monte_carlo_variational_loss

DR = GradientEstimators.DOUBLY_REPARAMETERIZED


def _fit(posterior, surrogate, num_steps=600):
    q, _ = fit_surrogate_posterior(
        posterior.unnormalized_log_prob, surrogate, optax.adam(optax.cosine_decay_schedule(0.05, num_steps)),
        num_steps=num_steps, sample_size=8, gradient_estimator=DR, seed=0, verbose=False,
    )
    return q


def test_conjugate_normal_recovers_the_exact_posterior():
    y = jnp.array([1.2, 0.4, 2.0, 1.1, 0.7])
    model = JointDistributionNamed(dict(
        mu=Normal(0.0, 2.0), y=lambda mu: Independent(Normal(mu[..., None], jnp.ones(5)), 1)))
    posterior = model.experimental_pin(y=y)
    precision = 1 / 4 + 5
    q = _fit(posterior, build_asvi_surrogate_posterior(posterior, seed=0))
    draws = np.asarray(q.sample(200_000, seed=1)["mu"])
    np.testing.assert_allclose(draws.mean(), float(jnp.sum(y)) / precision, atol=0.01)
    np.testing.assert_allclose(draws.var(), 1 / precision, rtol=0.03)


def test_hierarchical_normal_beats_mean_field_and_reaches_the_evidence():
    # mu ~ N(0, 1), z_i | mu ~ N(mu, 1), y_i | z_i ~ N(z_i, 0.5): z's posterior given mu is
    # N(0.2 mu + b, 0.447), which ASVI's convex combination can represent exactly.
    y = jnp.array([1.5, 2.2, 0.9])
    model = JointDistributionNamed(dict(
        mu=Normal(0.0, 1.0),
        z=lambda mu: Independent(Normal(mu[..., None], jnp.ones(3)), 1),
        y=lambda z: Independent(Normal(z, 0.5), 1),
    ))
    posterior = model.experimental_pin(y=y)
    covariance = jnp.ones((3, 3)) + (1 + 0.25) * jnp.eye(3)
    log_evidence = float(jax.scipy.stats.multivariate_normal.logpdf(y, jnp.zeros(3), covariance))

    def elbo(q):
        return -float(monte_carlo_variational_loss(posterior.unnormalized_log_prob, q, sample_size=50_000,
                                                   seed=2))

    asvi = elbo(_fit(posterior, build_asvi_surrogate_posterior(posterior, seed=0), 800))
    mean_field = elbo(_fit(posterior, build_factored_surrogate_posterior(posterior), 800))
    assert asvi > mean_field + 0.05, (asvi, mean_field)
    assert abs(asvi - log_evidence) < 0.02, (asvi, log_evidence)
    assert mean_field < log_evidence


def _mixed_model():
    """A Beta node (structured), a Uniform with a parent-dependent support (fallback), an observed Normal."""
    return JointDistributionSequential([
        Beta(2.0, 3.0),
        lambda p: Uniform(0.0, 1.0 + p),
        lambda u, p: Independent(Normal(jnp.stack([u, u], -1), jnp.stack([p, p], -1) + 0.5), 1),
    ])


def test_families_fallback_and_densities():
    posterior = _mixed_model().experimental_pin(None, None, jnp.array([0.3, 0.8]))
    for mean_field in (True, False):
        surrogate = build_asvi_surrogate_posterior(posterior, mean_field=mean_field, seed=1)
        names = sorted(surrogate.params)
        fallback = [n for n in names if "loc" in surrogate.params[n]]
        assert len(fallback) == 1  # the Uniform
        assert all(("prior_weight" in surrogate.params[n]) != mean_field for n in names if n not in fallback)

    @jax.jit
    def check(params):
        q = surrogate.with_params(params).build()
        draws, log_q = q.sample_and_log_prob(200, seed=3)
        return draws, log_q, q.log_prob(draws), jax.grad(
            lambda p: monte_carlo_variational_loss(posterior.unnormalized_log_prob, surrogate.with_params(p),
                                                   sample_size=4, seed=0))(params)

    draws, log_q, log_q_again, gradient = check(surrogate.params)
    p, u = draws
    assert p.shape == u.shape == (200,)
    assert bool(jnp.all((p > 0) & (p < 1) & (u > 0) & (u < 1 + p)))
    np.testing.assert_allclose(log_q, log_q_again, rtol=1e-9)
    assert all(bool(jnp.all(jnp.isfinite(leaf))) for leaf in jax.tree.leaves(gradient))


def test_root_nodes_start_at_the_prior_and_coroutine_structure():
    def model():
        scale = yield JointDistributionCoroutine.Root(Gamma(3.0, 2.0, name="scale"))
        yield Normal(0.0, scale, name="x")

    prior = JointDistributionCoroutine(model)
    q = build_asvi_surrogate_posterior(prior, initial_prior_weight=0.3, seed=0).build()
    draws = q.sample(20_000, seed=1)
    np.testing.assert_allclose(float(jnp.mean(draws.scale)), 1.5, rtol=0.02)  # Gamma(3, 2) mean
    np.testing.assert_allclose(float(jax.nn.sigmoid(q.params["x"]["prior_weight"]["scale"])), 0.3, rtol=1e-6)


def test_float32_stays_float32():
    model = JointDistributionNamed(dict(
        mu=Normal(jnp.float32(0.0), jnp.float32(1.0)), y=lambda mu: Normal(mu, jnp.float32(1.0))))
    q = build_asvi_surrogate_posterior(model.experimental_pin(y=jnp.float32(1.0)), seed=0)
    assert all(leaf.dtype == jnp.float32 for leaf in jax.tree.leaves(q.params))
    assert q.build().sample(3, seed=0)["mu"].dtype == jnp.float32


def test_bad_arguments_are_named():
    with pytest.raises(TypeError, match="prior must be a JointDistribution"):
        build_asvi_surrogate_posterior(Normal(0.0, 1.0), seed=0)
    model = JointDistributionNamed(dict(mu=Normal(0.0, 1.0)))
    with pytest.raises(ValueError, match="initial_prior_weight"):
        build_asvi_surrogate_posterior(model, initial_prior_weight=1.0, seed=0)
    with pytest.raises(ValueError, match="seed"):
        build_asvi_surrogate_posterior(model)
