import hypothesis.strategies as st
import jax
import jax.numpy as jnp
import numpy as np
import pytest
import scipy.special
import scipy.stats

from probax import distributions as tfd
from tests.distributions.oracle import OracleCase, oracle_suite


def _mode(concentration, scale):
    k = concentration
    safe = np.where(k > 1, k, 2.0)
    return np.where(k > 1, scale * ((safe - 1) / safe) ** (1 / safe), 0.0)


CASES = [
    OracleCase(
        name="weibull",
        make=tfd.Weibull,
        reference=lambda concentration, scale: scipy.stats.weibull_min(concentration, scale=scale),
        params=dict(concentration=np.array([0.5, 1.5, 20.0, 1.0]), scale=np.array([1.0, 3.0, 0.01, 2.0])),
        expected_mode=_mode,
        wide=dict(concentration=st.floats(1e-2, 1e3), scale=st.floats(1e-30, 1e30)),
        reparameterized_params=("concentration", "scale"),
    ),
]

test_oracle, test_sampling, test_transforms, test_wide = oracle_suite(CASES)


def test_closed_form_inverse_cdf_and_bounds():
    d = tfd.Weibull(2.0, 3.0)
    np.testing.assert_allclose(d.quantile(-np.expm1(-1.0)), 3.0, rtol=1e-6)
    np.testing.assert_array_equal(d.quantile(np.array([0.0, 1.0])), [0.0, np.inf])
    np.testing.assert_array_equal(d.cdf(np.array([-1.0, 0.0, np.inf])), [0.0, 0.0, 1.0])
    np.testing.assert_array_equal(d.log_prob(-1.0), -np.inf)
    np.testing.assert_allclose(tfd.Weibull(1.0, 2.0).log_prob(0.0), np.log(0.5), rtol=1e-6)
    with pytest.raises(ValueError, match="`concentration` must be positive"):
        tfd.Weibull(0.0, 1.0, validate_args=True)


def test_variance_accurate_for_large_concentration():
    k = np.array([50.0, 1e3, 1e5])
    d = tfd.Weibull(k.astype(np.float32), np.float32(1.0))
    expected = scipy.stats.weibull_min(k).var()
    # scipy's Gamma(1 + 2h) - Gamma(1 + h)**2 cancels badly at k = 1e5 (error ~2e-5); use the expansion
    # pi^2/6 h^2 - 2 zeta(3) h^3 + O(h^4), h = 1/k (relative error ~1e-14 here), times Gamma(1 + h)^2.
    h = 1 / k[2]
    ratio = np.pi**2 / 6 * h**2 - 2 * scipy.special.zeta(3) * h**3 + 3.7881313179889835 * h**4
    expected[2] = scipy.special.gamma(1 + h) ** 2 * np.expm1(ratio)
    np.testing.assert_allclose(d.variance(), expected, rtol=1e-4)
    np.testing.assert_allclose(tfd.Weibull(k, 1.0).variance(), expected, rtol=1e-9)


def test_tails_accurate_in_float32():
    d = tfd.Weibull(jnp.float32(1.5), jnp.float32(2.0))
    ref = scipy.stats.weibull_min(1.5, scale=2.0)
    x = jnp.asarray([1e-12, 30.0], jnp.float32)
    for method, name in [("log_cdf", "logcdf"), ("log_survival_function", "logsf"), ("log_prob", "logpdf")]:
        np.testing.assert_allclose(getattr(d, method)(x), getattr(ref, name)(np.float64(x)), rtol=1e-5)
    grads = jax.grad(lambda k, s: jnp.sum(tfd.Weibull(k, s).log_prob(x)), argnums=(0, 1))(1.5, 2.0)
    assert np.all(np.isfinite(grads))
    np.testing.assert_allclose(d.entropy(), ref.entropy(), rtol=1e-6)
    np.testing.assert_allclose(d.mean(), 2.0 * scipy.special.gamma(1 + 1 / 1.5), rtol=1e-6)
