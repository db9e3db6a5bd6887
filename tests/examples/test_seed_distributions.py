import numpy as np

from tests.examples.loading import load_example as _load


def test_walkthrough_writes_figure_and_summary(tmp_path):
    summary = _load("seed_distributions").main(tmp_path)
    assert (tmp_path / "distributions.png").stat().st_size > 10_000
    for method in ["prob(0.5)", "cdf(0.5)", "survival_function", "quantile(0.975)", "cross_entropy"]:
        assert method in summary


def test_changepoint_log_prob_prefers_the_true_switch():
    module = _load("seed_distributions")
    lines = module.changepoint_demo()
    right = float(lines[1].rsplit("=", 1)[1])
    wrong = float(lines[2].rsplit("=", 1)[1])
    assert right > wrong


def test_changepoint_log_prob_matches_scipy():
    import scipy.stats

    module = _load("seed_distributions")
    counts = np.array([3.0, 5.0, 4.0, 9.0, 11.0, 10.0])
    lam1, lam2, tau = 4.0, 10.0, 0.5
    alpha = 1 / counts.mean()
    rates = np.where(tau * counts.size <= np.arange(counts.size), lam2, lam1)
    expected = (
        scipy.stats.expon(scale=1 / alpha).logpdf([lam1, lam2]).sum()
        + scipy.stats.uniform().logpdf(tau)
        + scipy.stats.poisson(rates).logpmf(counts).sum()
    )
    actual = module.changepoint_joint_log_prob(counts, lam1, lam2, tau)
    np.testing.assert_allclose(actual, expected, rtol=1e-10)
