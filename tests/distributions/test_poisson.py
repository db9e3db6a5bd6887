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
        name="poisson_rate",
        make=lambda rate: tfd.Poisson(rate=rate),
        reference=lambda rate: scipy.stats.poisson(rate),
        params=dict(rate=np.array([0.7, 13.5, 250.0])),
        discrete=True,
        missing=("quantile", "entropy"),
        expected_mode=lambda rate: np.floor(rate),
        # JAX's gammainc/gammaincc hold ~1e-9 relative error up to shapes near 1e6, then degrade
        # (1e-5 at 1e8), so rates stay below 1e6.
        wide=dict(rate=st.floats(1e-10, 1e6).filter(lambda r: r > 0)),
    ),
    OracleCase(
        name="poisson_log_rate",
        make=lambda log_rate: tfd.Poisson(log_rate=log_rate),
        reference=lambda log_rate: scipy.stats.poisson(np.exp(log_rate)),
        params=dict(log_rate=np.array([-2.5, 1.2, 4.0])),
        discrete=True,
        missing=("quantile", "entropy"),
        expected_mode=lambda log_rate: np.floor(np.exp(log_rate)),
        wide=dict(log_rate=st.floats(-20.0, 13.0)),
    ),
]

test_oracle, test_sampling, test_transforms, test_wide = oracle_suite(CASES)


def test_rate_and_log_rate_exclusive():
    with pytest.raises(ValueError, match="rate"):
        tfd.Poisson(rate=1.0, log_rate=0.0)
    with pytest.raises(ValueError, match="log_rate"):
        tfd.Poisson()


def test_parameter_accessors():
    np.testing.assert_allclose(tfd.Poisson(log_rate=jnp.log(3.0)).rate_parameter(), 3.0, rtol=1e-6)
    np.testing.assert_allclose(tfd.Poisson(rate=3.0).log_rate_parameter(), np.log(3.0), rtol=1e-6)


def test_validate_args():
    with pytest.raises(ValueError, match="rate"):
        tfd.Poisson(rate=-1.0, validate_args=True)
    with pytest.raises(ValueError, match="support"):
        tfd.Poisson(rate=1.0, validate_args=True).log_prob(1.5)


def test_outside_support_and_cdf_edges():
    d = tfd.Poisson(rate=jnp.array([0.5, 4.0]))
    assert np.all(np.isneginf(d.log_prob(jnp.array([[-1.0], [2.5]]))))
    np.testing.assert_array_equal(d.cdf(jnp.array([[-0.5], [-7.0]])), 0.0)
    np.testing.assert_array_equal(d.survival_function(-1.0), 1.0)
    np.testing.assert_allclose(d.cdf(2.9), d.cdf(2.0))
    np.testing.assert_allclose(d.log_survival_function(jnp.array([[-1.0]])), 0.0)


def test_zero_rate():
    d = tfd.Poisson(rate=jnp.float64(0.0))
    np.testing.assert_array_equal(d.log_prob(jnp.array([0.0, 1.0])), [0.0, -np.inf])
    np.testing.assert_array_equal(d.cdf(0.0), 1.0)
    np.testing.assert_array_equal(d.sample(5, seed=0), 0.0)


def test_log_prob_gradient_outside_support_is_finite():
    def total(rate):
        return jnp.sum(tfd.Poisson(rate=rate).log_prob(jnp.array([-2.0, 3.0])))

    np.testing.assert_allclose(jax.grad(total)(jnp.float64(2.0)), 3 / 2 - 1, rtol=1e-12)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_extremes_finite(dtype):
    # log_cdf and log_survival_function are logs of the incomplete gamma functions, so they are
    # finite while the tail itself is representable (down to about e^-87 in float32).
    d = tfd.Poisson(log_rate=np.array([-30.0, 4.0, 25.0], dtype))
    x = np.array([[0.0], [1.0]], dtype)
    assert np.all(np.isfinite(d.log_prob(x)))
    assert np.all(np.isfinite(d.log_cdf(x)[:, :2])) and np.all(np.isfinite(d.log_survival_function(x)))
    np.testing.assert_allclose(d.log_survival_function(x)[1, 0], -60 - np.log(2.0), rtol=1e-5)


def test_sample_shape_and_dtype():
    d = tfd.Poisson(rate=np.array([3.0, 1e4], np.float32))
    draws = np.asarray(d.sample((4, 5), seed=0))
    assert draws.shape == (4, 5, 2) and draws.dtype == np.float32
    assert np.all((draws >= 0) & (draws == np.floor(draws)))
    assert d.reparameterization_type == tfd.NOT_REPARAMETERIZED


def _exact_kl(rate_p, rate_q, upper=400):
    k = np.arange(upper, dtype=np.float64)
    p = scipy.stats.poisson(rate_p).pmf(k)
    log_q = scipy.stats.poisson(rate_q).logpmf(k)
    visited = p > 0  # p log p is 0 where p = 0
    return np.sum(p[visited] * (np.log(p[visited]) - log_q[visited]))


@pytest.mark.parametrize("rate_p, rate_q", [(1.0, 2.0), (7.5, 0.3), (40.0, 41.0), (0.02, 5.0), (0.0, 3.0)])
def test_kl_against_exact_sum(rate_p, rate_q):
    p = tfd.Poisson(rate=np.float64(rate_p))
    q = tfd.Poisson(log_rate=np.log(np.float64(rate_q)))
    np.testing.assert_allclose(tfd.kl_divergence(p, q), _exact_kl(rate_p, rate_q), rtol=1e-10)


def test_kl_batched_and_close_rates():
    p = tfd.Poisson(rate=np.array([[1.0], [5.0]]))
    q = tfd.Poisson(rate=np.array([2.0, 5.0, 5.000001]))
    kl = np.asarray(tfd.kl_divergence(p, q))
    assert kl.shape == (2, 3)
    np.testing.assert_allclose(kl[1, 1], 0.0, atol=1e-15)
    # Second order in the rate difference: KL ~ (r1 - r2)^2 / (2 r2).
    np.testing.assert_allclose(kl[1, 2], 1e-12 / 10, rtol=1e-3)
    grad = jax.grad(lambda r: tfd.kl_divergence(tfd.Poisson(rate=r), tfd.Poisson(rate=2.0)))(0.0)
    assert np.isfinite(grad)
