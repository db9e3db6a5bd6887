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
        name="inverse-gamma",
        make=tfd.InverseGamma,
        reference=lambda concentration, scale: scipy.stats.invgamma(concentration, scale=scale),
        # concentration > 2 throughout, so that scipy's mean and variance are finite.
        params=dict(concentration=np.array([2.5, 4.0, 30.0]), scale=np.array([1.0, 0.2, 50.0])),
        expected_mode=lambda concentration, scale: scale / (concentration + 1),
        wide=dict(concentration=st.floats(1e-2, 1e3), scale=st.floats(1e-20, 1e20)),
        reparameterized_params=("concentration", "scale"),
    ),
]

test_oracle, test_sampling, test_transforms, test_wide = oracle_suite(CASES)


def test_undefined_moments_are_nan():
    d = tfd.InverseGamma(np.array([0.5, 1.5, 3.0]), 2.0)
    np.testing.assert_array_equal(np.isnan(d.mean()), [True, False, False])
    np.testing.assert_array_equal(np.isnan(d.variance()), [True, True, False])
    np.testing.assert_array_equal(np.isnan(d.stddev()), [True, True, False])
    np.testing.assert_allclose(d.stddev()[2], np.sqrt(d.variance()[2]), rtol=1e-12)
    with pytest.raises(ValueError, match="mean is undefined"):
        tfd.InverseGamma(0.5, 1.0, allow_nan_stats=False).mean()


def test_outside_support_and_validation():
    d = tfd.InverseGamma(2.0, 1.0)
    np.testing.assert_array_equal(d.log_prob(np.array([-1.0, 0.0])), [-np.inf, -np.inf])
    np.testing.assert_array_equal(d.cdf(np.array([-1.0, 0.0, np.inf])), [0.0, 0.0, 1.0])
    np.testing.assert_array_equal(d.log_survival_function(-1.0), 0.0)
    np.testing.assert_array_equal(d.quantile(np.array([0.0, 1.0])), [0.0, np.inf])
    with pytest.raises(ValueError, match="`scale` must be positive"):
        tfd.InverseGamma(1.0, 0.0, validate_args=True)
    with pytest.raises(ValueError, match="outside the support"):
        tfd.InverseGamma(1.0, 1.0, validate_args=True).log_prob(0.0)


def test_log_prob_gradient_finite_near_zero():
    grad = jax.grad(lambda c, s: tfd.InverseGamma(c, s).log_prob(1e-3), argnums=(0, 1))(2.0, 0.01)
    assert np.all(np.isfinite(grad))


def test_extreme_parameters_finite_in_float32():
    c = jnp.asarray([1e-2, 1e4], jnp.float32)
    d = tfd.InverseGamma(c, jnp.asarray([1e-10, 1e10], jnp.float32))
    x = d.sample(100, seed=4)
    assert np.all(np.isfinite(d.log_prob(d.mode())))
    assert np.all(np.isfinite(d.entropy()))
    assert np.all(x > 0)
