import hypothesis.strategies as st
import jax
import jax.numpy as jnp
import numpy as np
import pytest
import scipy.stats

from probax import distributions as tfd
from tests.distributions.oracle import OracleCase, oracle_suite

CASES = [
    OracleCase(
        name="cauchy",
        make=tfd.Cauchy,
        reference=lambda loc, scale: scipy.stats.cauchy(loc, scale),
        params=dict(loc=np.array([0.0, -1.5, 300.0]), scale=np.array([1.0, 1e-3, 40.0])),
        expected_mode=lambda loc, scale: loc,
        wide=dict(
            loc=st.floats(-1e6, 1e6),
            scale=st.floats(1e-30, 1e30).filter(lambda s: s > 0),
        ),
        reparameterized_params=("loc", "scale"),
    ),
]

test_oracle, test_sampling, test_transforms, test_wide = oracle_suite(CASES)


def test_bad_scale_raises():
    with pytest.raises(ValueError, match="scale"):
        tfd.Cauchy(0.0, -1.0, validate_args=True)


def test_undefined_moments_raise_without_nan_stats():
    d = tfd.Cauchy(0.0, 1.0, allow_nan_stats=False)
    for method in (d.mean, d.variance, d.stddev):
        with pytest.raises(ValueError, match="undefined"):
            method()


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_far_tails_finite(dtype):
    d = tfd.Cauchy(dtype(0.0), dtype(1.0))
    x = np.array([-1e30, 1e30], dtype)
    expected = -np.log(np.pi) - np.log(1e30)  # log of the tail mass ~ 1 / (pi |x|)
    np.testing.assert_allclose(d.log_cdf(x[0]), expected, rtol=1e-6)
    np.testing.assert_allclose(d.log_survival_function(x[1]), expected, rtol=1e-6)
    np.testing.assert_allclose(d.log_prob(x), -np.log(np.pi) - 2 * np.log(1e30), rtol=1e-6)
    np.testing.assert_allclose(d.log_cdf(x[1]), -1 / (np.pi * 1e30), atol=1e-30)
    assert np.all(np.isfinite(jax.grad(lambda s: jnp.sum(tfd.Cauchy(0.0, s).log_prob(x)))(dtype(1.0))))


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_quantile_tails_and_center(dtype):
    d = tfd.Cauchy(dtype(0.0), dtype(1.0))
    p = np.array([0.0, 1e-30, 0.5, 1 - 2.0**-20, 1.0], dtype)
    reference = scipy.stats.cauchy.ppf(p.astype(np.float64))
    reference[0], reference[-1] = -np.inf, np.inf
    np.testing.assert_allclose(d.quantile(p), reference, rtol=1e-6)
    assert float(d.quantile(dtype(0.5))) == 0.0
