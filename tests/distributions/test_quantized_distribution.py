import jax
import numpy as np
import pytest
import scipy.stats

from probax.distributions.normal import Normal
from probax.distributions.quantized_distribution import QuantizedDistribution


def scipy_mass(y, low, high, loc=0.5, scale=2.0):
    x = scipy.stats.norm(loc, scale)
    mass = x.cdf(y) - x.cdf(y - 1)
    mass = np.where(y == low, x.cdf(low), mass)
    mass = np.where(y == high, x.sf(high - 1), mass)
    return np.where((y < low) | (y > high), 0.0, mass)


@pytest.mark.parametrize("dtype", [np.float32, np.float64], ids=["float32", "float64"])
def test_mass_cdf_and_survival_match_scipy(dtype):
    d = QuantizedDistribution(Normal(dtype(0.5), dtype(2.0)), low=-3.0, high=4.0)
    y = np.arange(-5.0, 7.0).astype(dtype)
    out = jax.jit(lambda d, y: (d.prob(y), d.cdf(y + 0.5), d.survival_function(y + 0.5)))(d, y)
    expected = scipy_mass(y.astype(np.float64), -3.0, 4.0)
    rtol = 1e-5 if dtype == np.float32 else 1e-12
    np.testing.assert_allclose(out[0], expected, rtol=rtol, atol=1e-7)
    np.testing.assert_allclose(out[1], np.cumsum(expected), rtol=rtol, atol=1e-7)
    np.testing.assert_allclose(out[2], 1 - np.cumsum(expected), rtol=rtol, atol=1e-6)
    assert d.log_prob(dtype(0.5)) == -np.inf  # not an integer


def test_far_tail_and_sampling():
    d = QuantizedDistribution(Normal(0.0, 1.0))
    # P[29 < X <= 30] from the survival function: its log keeps full precision.
    tail = scipy.stats.norm.logsf(29.0) + np.log1p(
        -np.exp(scipy.stats.norm.logsf(30.0) - scipy.stats.norm.logsf(29.0))
    )
    np.testing.assert_allclose(d.log_prob(30.0), tail, rtol=1e-10)
    clipped = QuantizedDistribution(Normal(np.array([0.5, 3.0]), 2.0), low=-1.0, high=4.0)
    draws = np.asarray(clipped.sample(5000, seed=2))
    assert draws.shape == (5000, 2) and draws.min() >= -1 and draws.max() <= 4
    values = np.arange(-1.0, 5.0)
    observed = [(draws[:, 0] == v).sum() for v in values]
    assert scipy.stats.chisquare(observed, 5000 * scipy_mass(values, -1.0, 4.0)).pvalue > 1e-3
    np.testing.assert_allclose(clipped[1].prob(values), clipped.prob(values[:, None])[:, 1])
