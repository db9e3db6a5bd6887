import hypothesis.strategies as st
import numpy as np
import pytest
import scipy.stats

from probax import distributions as tfd
from tests.distributions.oracle import OracleCase, oracle_suite

CASES = [
    OracleCase(
        name="gumbel",
        make=tfd.Gumbel,
        reference=lambda loc, scale: scipy.stats.gumbel_r(loc, scale),
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
        tfd.Gumbel(0.0, -1.0, validate_args=True)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_far_tails_finite(dtype):
    d = tfd.Gumbel(dtype(0.0), dtype(1.0))
    z = np.array([25.0, 40.0], dtype)
    np.testing.assert_allclose(
        d.log_survival_function(z), scipy.stats.gumbel_r.logsf(z.astype(np.float64)), rtol=1e-6
    )
    # scipy underflows to -inf here; log sf = -z - exp(-z) / 2 + ... = -z to rounding.
    z = np.array([1e3, 1e30], dtype)
    np.testing.assert_allclose(d.log_survival_function(z), -z, rtol=1e-6)
    np.testing.assert_allclose(d.log_prob(dtype(1e30)), -1e30, rtol=1e-6)
    np.testing.assert_allclose(d.log_cdf(dtype(-40.0)), -np.exp(40.0), rtol=1e-6)
    assert float(d.log_cdf(dtype(1e30))) == 0.0
