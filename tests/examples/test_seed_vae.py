import re

import jax.numpy as jnp
import numpy as np
import pytest
from scipy import stats

from probax.distributions import Independent, Normal
from tests.examples.loading import load_example

NUMBER = r"(-?[\d.]+)"


def _load():
    return load_example("seed_vae")


@pytest.fixture(scope="module")
def module():
    return _load()


@pytest.mark.slow  # trains the walkthrough's VAE: `make test-slow`
def test_vae_beats_independent_pixels_on_held_out_digits(module, tmp_path):
    summary = module.main(tmp_path, module.Settings(hidden_units=128, epochs=100, num_draws=20))
    assert (tmp_path / "seed003_vae.png").stat().st_size > 10_000
    pattern = rf"held-out ELBO {NUMBER} nats per digit \(E log p\(x \| z\) {NUMBER}, KL {NUMBER};"
    elbo, reconstruction, kl = (float(v) for v in re.search(pattern, summary).groups())
    np.testing.assert_allclose(elbo, reconstruction - kl, atol=2e-3)
    assert kl > 1.0  # the latent code carries information
    baseline = float(re.search(rf"log-likelihood {NUMBER} per digit", summary).group(1))
    assert elbo > baseline + 3.0  # a lower bound on log p(x) above the independent-pixel likelihood
    assert elbo > -25.0


def test_negative_elbo_is_reconstruction_plus_closed_form_kl(module):
    from probax.layers.independent_heads import IndependentBernoulli

    loc, scale = np.array([[0.5, -1.0], [0.0, 2.0]]), np.array([[0.5, 1.5], [1.0, 0.2]])
    posterior = Independent(Normal(jnp.asarray(loc), jnp.asarray(scale)), 1)
    logits = jnp.linspace(-2, 2, 2 * 64).reshape(2, 64)
    likelihood = IndependentBernoulli.new(logits, 64)
    x = (np.arange(2 * 64).reshape(2, 64) % 3 == 0).astype(np.float32)
    p = 1 / (1 + np.exp(-np.asarray(logits)))
    reconstruction = stats.bernoulli.logpmf(x, p).sum(axis=1)
    kl = 0.5 * np.sum(scale**2 + loc**2 - 1 - 2 * np.log(scale), axis=1)
    expected = -reconstruction + kl
    np.testing.assert_allclose(module.negative_elbo(x, (posterior, likelihood)), expected, rtol=1e-6)


def test_independent_pixels_baseline_matches_scipy(module):
    train, test = module.binarized_digits()
    assert train.shape == (1437, 64) and test.shape == (360, 64)
    assert set(np.unique(train)) == {0.0, 1.0}
    probs = (train.sum(axis=0) + 1) / (len(train) + 2)
    expected = stats.bernoulli.logpmf(test, probs).sum(axis=1).mean()
    np.testing.assert_allclose(module.independent_pixels_log_likelihood(train, test), expected, rtol=1e-6)
