"""The annotation-model walkthrough: its density against scipy, and recovery of the simulated truth."""

import jax
import jax.numpy as jnp
import numpy as np
import pytest
from scipy import stats
from scipy.special import logsumexp

from tests.examples.loading import load_example


@pytest.fixture(scope="module")
def module():
    return load_example("seed_annotation_model")


def test_simulation_has_the_requested_design_and_truth(module):
    labels = module.simulate(num_items=40, num_annotators=5, seed=3)
    assert labels.x.shape == labels.annotators.shape == labels.items.shape == (200,)
    assert set(np.unique(labels.x)) <= {0.0, 1.0}
    # Every annotator labels every item exactly once.
    pairs = np.stack([labels.items, labels.annotators], axis=1)
    assert len(np.unique(pairs, axis=0)) == 200
    assert labels.truth["gamma"].shape == (5, 2) and labels.truth["positive"].shape == (40,)
    assert labels.truth["pi"] == module.TRUTH["pi"]


def test_joint_log_prob_sums_the_classes_out_as_scipy_does(module):
    labels = module.simulate(num_items=4, num_annotators=3, seed=1, dtype=np.float64)
    rng = np.random.default_rng(0)
    pi, rho = 0.35, 0.8
    z, mu, sigma = rng.normal(size=4), np.array([1.2, 1.7]), np.array([0.9, 1.3])
    gamma = rng.normal(mu, sigma, size=(3, 2))
    expected = (
        stats.uniform(0, 1).logpdf(pi)
        + stats.uniform(0, 50).logpdf(rho)
        + stats.norm.logpdf(z).sum()
        + stats.norm(0, 10).logpdf(mu).sum()
        + stats.uniform(0, [50, 100]).logpdf(sigma).sum()
        + stats.norm(mu, sigma).logpdf(gamma).sum()
    )
    for item in range(4):
        mine = labels.items == item
        x, who = labels.x[mine], labels.annotators[mine]
        delta = rho * z[item]
        negative = stats.bernoulli.logpmf(x, 1 / (1 + np.exp(gamma[who, 0] - delta))).sum()
        positive = stats.bernoulli.logpmf(x, 1 / (1 + np.exp(-(gamma[who, 1] - delta)))).sum()
        expected += logsumexp([np.log1p(-pi) + negative, np.log(pi) + positive])
    actual = jax.jit(module.joint_log_prob)(
        jnp.asarray(labels.x), jnp.asarray(labels.annotators), jnp.asarray(labels.items),
        jnp.asarray(pi), jnp.asarray(rho), jnp.asarray(z), jnp.asarray(mu), jnp.asarray(sigma),
        jnp.asarray(gamma),
    )  # fmt: skip
    np.testing.assert_allclose(float(actual), expected, rtol=1e-10)


def test_class_posterior_at_the_true_values_beats_a_majority_vote(module):
    # Knowing the truth, the model's class posterior weighs annotators by skill and must beat a vote.
    labels = module.simulate(seed=0, dtype=np.float64)
    truth = labels.truth
    lls = module.class_log_likelihoods(
        jnp.asarray(labels.x), jnp.asarray(labels.annotators), jnp.asarray(labels.items),
        jnp.asarray(truth["pi"]), jnp.asarray(truth["rho"]), jnp.asarray(truth["delta"] / truth["rho"]),
        jnp.asarray(truth["gamma"]),
    )  # fmt: skip
    model_accuracy = np.mean((np.asarray(lls[:, 1]) > np.asarray(lls[:, 0])) == truth["positive"])
    votes = np.bincount(labels.items, weights=labels.x) / labels.num_annotators
    vote_accuracy = np.mean((votes > 0.5) == truth["positive"])
    assert model_accuracy > vote_accuracy + 0.02, (model_accuracy, vote_accuracy)


@pytest.mark.slow
def test_posterior_recovers_the_simulated_truth(module):
    """The demo's run (float32, as `make demo` runs it; about 2 min of CPU): every check it reports."""
    with jax.enable_x64(False):
        labels = module.simulate()
        result = module.fit(labels, num_warmup=module.NUM_WARMUP, num_samples=module.NUM_SAMPLES)
        probabilities = module.posterior_class_probabilities(result, labels)
        checks = module.recovery(result, labels, probabilities)
    assert set(checks["intervals"]) == {"pi", "rho", "mu[0]", "mu[1]", "sigma[0]", "sigma[1]"}
    for name, (low, high, truth) in checks["intervals"].items():
        assert low <= truth <= high, (name, low, high, truth)
    assert checks["model_accuracy"] >= checks["vote_accuracy"], checks
    r_hat = dict(checks["r_hat"])
    # Known open limit (see the example's docstring): rho mixes slowly (R-hat 1.007 on this run's seed).
    assert r_hat.pop("rho") < 1.02, checks
    assert max(r_hat.values()) < 1.01, checks
    assert checks["max_r_hat_items"] < 1.01, checks
    assert checks["divergences"] == 0, checks
