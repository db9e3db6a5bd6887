import hypothesis.strategies as st
import jax
import jax.numpy as jnp
import numpy as np
import pytest
import scipy.stats

from probax import distributions as tfd
from tests.distributions.oracle import OracleCase, oracle_suite


def _reference(loc, concentration):
    # TFP's (mean mu, shape lambda) is scipy's invgauss(mu / lambda, scale=lambda).
    return scipy.stats.invgauss(loc / concentration, scale=concentration)


def _mode(loc, concentration):
    c = 1.5 * loc / concentration
    return loc * (np.sqrt(1 + c**2) - c)


CASES = [
    OracleCase(
        name="inverse_gaussian",
        make=tfd.InverseGaussian,
        reference=_reference,
        params=dict(loc=np.array([1.0, 0.2, 30.0]), concentration=np.array([2.0, 50.0, 0.7])),
        expected_mode=_mode,
        missing=("entropy",),
        wide=dict(
            loc=st.floats(1e-3, 1e3),
            concentration=st.floats(1e-3, 1e3),
        ),
        wide_methods=("log_prob", "log_cdf", "log_survival_function", "quantile"),
    ),
]

test_oracle, test_sampling, test_transforms, test_wide = oracle_suite(CASES)


def test_reparameterization_type():
    assert tfd.InverseGaussian(1.0, 1.0).reparameterization_type == tfd.NOT_REPARAMETERIZED


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_large_shape_does_not_overflow(dtype):
    # exp(2 lambda / mu) = exp(2000) overflows every float; the cdf must not.
    d = tfd.InverseGaussian(dtype(1.0), dtype(1000.0))
    ref = _reference(1.0, 1000.0)
    x = np.array([0.8, 0.95, 1.0, 1.05, 1.3], dtype)
    tolerance = 2e-4 if dtype == np.float32 else 1e-9
    for method, name in [("log_cdf", "logcdf"), ("log_survival_function", "logsf"), ("cdf", "cdf")]:
        actual = np.asarray(getattr(d, method)(x))
        assert np.all(np.isfinite(actual)), method
        expected = getattr(ref, name)(x.astype(float))
        np.testing.assert_allclose(actual, expected, rtol=tolerance, err_msg=method)


@pytest.mark.slow
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_far_right_tail(dtype):
    d = tfd.InverseGaussian(dtype(1.0), dtype(2.0))
    ref = _reference(1.0, 2.0)
    x = np.array([20.0, 100.0, 300.0], dtype)
    tolerance = 1e-4 if dtype == np.float32 else 1e-9
    np.testing.assert_allclose(d.log_survival_function(x), ref.logsf(x.astype(float)), rtol=tolerance)
    p = np.array([1e-30, 1e-8, 0.5, 1 - 1e-7], dtype)
    np.testing.assert_allclose(d.quantile(p), ref.ppf(p.astype(float)), rtol=tolerance * 10)


@pytest.mark.slow
def test_support_and_ends():
    d = tfd.InverseGaussian(2.0, 3.0)
    assert d.log_prob(-1.0) == -np.inf and d.log_prob(0.0) == -np.inf
    np.testing.assert_array_equal(d.cdf(np.array([-1.0, 0.0, np.inf])), [0.0, 0.0, 1.0])
    np.testing.assert_array_equal(d.survival_function(np.array([-1.0, np.inf])), [1.0, 0.0])
    np.testing.assert_array_equal(d.quantile(np.array([0.0, 1.0])), [0.0, np.inf])


def test_validate_args():
    with pytest.raises(ValueError, match="loc"):
        tfd.InverseGaussian(-1.0, 1.0, validate_args=True)
    with pytest.raises(ValueError, match="concentration"):
        tfd.InverseGaussian(1.0, 0.0, validate_args=True)
    with pytest.raises(ValueError, match="support"):
        tfd.InverseGaussian(1.0, 1.0, validate_args=True).log_prob(-2.0)


@pytest.mark.slow
def test_samples_float32_positive_and_quantile_gradient():
    d = tfd.InverseGaussian(jnp.float32(3.0), jnp.float32(1e-3))
    x = np.asarray(d.sample(10_000, seed=jax.random.key(1)))
    assert x.dtype == np.float32 and np.all(x > 0) and np.all(np.isfinite(x))
    # d quantile / d loc at fixed p: by the implicit function theorem, -(dF/dloc) / pdf.
    gradient = jax.grad(lambda m: tfd.InverseGaussian(m, 2.0).quantile(0.3))(1.0)
    step = 1e-6
    numeric = (_reference(1.0 + step, 2.0).ppf(0.3) - _reference(1.0 - step, 2.0).ppf(0.3)) / (2 * step)
    np.testing.assert_allclose(gradient, numeric, rtol=1e-6)
