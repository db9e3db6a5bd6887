
import numpy as np
from scipy import integrate, stats

import probax as px
from probax.datasets import load_text_messages
from tests.examples.loading import load_example


def _load():
    return load_example("seed_changepoint_mcmc")


def test_exact_means_match_numerical_integration_for_one_switch_day():
    module = _load()
    counts = load_text_messages()[:10]
    alpha = 1.0 / counts.mean()
    # Posterior of lambda_1 given 4 early days: prior Exponential(alpha) times Poisson likelihoods.
    early = counts[:4]
    density = lambda lam: stats.expon.pdf(lam, scale=1 / alpha) * np.prod(stats.poisson.pmf(early, lam))  # noqa: E731
    mass = integrate.quad(density, 0, 200)[0]
    mean = integrate.quad(lambda lam: lam * density(lam), 0, 200)[0] / mass
    np.testing.assert_allclose(mean, (1 + early.sum()) / (alpha + 4), rtol=1e-6)
    exact = module.exact_posterior_means(counts)
    assert set(exact) == {"lambda_1", "lambda_2", "tau"} and 0 < exact["tau"] < 1


def test_the_seed_hmc_recovers_the_exact_rate_means():
    module = _load()
    counts = load_text_messages()
    exact = module.exact_posterior_means(counts)
    draws, acceptance = module.seed_sampler(counts, num_results=1500, num_burnin_steps=500, seed=3)
    summary = px.mcmc.summarize(draws)
    assert 0.3 < acceptance < 1.0
    for name in ("lambda_1", "lambda_2"):
        row = summary[name]
        assert abs(row["mean"] - exact[name]) < 5 * row["mcse_mean"], (name, row, exact)


def test_variational_fit_agrees_with_the_exact_posterior_means_across_seeds():
    module = _load()
    counts = load_text_messages()
    exact = module.exact_posterior_means(counts)
    means, losses = module.variational_fit(counts, num_steps=400, num_fits=3, seed=0)
    assert losses.shape == (3, 400) and np.all(np.isfinite(losses))
    for name in ("lambda_1", "lambda_2", "tau"):
        np.testing.assert_array_less(np.abs(means[name] / exact[name] - 1), 0.05, err_msg=name)


def test_gibbs_recovers_the_exact_posterior_means_and_mixes_the_switch():
    module = _load()
    counts = load_text_messages()
    exact = module.exact_posterior_means(counts)
    summary = px.mcmc.summarize(module.gibbs_sampler(counts, num_warmup=400, num_samples=500, seed=1))
    for name in ("lambda_1", "lambda_2", "tau"):
        row = summary[name]
        assert abs(row["mean"] - exact[name]) < 5 * row["mcse_mean"], (name, row, exact)
        assert row["r_hat"] < 1.02, (name, row)
    # NUTS on all three parameters gets a tau ESS of a few dozen from 4000 draws; Gibbs, hundreds.
    assert summary["tau"]["ess_bulk"] > 400, summary["tau"]
