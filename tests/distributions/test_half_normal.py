import hypothesis.strategies as st
import numpy as np
import pytest
import scipy.special
import scipy.stats

from probax import distributions as tfd
from tests.distributions.oracle import OracleCase, oracle_suite

CASES = [
    OracleCase(
        name="half_normal",
        make=tfd.HalfNormal,
        reference=lambda scale: scipy.stats.halfnorm(scale=scale),
        params=dict(scale=np.array([1.0, 1e-3, 40.0])),
        expected_mode=lambda scale: np.zeros_like(scale),
        wide=dict(scale=st.floats(1e-30, 1e30).filter(lambda s: s > 0)),
        reparameterized_params=("scale",),
    ),
]

test_oracle, test_sampling, test_transforms, test_wide = oracle_suite(CASES)


def test_bad_scale_raises():
    with pytest.raises(ValueError, match="scale"):
        tfd.HalfNormal(-1.0, validate_args=True)


def test_below_support():
    d = tfd.HalfNormal(np.array([1.0, 2.0]))
    x = np.array([-1e-3, -5.0])
    assert np.all(d.log_prob(x) == -np.inf)
    np.testing.assert_array_equal(d.cdf(x), 0.0)
    np.testing.assert_array_equal(d.log_cdf(x), -np.inf)
    np.testing.assert_array_equal(d.survival_function(x), 1.0)
    np.testing.assert_array_equal(d.log_survival_function(x), 0.0)
    np.testing.assert_array_equal(d.cdf(0.0), 0.0)
    with pytest.raises(ValueError, match="support"):
        tfd.HalfNormal(1.0, validate_args=True).log_prob(-1.0)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_far_tails_finite(dtype):
    d = tfd.HalfNormal(dtype(1.0))
    z = np.array([1e-20, 1.5, 10.0, 40.0, 1e3], dtype)
    ref = scipy.stats.halfnorm
    # scipy's logsf underflows past z ~ 38; log P[X > x] = log 2 + log Phi(-z).
    log_sf = np.log(2) + scipy.special.log_ndtr(-z.astype(np.float64))
    log_sf[0] = np.log1p(-scipy.special.erf(1e-20 / np.sqrt(2)))
    np.testing.assert_allclose(d.log_survival_function(z), log_sf, rtol=1e-6)
    np.testing.assert_allclose(d.log_cdf(z[:3]), ref.logcdf(z[:3].astype(np.float64)), rtol=1e-6)
    p = np.array([1e-30, 0.3, 1 - 2.0**-20], dtype)
    expected = ref.ppf(p.astype(np.float64))
    expected[0] = np.sqrt(2) * scipy.special.erfinv(1e-30)  # scipy's ppf rounds (1 + p) / 2 to 1/2
    np.testing.assert_allclose(d.quantile(p), expected, rtol=1e-6)
