import hypothesis.strategies as st
import numpy as np
import pytest
import scipy.stats

from probax import distributions as tfd
from tests.distributions.oracle import OracleCase, oracle_suite


class _NanMoments:
    """scipy's halfcauchy, with TFP's convention that the (infinite) mean and variance read NaN."""

    def __init__(self, frozen):
        self._frozen = frozen

    def __getattr__(self, name):
        return getattr(self._frozen, name)

    def mean(self):
        return np.full_like(self._frozen.mean(), np.nan)

    def var(self):
        return self.mean()

    def std(self):
        return self.mean()


CASES = [
    OracleCase(
        name="half_cauchy",
        make=tfd.HalfCauchy,
        reference=lambda loc, scale: _NanMoments(scipy.stats.halfcauchy(loc, scale)),
        # On the oracle's symmetric probability grid the scale-gradient of the summed log_prob is
        # exactly 0, so the finite-difference check has only its atol: a scale of 1e-3 would let the
        # (step / scale)**2 truncation error of its fixed 1e-6 step exceed it.
        params=dict(loc=np.array([0.0, -1.5, 300.0]), scale=np.array([1.0, 0.05, 40.0])),
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
        tfd.HalfCauchy(0.0, -1.0, validate_args=True)


def test_below_support():
    d = tfd.HalfCauchy(np.array([1.0, -2.0]), 2.0)
    x = np.array([0.999, -7.0])
    assert np.all(d.log_prob(x) == -np.inf)
    np.testing.assert_array_equal(d.cdf(x), 0.0)
    np.testing.assert_array_equal(d.log_cdf(x), -np.inf)
    np.testing.assert_array_equal(d.survival_function(x), 1.0)
    np.testing.assert_array_equal(d.log_survival_function(x), 0.0)
    np.testing.assert_allclose(d.log_prob(np.array([1.0, -2.0])), np.log(1 / np.pi))
    with pytest.raises(ValueError, match="support"):
        tfd.HalfCauchy(1.0, 1.0, validate_args=True).log_prob(0.5)


def test_undefined_moments_raise_without_nan_stats():
    d = tfd.HalfCauchy(0.0, 1.0, allow_nan_stats=False)
    with pytest.raises(ValueError, match="undefined"):
        d.mean()


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_far_tails_finite(dtype):
    d = tfd.HalfCauchy(dtype(0.0), dtype(1.0))
    np.testing.assert_allclose(
        d.log_survival_function(dtype(1e30)), np.log(2 / np.pi) - np.log(1e30), rtol=1e-6
    )
    np.testing.assert_allclose(d.log_cdf(dtype(1e-30)), np.log(2 / np.pi * 1e-30), rtol=1e-6)
    np.testing.assert_allclose(d.log_cdf(dtype(1e30)), -2 / np.pi * 1e-30, rtol=1e-6)
    p = np.array([1e-30, 0.3, 1 - 2.0**-20], dtype)
    np.testing.assert_allclose(d.quantile(p), scipy.stats.halfcauchy.ppf(p.astype(np.float64)), rtol=1e-6)
