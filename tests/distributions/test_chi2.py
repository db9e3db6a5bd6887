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
        name="chi2",
        make=tfd.Chi2,
        reference=lambda df: scipy.stats.chi2(df),
        params=dict(df=np.array([0.5, 3.0, 2.0, 80.0])),
        expected_mode=lambda df: np.where(df >= 2, df - 2, np.nan),
        wide=dict(df=st.floats(1e-2, 2e3)),
        reparameterized_params=("df",),
    ),
]

test_oracle, test_sampling, test_transforms, test_wide = oracle_suite(CASES)


def test_matches_gamma():
    df = np.array([0.7, 4.0, 31.0])
    d, g = tfd.Chi2(df), tfd.Gamma(df / 2, rate=0.5)
    x = np.array([0.01, 1.0, 25.0])[:, None]
    for method in ("log_prob", "cdf", "log_survival_function"):
        np.testing.assert_allclose(getattr(d, method)(x), getattr(g, method)(x), rtol=1e-12)
    np.testing.assert_allclose(d.entropy(), g.entropy(), rtol=1e-12)


def test_outside_support_and_validation():
    d = tfd.Chi2(3.0)
    np.testing.assert_array_equal(d.log_prob(-1.0), -np.inf)
    np.testing.assert_array_equal(d.cdf(np.array([-1.0, 0.0])), [0.0, 0.0])
    np.testing.assert_array_equal(d.quantile(np.array([0.0, 1.0])), [0.0, np.inf])
    with pytest.raises(ValueError, match="`df` must be positive"):
        tfd.Chi2(-2.0, validate_args=True)
    with pytest.raises(ValueError, match="mode is undefined"):
        tfd.Chi2(1.0, allow_nan_stats=False).mode()


def test_finite_in_float32():
    df = jnp.asarray([1e-3, 1e4], jnp.float32)
    d = tfd.Chi2(df)
    assert np.all(np.isfinite(d.sample(50, seed=2)))
    assert np.all(np.isfinite(d.log_prob(d.mean())))
    assert np.all(np.isfinite(jax.grad(lambda v: jnp.sum(tfd.Chi2(v).log_prob(jnp.float32(2.0))))(df)))


def test_kl_matches_gamma_form():
    df_p, df_q = np.array([0.7, 4.0, 31.0]), np.array([2.0, 3.0, 40.0])
    gamma_p, gamma_q = tfd.Gamma(df_p / 2, rate=0.5), tfd.Gamma(df_q / 2, rate=0.5)
    expected = tfd.kl_divergence(gamma_p, gamma_q)  # checked against quadrature in test_gamma
    np.testing.assert_allclose(tfd.kl_divergence(tfd.Chi2(df_p), tfd.Chi2(df_q)), expected, rtol=1e-12)
    np.testing.assert_allclose(tfd.kl_divergence(tfd.Chi2(df_p), gamma_q), expected, rtol=1e-12)
    np.testing.assert_allclose(tfd.kl_divergence(gamma_p, tfd.Chi2(df_q)), expected, rtol=1e-12)
    exponential = tfd.Exponential(np.array([0.5, 2.0, 0.1]))
    np.testing.assert_allclose(
        tfd.kl_divergence(tfd.Chi2(df_p), exponential),
        tfd.kl_divergence(gamma_p, tfd.Gamma(1.0, rate=exponential.rate)), rtol=1e-12)
