import hypothesis.strategies as st
import jax
import jax.numpy as jnp
import numpy as np
import pytest
import scipy.special
import scipy.stats

from probax import distributions as tfd
from tests.distributions.oracle import OracleCase, oracle_suite


class _LogitNormalGen(scipy.stats.rv_continuous):
    """scipy has no LogitNormal: X = expit(Y), Y ~ N(mu, sigma); moments by scipy's generic quadrature."""

    def _argcheck(self, mu, sigma):
        return np.isfinite(mu) & (sigma > 0)

    @staticmethod
    def _z(x, mu, sigma):
        with np.errstate(divide="ignore"):  # x can round to 0 or 1 at extreme quantiles
            return (np.log(x) - np.log1p(-x) - mu) / sigma

    def _logpdf(self, x, mu, sigma):
        with np.errstate(divide="ignore", invalid="ignore"):
            value = scipy.stats.norm.logpdf(self._z(x, mu, sigma)) - np.log(sigma) - np.log(x) - np.log1p(-x)
        return np.where((x > 0) & (x < 1), value, -np.inf)

    def _pdf(self, x, mu, sigma):
        return np.exp(self._logpdf(x, mu, sigma))

    def _cdf(self, x, mu, sigma):
        return scipy.stats.norm.cdf(self._z(x, mu, sigma))

    def _logcdf(self, x, mu, sigma):
        return scipy.stats.norm.logcdf(self._z(x, mu, sigma))

    def _sf(self, x, mu, sigma):
        return scipy.stats.norm.sf(self._z(x, mu, sigma))

    def _logsf(self, x, mu, sigma):
        return scipy.stats.norm.logsf(self._z(x, mu, sigma))

    def _ppf(self, q, mu, sigma):
        return scipy.special.expit(mu + sigma * scipy.stats.norm.ppf(q))


_logitnorm = _LogitNormalGen(a=0.0, b=1.0, name="logitnorm")


def _reference(loc, scale):
    return _logitnorm(loc, scale)


CASES = [
    OracleCase(
        name="logit-normal",
        make=tfd.LogitNormal,
        reference=_reference,
        params=dict(loc=np.array([0.0, -1.5, 4.0]), scale=np.array([1.0, 0.3, 2.5])),
        missing=("mean", "variance", "stddev", "mode", "entropy"),
        wide=dict(loc=st.floats(-20.0, 20.0), scale=st.floats(1e-6, 20.0)),
        reparameterized_params=("loc", "scale"),
    ),
]

test_oracle, test_sampling, test_transforms, test_wide = oracle_suite(CASES)


def test_ends_and_outside_support():
    d = tfd.LogitNormal(0.3, 1.0)
    np.testing.assert_array_equal(d.log_prob(np.array([-0.5, 0.0, 1.0, 1.5])), [-np.inf] * 4)
    np.testing.assert_array_equal(d.cdf(np.array([-0.5, 0.0, 1.0, 1.5])), [0.0, 0.0, 1.0, 1.0])
    np.testing.assert_array_equal(d.log_survival_function(np.array([-0.5, 0.0])), [0.0, 0.0])
    np.testing.assert_array_equal(d.quantile(np.array([0.0, 1.0])), [0.0, 1.0])
    # 0 and 1 are accepted under validation (a float sigmoid can round to them); 1.5 is not.
    tfd.LogitNormal(0.0, 1.0, validate_args=True).log_prob(np.array([0.0, 1.0]))
    with pytest.raises(ValueError, match="outside the support"):
        tfd.LogitNormal(0.0, 1.0, validate_args=True).log_prob(1.5)


def test_gradients_finite_including_ends():
    def total(loc, scale):
        return jnp.sum(tfd.LogitNormal(loc, scale).log_prob(jnp.array([0.0, 0.2, 0.999, 1.0])))

    assert np.all(np.isfinite(jax.grad(total, argnums=(0, 1))(0.3, 1.2)))


def test_near_one_accurate_in_float32():
    d = tfd.LogitNormal(jnp.float32(3.0), jnp.float32(0.5))
    x = jnp.float32(1 - 2**-20)
    ref = _reference(3.0, 0.5)
    np.testing.assert_allclose(d.log_prob(x), ref.logpdf(np.float64(x)), rtol=1e-5)
    np.testing.assert_allclose(d.log_survival_function(x), ref.logsf(np.float64(x)), rtol=1e-5)
