import re

import numpy as np
import pytest
import statsmodels.api as sm

from tests.examples.loading import load_example

NUMBER = r"(-?[\d.]+)"


def _load():
    return load_example("seed_regression")


@pytest.fixture(scope="module")
def module():
    return _load()


@pytest.fixture(scope="module")
def summary(module, tmp_path_factory):
    output = tmp_path_factory.mktemp("seed_regression")
    settings = module.Settings(mixture_points=3000, mixture_epochs=25, bernoulli_epochs=30, test_points=1000)
    text = module.main(output, settings)
    for name in ("seed000_regression.png", "seed004_layers.png"):
        assert (output / name).stat().st_size > 10_000
    return text


def _scores(summary, label):
    found = re.search(rf"{re.escape(label)}: NLL {NUMBER}, CRPS {NUMBER}, 90% coverage {NUMBER}", summary)
    assert found, label
    return [float(v) for v in found.groups()]


@pytest.mark.slow  # trains the walkthrough's networks: `make test-slow`
def test_independent_normal_recovers_the_heteroscedastic_line(summary):
    affine = rf"{NUMBER} x ([+-]) {NUMBER}"
    found = re.search(rf"loc = {affine} .*sd = softplus\({affine}\)", summary)
    loc_w, loc_sign, loc_b, scale_w, scale_sign, scale_b = found.groups()
    np.testing.assert_allclose(float(loc_w), 0.8, atol=0.05)
    np.testing.assert_allclose(float(f"{loc_sign}{loc_b}"), 1.0, atol=0.1)
    np.testing.assert_allclose(float(scale_w), 0.6, atol=0.1)
    np.testing.assert_allclose(float(f"{scale_sign}{scale_b}"), -1.0, atol=0.15)
    model_nll, model_crps, model_coverage = _scores(summary, "IndependentNormal(1), held out")
    true_nll, true_crps, _ = _scores(summary, "true p(y | x), held out")
    assert model_nll - true_nll < 0.01
    assert model_crps - true_crps < 0.005
    assert abs(model_coverage - 0.9) < 0.03


@pytest.mark.slow  # trains the walkthrough's networks: `make test-slow`
def test_mixture_normal_fits_the_bimodal_problem_a_single_normal_cannot(summary):
    mixture_nll, mixture_crps, mixture_coverage = _scores(summary, "MixtureNormal(16, [1])")
    single_nll, single_crps, _ = _scores(summary, "IndependentNormal([1]), same MLP")
    true_nll, _, _ = _scores(summary, "true p(y | x)")
    assert mixture_nll - true_nll < 0.15
    assert single_nll - mixture_nll > 0.6
    assert mixture_crps < single_crps
    assert abs(mixture_coverage - 0.9) < 0.03


@pytest.mark.slow  # trains the walkthrough's networks: `make test-slow`
def test_bernoulli_layer_reaches_the_maximum_likelihood_weight_and_bias(module, summary):
    found = re.search(rf"weight {NUMBER}, bias {NUMBER} .* on these labels {NUMBER}, {NUMBER}\)", summary)
    weight, bias, mle_weight, mle_bias = (float(v) for v in found.groups())
    np.testing.assert_allclose([weight, bias], [mle_weight, mle_bias], atol=0.03)
    np.testing.assert_allclose([weight, bias], [1.0, 0.0], atol=0.15)
    pattern = rf"Bernoulli NLL {NUMBER} \(fixed model {NUMBER}\), ECE {NUMBER}, Brier {NUMBER}"
    found = re.search(pattern, summary)
    model_nll, true_nll, ece, brier = (float(v) for v in found.groups())
    assert model_nll - true_nll < 0.01
    assert ece < 0.05
    assert 0.05 < brier < 0.15


def test_logistic_mle_matches_statsmodels(module):
    rng = np.random.default_rng(0)
    x = rng.uniform(-5, 5, 300)
    y = rng.uniform(size=300) < 1 / (1 + np.exp(-(0.7 * x - 0.4)))
    expected = sm.Logit(y.astype(float), sm.add_constant(x)).fit(disp=0).params  # (bias, weight)
    np.testing.assert_allclose(module.logistic_mle(x, y), expected[::-1], rtol=1e-8)


@pytest.mark.slow  # trains the walkthrough's networks: `make test-slow`
def test_aleatoric_model_learns_the_noise_scale(summary):
    found = re.search(rf"learned sd {NUMBER} \(truth 0.3, maximum likelihood on the data {NUMBER}\)", summary)
    learned, mle = (float(v) for v in found.groups())
    assert abs(learned - 0.3) < 0.1 * 0.3
    np.testing.assert_allclose(learned, mle, rtol=0.01)
    fixed_nll, _, fixed_coverage = _scores(summary, "Normal(loc=t, scale=1)")
    model_nll, _, model_coverage = _scores(summary, "IndependentNormal(1)")
    true_nll, _, _ = _scores(summary, "true N(x, 0.3^2)")
    assert model_nll - true_nll < 0.02
    assert fixed_nll - model_nll > 0.5
    assert fixed_coverage > 0.99  # a scale of 1 is far too wide for noise of 0.3
    assert abs(model_coverage - 0.9) < 0.03
