import jax
import jax.numpy as jnp
import numpy as np
import pytest

from probax import bijectors as tfb
from probax import distributions as tfd
from probax.distributions import constraints
from probax.distributions.event_space import bijector_onto

CONTINUOUS = [
    (tfd.Normal(0.0, 1.0), tfb.Identity),
    (tfd.StudentT(3.0, 0.0, 1.0), tfb.Identity),
    (tfd.Gamma(2.0, 1.5), tfb.Softplus),
    (tfd.Exponential(2.0), tfb.Softplus),
    (tfd.LogNormal(0.0, 1.0), tfb.Softplus),
    (tfd.HalfNormal(2.0), tfb.Softplus),
    (tfd.InverseGamma(3.0, 2.0), tfb.Softplus),
    (tfd.Weibull(2.0, 1.0), tfb.Softplus),
    (tfd.Pareto(2.0, 1.5), tfb.Chain),
    (tfd.HalfCauchy(1.0, 2.0), tfb.Chain),
    (tfd.Beta(2.0, 3.0), tfb.Sigmoid),
    (tfd.Kumaraswamy(2.0, 3.0), tfb.Sigmoid),
    (tfd.Uniform(-2.0, 5.0), tfb.Sigmoid),
    (tfd.TruncatedNormal(0.0, 1.0, -1.0, 2.0), tfb.Sigmoid),
    (tfd.VonMises(0.5, 2.0), tfb.Sigmoid),
]


@pytest.mark.parametrize(("dist", "kind"), CONTINUOUS, ids=lambda v: type(v).__name__)
def test_maps_the_reals_onto_the_support(dist, kind):
    bijector = dist.experimental_default_event_space_bijector()
    assert isinstance(bijector, kind)
    unconstrained = jnp.linspace(-8.0, 8.0, 33)
    inside = bijector.forward(unconstrained)
    assert np.all(np.isfinite(dist.log_prob(inside)))
    draws = dist.sample(50, seed=0)
    np.testing.assert_allclose(bijector.forward(bijector.inverse(draws)), draws, rtol=1e-6, atol=1e-9)

    # Usable inside jit, as MCMC uses it: a density on the unconstrained space.
    def unconstrained_log_prob(z):
        x, log_det = bijector.forward_and_log_det(z)
        return dist.log_prob(x) + log_det

    assert np.all(np.isfinite(jax.jit(jax.vmap(jax.grad(unconstrained_log_prob)))(unconstrained)))


def test_bounds_follow_the_parameters():
    bijector = tfd.Uniform(
        jnp.array([0.0, 10.0]), jnp.array([1.0, 20.0])
    ).experimental_default_event_space_bijector()
    np.testing.assert_allclose(bijector.forward(jnp.zeros(2)), [0.5, 15.0], rtol=1e-6)
    shifted = tfd.Pareto(2.0, 3.0).experimental_default_event_space_bijector()
    assert float(shifted.forward(-30.0)) > 3.0


@pytest.mark.parametrize(
    "dist",
    [tfd.Poisson(3.0), tfd.Bernoulli(probs=0.3), tfd.Categorical(probs=[0.5, 0.5])],
    ids=lambda d: type(d).__name__,
)
def test_discrete_families_have_none(dist):
    with pytest.raises(NotImplementedError, match=f"{type(dist).__name__} is discrete"):
        dist.experimental_default_event_space_bijector()


def test_simplex_maps_through_softmax_centered():
    bijector = bijector_onto(constraints.simplex, "Dirichlet")
    point = bijector.forward(jnp.array([0.3, -1.0]))
    assert point.shape == (3,)
    np.testing.assert_allclose(jnp.sum(point), 1.0, rtol=1e-6)


def test_transformed_distribution_composes_the_base_bijector():
    td = tfd.TransformedDistribution(tfd.Gamma(2.0, 1.0), tfb.Shift(3.0))
    bijector = td.experimental_default_event_space_bijector()
    assert float(bijector.forward(-20.0)) > 3.0
