import jax
import jax.numpy as jnp
import numpy as np
import pytest

from probax.distributions import Exponential, JointDistributionNamed, Normal, Poisson, Sample
from probax.vi.predictive import sample_posterior_predictive
from probax.vi.surrogate_builders import build_factored_surrogate_posterior


def test_callable_model_returning_a_distribution():
    q = Normal(2.0, 0.5)
    draws, predictive = jax.jit(
        lambda: sample_posterior_predictive(q, lambda mu: Normal(mu, 1.0), 20000, seed=0)
    )()
    assert draws.shape == predictive.shape == (20000,)
    # y = mu + noise: mean 2, variance 0.25 + 1.
    assert abs(float(predictive.mean()) - 2.0) < 5 * np.sqrt(1.25 / 20000)
    np.testing.assert_allclose(float(predictive.var()), 1.25, rtol=0.05)
    assert float(jnp.corrcoef(draws, predictive)[0, 1]) > 0.3  # each y is drawn from its own mu


def test_callable_model_returning_a_derived_quantity_with_structured_parts():
    q = build_factored_surrogate_posterior({"a": (), "b": [2]}, initial_unconstrained_loc=1.0)
    draws, total = sample_posterior_predictive(q, lambda a, b: a + jnp.sum(b), (3, 4), seed=1)
    assert total.shape == (3, 4)
    np.testing.assert_allclose(total, draws["a"] + draws["b"].sum(-1), rtol=1e-12)


def test_pinned_model_redraws_the_observed_parts():
    model = JointDistributionNamed(dict(rate=Exponential(1.0), counts=lambda rate: Sample(Poisson(rate), 5)))
    posterior = model.experimental_pin(counts=jnp.array([3.0, 4.0, 2.0, 5.0, 3.0]))
    q = build_factored_surrogate_posterior(
        posterior, initial_unconstrained_loc=1.0, initial_unconstrained_scale=0.2
    )
    draws, replicated = sample_posterior_predictive(q, posterior, 4000, seed=2)
    assert replicated["counts"].shape == (4000, 5)
    np.testing.assert_array_equal(replicated["rate"], draws["rate"])
    # E[counts] = E[rate] under the surrogate.
    np.testing.assert_allclose(float(replicated["counts"].mean()), float(draws["rate"].mean()), rtol=0.05)


def test_bad_model():
    with pytest.raises(TypeError, match="model"):
        sample_posterior_predictive(Normal(0.0, 1.0), 3, 2, seed=0)
