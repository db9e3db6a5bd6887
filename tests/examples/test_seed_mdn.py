import re

import numpy as np
import pytest

from tests.examples.loading import load_example

NUMBER = r"(-?[\d.]+)"


def _load():
    return load_example("seed_mdn")


@pytest.fixture(scope="module")
def module():
    return _load()


@pytest.fixture(scope="module")
def summary(module, tmp_path_factory):
    output = tmp_path_factory.mktemp("seed_mdn")
    settings = module.Settings(num_train=12_000, num_test=2_000, epochs=20, batch_size=64, grid_points=256)
    text = module.main(output, settings)
    assert (output / "seed002_mdn.png").stat().st_size > 10_000
    return text


def _bias(summary, label):
    found = re.search(rf"{re.escape(label)}: (.*)", summary)
    return np.array([float(v) for v in found.group(1).split(", ")])


@pytest.mark.slow  # trains the walkthrough's networks: `make test-slow`
def test_mdn_matches_the_exact_posterior_of_the_training_population(summary):
    pattern = rf"NLL {NUMBER} \(exact posterior {NUMBER}\), CRPS {NUMBER}, 90% coverage {NUMBER}"
    found = re.search(pattern, summary)
    mdn_nll, exact_nll, _, coverage = (float(v) for v in found.groups())
    assert mdn_nll - exact_nll < 0.1  # 0.025 with the walkthrough's full training
    assert abs(coverage - 0.9) < 0.03


@pytest.mark.slow  # trains the walkthrough's networks: `make test-slow`
def test_mse_regressor_is_biased_low_at_high_mass_and_the_reweighted_mdn_is_not(summary):
    mse = _bias(summary, "MSE regressor")
    raw_mdn = _bias(summary, "MDN mean (training prior)")
    reweighted = _bias(summary, "MDN reweighted to a flat prior")
    assert len(mse) == 4
    assert np.all(mse < -0.12) and mse[-1] < mse[0]  # the bias grows with mass
    assert np.all(raw_mdn < -0.12)  # the posterior mean under the steep prior shares it
    assert np.all(np.abs(reweighted) < 0.06)


@pytest.mark.slow  # trains the walkthrough's networks: `make test-slow`
def test_reweighting_to_the_population_prior_reaches_the_exact_posterior(summary):
    pattern = (rf"MDN NLL {NUMBER} under the training prior \(90% coverage {NUMBER}\); reweighted to the "
               rf"population's prior {NUMBER} \(exact posterior {NUMBER}\)")
    raw_nll, _, reweighted_nll, exact_nll = (float(v) for v in re.search(pattern, summary).groups())
    assert raw_nll - reweighted_nll > 0.3
    assert reweighted_nll - exact_nll < 0.05


def test_exact_posterior_under_a_flat_prior_is_centred_on_three_x(module):
    # The noise has mean zero and x = m / 3 + noise, so the flat-prior posterior mean is 3 x exactly.
    grid = np.linspace(-2.0, 3.5, 8001)
    x = np.array([[0.1], [0.3], [0.5]])
    posterior = np.exp(module.exact_log_posterior(x, grid, lambda g: np.zeros_like(g)))
    np.testing.assert_allclose(np.trapezoid(posterior, grid, axis=1), 1.0, rtol=1e-9)
    np.testing.assert_allclose(np.trapezoid(posterior * grid, grid, axis=1), 3 * x[:, 0], atol=1e-4)


def test_exact_log_density_follows_bayes_rule(module):
    grid = np.linspace(-1.5, 3.0, 4001)
    masses = np.array([0.4, 0.9])
    prior = module.truncated_at_zero(module.train_log_prior)
    log_ratio = np.diff(module.exact_log_density_at(np.array([[0.3], [0.3]]), masses, prior, grid))
    noise = module.observable_noise()
    log_likelihood = np.asarray(noise.log_prob(0.3 - masses / 3.0), np.float64)
    expected = np.diff(log_likelihood - module.MASS_SLOPE * masses)
    np.testing.assert_allclose(log_ratio, expected, rtol=1e-6)
