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
        name="pareto",
        make=tfd.Pareto,
        reference=lambda concentration, scale: scipy.stats.pareto(concentration, scale=scale),
        # 0.8: infinite mean and variance; 2.5: finite mean, infinite variance.
        params=dict(concentration=np.array([0.8, 2.5, 10.0]), scale=np.array([1.0, 0.05, 300.0])),
        expected_mode=lambda concentration, scale: scale,
        # Scales are powers of two: scipy standardizes x / scale before its log cdf, and that rounding
        # alone moves log_cdf by ~1e-4 just above the scale for large concentrations (probax forms
        # log1p((x - scale) / scale), exact there).
        wide=dict(concentration=st.floats(1e-3, 1e4), scale=st.integers(-99, 99).map(lambda e: 2.0**e)),
        reparameterized_params=("concentration", "scale"),
    ),
]

test_oracle, test_sampling, test_transforms, test_wide = oracle_suite(CASES)


def test_support_starts_at_scale():
    d = tfd.Pareto(2.0, 3.0)
    np.testing.assert_array_equal(d.log_prob(np.array([0.0, 2.999, -1.0])), [-np.inf] * 3)
    np.testing.assert_allclose(d.log_prob(3.0), np.log(2.0 / 3.0), rtol=1e-6)
    np.testing.assert_array_equal(d.cdf(np.array([-1.0, 2.0, 3.0, np.inf])), [0.0, 0.0, 0.0, 1.0])
    np.testing.assert_array_equal(d.log_survival_function(np.array([2.0, 3.0])), [0.0, 0.0])
    np.testing.assert_array_equal(d.quantile(np.array([0.0, 1.0])), [3.0, np.inf])
    with pytest.raises(ValueError, match="outside the support"):
        tfd.Pareto(2.0, 3.0, validate_args=True).log_prob(2.5)
    with pytest.raises(ValueError, match="`scale` must be positive"):
        tfd.Pareto(2.0, -3.0, validate_args=True)


def test_default_scale_and_infinite_moments():
    d = tfd.Pareto(np.array([0.5, 1.5, 3.0]))
    np.testing.assert_array_equal(d.scale, 1.0)
    np.testing.assert_array_equal(d.mean(), [np.inf, 3.0, 1.5])
    np.testing.assert_allclose(d.variance(), [np.inf, np.inf, 0.75], rtol=1e-12)


def test_log_cdf_just_above_a_non_binary_scale():
    # Exact value computed with 60-digit decimals for these float64 inputs; scipy gives -23.02624.
    d = tfd.Pareto(np.float64(359.0), np.float64(1e-30))
    np.testing.assert_allclose(d.log_cdf(1.0000000000002786e-30), -23.02600697163789, rtol=1e-13)


def test_near_scale_accurate_in_float32():
    d = tfd.Pareto(jnp.float32(3.0), jnp.float32(1.0))
    x = jnp.float32(1 + 2**-20)
    ref = scipy.stats.pareto(3.0)
    np.testing.assert_allclose(d.log_cdf(x), ref.logcdf(np.float64(x)), rtol=1e-5)
    np.testing.assert_allclose(d.log_survival_function(x), ref.logsf(np.float64(x)), rtol=1e-5)
    grad_fn = jax.grad(lambda c, s: tfd.Pareto(c, s).log_prob(x), argnums=(0, 1))
    grads = grad_fn(jnp.float32(3.0), jnp.float32(1.0))
    assert np.all(np.isfinite(grads))
