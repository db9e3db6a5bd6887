import hypothesis.strategies as st
import numpy as np
import pytest
import scipy.stats

from probax import distributions as tfd
from tests.distributions.oracle import OracleCase, oracle_suite

CASES = [
    OracleCase(
        name="logistic",
        make=tfd.Logistic,
        reference=lambda loc, scale: scipy.stats.logistic(loc, scale),
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
        tfd.Logistic(0.0, -2.0, validate_args=True)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_far_tails_finite(dtype):
    d = tfd.Logistic(dtype(0.0), dtype(1.0))
    np.testing.assert_allclose(d.log_prob(dtype(-1e30)), -1e30, rtol=1e-6)
    np.testing.assert_allclose(d.log_prob(dtype(1e30)), -1e30, rtol=1e-6)
    np.testing.assert_allclose(d.log_cdf(dtype(-1e30)), -1e30, rtol=1e-6)
    np.testing.assert_allclose(d.log_survival_function(dtype(1e30)), -1e30, rtol=1e-6)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_quantile_precision(dtype):
    d = tfd.Logistic(dtype(0.0), dtype(1.0))
    p = np.array([1e-30, 0.2, 0.5 - 2.0**-20, 0.5, 0.5 + 2.0**-20, 1 - 2.0**-20], dtype)
    np.testing.assert_allclose(d.quantile(p), scipy.special.logit(p.astype(np.float64)), rtol=2e-7)
