import hypothesis.strategies as st
import jax
import jax.numpy as jnp
import numpy as np
import pytest
import scipy.integrate
import scipy.stats

from probax import distributions as tfd
from tests.distributions.oracle import OracleCase, oracle_suite

CONCENTRATION = np.array([0.5, 2.0, 30.0])
RATE = np.array([1.0, 0.3, 5.0])


def _mode(concentration, rate=None, log_rate=None):
    rate = rate if rate is not None else np.exp(log_rate)
    return np.where(concentration >= 1, (concentration - 1) / rate, np.nan)


CASES = [
    OracleCase(
        name="gamma-rate",
        make=lambda concentration, rate: tfd.Gamma(concentration, rate=rate),
        reference=lambda concentration, rate: scipy.stats.gamma(concentration, scale=1 / rate),
        params=dict(concentration=CONCENTRATION, rate=RATE),
        expected_mode=_mode,
        wide=dict(
            concentration=st.floats(1e-2, 1e3),
            rate=st.floats(1e-20, 1e20),
        ),
        reparameterized_params=("concentration", "rate"),
    ),
    OracleCase(
        name="gamma-log-rate",
        make=lambda concentration, log_rate: tfd.Gamma(concentration, log_rate=log_rate),
        reference=lambda concentration, log_rate: scipy.stats.gamma(concentration, scale=np.exp(-log_rate)),
        params=dict(concentration=CONCENTRATION, log_rate=np.log(RATE)),
        expected_mode=_mode,
        reparameterized_params=("concentration", "log_rate"),
    ),
]

test_oracle, test_sampling, test_transforms, test_wide = oracle_suite(CASES)


def test_exactly_one_of_rate_and_log_rate():
    with pytest.raises(ValueError, match="exactly one of `rate` or `log_rate`"):
        tfd.Gamma(1.0, rate=1.0, log_rate=0.0)
    with pytest.raises(ValueError, match="neither"):
        tfd.Gamma(1.0)


def test_bad_parameters_rejected_when_validating():
    with pytest.raises(ValueError, match="`concentration` must be positive"):
        tfd.Gamma(0.0, rate=1.0, validate_args=True)
    with pytest.raises(ValueError, match="`rate` must be positive"):
        tfd.Gamma(1.0, rate=-1.0, validate_args=True)


def test_outside_support():
    d = tfd.Gamma(2.0, rate=1.0)
    np.testing.assert_array_equal(d.log_prob(-1.0), -np.inf)
    np.testing.assert_array_equal(d.cdf(np.array([-1.0, 0.0, np.inf])), [0.0, 0.0, 1.0])
    np.testing.assert_array_equal(d.survival_function(-1.0), 1.0)
    np.testing.assert_array_equal(d.quantile(np.array([0.0, 1.0])), [0.0, np.inf])
    # Exponential-like boundary: finite density at 0.
    np.testing.assert_allclose(tfd.Gamma(1.0, rate=3.0).log_prob(0.0), np.log(3.0), rtol=1e-12)


def test_extreme_parameters_finite_in_float32():
    c = jnp.asarray([1e-3, 1e4], jnp.float32)
    d = tfd.Gamma(c, log_rate=jnp.asarray([30.0, -30.0], jnp.float32))
    x = d.sample(100, seed=1)
    assert np.all(np.isfinite(x)) and np.all(x >= 0)
    mean = d.mean()
    lp = d.log_prob(mean)
    assert np.all(np.isfinite(lp)) and np.all(np.isfinite(d.entropy()))
    grads = jax.grad(lambda c: jnp.sum(tfd.Gamma(c, rate=2.0).log_prob(jnp.float32(3.0))))(c)
    assert np.all(np.isfinite(grads))


def _kl_quadrature(p, q):
    integrand = lambda x: p.pdf(x) * (p.logpdf(x) - q.logpdf(x))  # noqa: E731
    lo, hi = p.ppf(1e-14), p.isf(1e-16)
    value, _ = scipy.integrate.quad(integrand, 0.0, hi, points=[lo, p.median()], limit=500,
                                    epsabs=1e-13, epsrel=1e-11)
    return value


@pytest.mark.parametrize(("p", "q"), [((2.0, 1.0), (3.0, 0.5)), ((0.7, 2.0), (1.5, 3.0)),
                                      ((30.0, 5.0), (25.0, 4.0)), ((1.0, 1.0), (1.0, 1.0))])
def test_kl_matches_quadrature(p, q):
    kl = tfd.kl_divergence(tfd.Gamma(np.float64(p[0]), rate=np.float64(p[1])),
                           tfd.Gamma(np.float64(q[0]), log_rate=np.log(q[1])))
    expected = _kl_quadrature(scipy.stats.gamma(p[0], scale=1 / p[1]),
                              scipy.stats.gamma(q[0], scale=1 / q[1]))
    np.testing.assert_allclose(kl, expected, rtol=1e-8, atol=1e-12)


def test_kl_broadcasts_batches():
    p = tfd.Gamma(np.array([[1.0], [2.0]]), rate=np.array([1.0, 3.0, 0.5]))
    q = tfd.Gamma(1.5, rate=2.0)
    kl = tfd.kl_divergence(p, q)
    assert kl.shape == (2, 3)
    assert np.all(kl > 0)
