import re

import jax.numpy as jnp
import numpy as np
import pytest
from scipy import stats

from tests.examples.loading import load_example

NUMBER = r"(-?[\d.]+)"


def _load():
    return load_example("seed_uncertainty")


@pytest.fixture(scope="module")
def module():
    return _load()


@pytest.fixture(scope="module")
def summary(module, tmp_path_factory):
    output = tmp_path_factory.mktemp("seed_uncertainty")
    settings = module.Settings(classifier_points=1000, classifier_epochs=30, bnn_epochs=400, num_passes=50,
                               test_points=500)
    text = module.main(output, settings)
    assert (output / "seed003_uncertainty.png").stat().st_size > 10_000
    return text


def _numbers(pattern, summary):
    found = re.search(pattern, summary)
    assert found, pattern
    return [float(v) for v in found.groups()]


@pytest.mark.slow  # trains the walkthrough's networks: `make test-slow`
def test_mc_dropout_classifier_is_accurate_and_calibrated_on_held_out_points(summary):
    accuracy, bayes, nll, ece, brier = _numbers(
        rf"held-out accuracy {NUMBER} \(Bayes classifier {NUMBER}\), NLL {NUMBER}, ECE {NUMBER}, "
        rf"Brier {NUMBER}", summary)
    assert accuracy > bayes - 0.02
    assert nll < 0.15
    assert ece < 0.04
    assert brier < 0.08


@pytest.mark.slow  # trains the walkthrough's networks: `make test-slow`
def test_mc_dropout_is_less_sure_far_from_the_data(summary):
    held_entropy, far_entropy = _numbers(rf"entropy: held out {NUMBER}, far away {NUMBER}", summary)
    held_information, far_information, flagged = _numbers(
        rf"held out {NUMBER}, far away {NUMBER} nats; {NUMBER}% of far-away", summary)
    assert far_entropy > held_entropy
    assert far_information > 3 * held_information
    assert flagged > 5  # five times the rate of held-out points (1% by construction)


@pytest.mark.slow  # trains the walkthrough's networks: `make test-slow`
def test_bnn_epistemic_band_widens_away_from_the_data(summary):
    inside, outside, aleatoric = _numbers(
        rf"epistemic sd {NUMBER} inside the data \(\|x\| <= 0.9\), {NUMBER} at \|x\| >= 2; "
        rf"aleatoric sd inside {NUMBER}", summary)
    assert outside > 10 * inside
    assert abs(aleatoric - 0.1) < 0.025
    nll, crps, coverage = _numbers(
        rf"held out: NLL {NUMBER}, CRPS {NUMBER}, 90% coverage {NUMBER}", summary)
    # The true p(y | x) is N(wiggle(x), 0.1^2): NLL -log(0.1) - 0.5 log(2 pi e) ~ -0.884 and expected
    # CRPS 0.1 / sqrt(pi).
    assert nll < -0.884 + 0.15
    assert crps < 1.1 * 0.1 / np.sqrt(np.pi)
    assert abs(coverage - 0.9) < 0.05


def test_entropy_and_bayes_classifier(module):
    probs = np.array([[0.2, 0.3, 0.5], [1.0, 0.0, 0.0]])
    expected = [stats.entropy(p) for p in probs]
    np.testing.assert_allclose(module.entropy(jnp.asarray(probs)), expected, rtol=1e-6)
    x, _ = module.blobs(0, 4000)
    # Equal isotropic classes: the nearest center is the most probable class under the true densities.
    classes = [stats.multivariate_normal(center, 0.49 * np.eye(2)) for center in module.CLASS_CENTERS]
    densities = np.stack([density.pdf(x) for density in classes], axis=1)
    np.testing.assert_array_equal(module.bayes_classes(x), np.argmax(densities, axis=1))
