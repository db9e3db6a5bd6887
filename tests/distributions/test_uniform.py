import hypothesis.strategies as st
import jax
import jax.numpy as jnp
import numpy as np
import pytest
import scipy.integrate
import scipy.stats

from probax import distributions as tfd
from tests.distributions.oracle import OracleCase, oracle_suite

CASES = [
    OracleCase(
        name="uniform",
        make=tfd.Uniform,
        reference=lambda low, high: scipy.stats.uniform(low, high - low),
        params=dict(low=np.array([0.0, -2.5, 1e3]), high=np.array([1.0, -1.0, 1050.0])),
        expected_mode=lambda low, high: low,
        wide=dict(low=st.floats(-1e6, 0.0), high=st.floats(1e-30, 1e6)),
        reparameterized_params=("low", "high"),
    ),
]

test_oracle, test_sampling, test_transforms, test_wide = oracle_suite(CASES)


@pytest.mark.parametrize("dtype", [jnp.float32, jnp.float64])
def test_bounds_are_exact(dtype):
    d = tfd.Uniform(jnp.asarray(-0.3, dtype), jnp.asarray(1.7, dtype))
    np.testing.assert_array_equal(d.cdf(jnp.asarray([-5.0, -0.3, 1.7, 9.0], dtype)), [0, 0, 1, 1])
    np.testing.assert_array_equal(d.survival_function(jnp.asarray([-5.0, -0.3, 1.7, 9.0], dtype)),
                                  [1, 1, 0, 0])
    np.testing.assert_array_equal(d.quantile(jnp.asarray([0.0, 1.0], dtype)), np.asarray([-0.3, 1.7], dtype))
    np.testing.assert_array_equal(d.log_cdf(jnp.asarray(-0.3, dtype)), -np.inf)
    np.testing.assert_array_equal(d.log_survival_function(jnp.asarray(1.7, dtype)), -np.inf)
    np.testing.assert_allclose(d.log_prob(jnp.asarray([-0.3, 1.7], dtype)), -np.log(2.0), rtol=1e-6)
    np.testing.assert_array_equal(d.log_prob(jnp.asarray([-0.31, 1.71], dtype)), -np.inf)


def test_defaults_are_standard_uniform():
    d = tfd.Uniform()
    assert float(d.low) == 0.0 and float(d.high) == 1.0
    draws = d.sample(1000, seed=0)
    assert np.all((draws >= 0) & (draws < 1))


def test_low_not_below_high_rejected_when_validating():
    with pytest.raises(ValueError, match="`low` must be less than `high`"):
        tfd.Uniform(1.0, 1.0, validate_args=True)
    with pytest.raises(ValueError, match="outside the support"):
        tfd.Uniform(0.0, 1.0, validate_args=True).log_prob(1.5)


def test_log_prob_gradient_in_bounds():
    grad = jax.grad(lambda lo, hi: tfd.Uniform(lo, hi).log_prob(0.5), argnums=(0, 1))(0.0, 2.0)
    np.testing.assert_allclose(grad, (0.5, -0.5), rtol=1e-6)


@pytest.mark.parametrize(("p", "q"), [((0.0, 1.0), (-1.0, 3.0)), ((2.0, 2.5), (2.0, 2.5)),
                                      ((-5.0, 1.0), (-7.0, 4.0))])
def test_kl_matches_quadrature(p, q):
    kl = tfd.kl_divergence(tfd.Uniform(*np.float64(p)), tfd.Uniform(*np.float64(q)))
    ref_p = scipy.stats.uniform(p[0], p[1] - p[0])
    ref_q = scipy.stats.uniform(q[0], q[1] - q[0])
    expected, _ = scipy.integrate.quad(lambda x: ref_p.pdf(x) * (ref_p.logpdf(x) - ref_q.logpdf(x)),
                                       p[0], p[1], epsabs=1e-13, epsrel=1e-12)
    np.testing.assert_allclose(kl, expected, rtol=1e-9, atol=1e-12)


def test_kl_is_infinite_when_support_not_nested():
    p = tfd.Uniform(np.array([0.0, 0.0, -1.0]), np.array([1.0, 2.0, 1.0]))
    q = tfd.Uniform(np.array([0.5, -1.0, 0.0]), np.array([1.0, 1.5, 3.0]))
    np.testing.assert_array_equal(tfd.kl_divergence(p, q), [np.inf, np.inf, np.inf])
