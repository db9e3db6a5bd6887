import hypothesis.strategies as st
import jax
import jax.numpy as jnp
import numpy as np
import pytest
import scipy.integrate
import scipy.stats

from probax import distributions as tfd
from tests.distributions.oracle import OracleCase, oracle_suite


def _reference(loc, scale):
    return scipy.stats.lognorm(scale, scale=np.exp(loc))


CASES = [
    OracleCase(
        name="log-normal",
        make=tfd.LogNormal,
        reference=_reference,
        params=dict(loc=np.array([0.0, -1.5, 4.0]), scale=np.array([1.0, 0.3, 1.7])),
        expected_mode=lambda loc, scale: np.exp(loc - scale**2),
        wide=dict(loc=st.floats(-30.0, 30.0), scale=st.floats(1e-6, 20.0)),
        reparameterized_params=("loc", "scale"),
    ),
]

test_oracle, test_sampling, test_transforms, test_wide = oracle_suite(CASES)


def test_outside_support():
    d = tfd.LogNormal(0.0, 1.0)
    np.testing.assert_array_equal(d.log_prob(np.array([-1.0, 0.0])), [-np.inf, -np.inf])
    np.testing.assert_array_equal(d.cdf(np.array([-1.0, 0.0, np.inf])), [0.0, 0.0, 1.0])
    np.testing.assert_array_equal(d.log_survival_function(np.array([-1.0, 0.0])), [0.0, 0.0])
    np.testing.assert_array_equal(d.quantile(np.array([0.0, 1.0])), [0.0, np.inf])
    with pytest.raises(ValueError, match="outside the support"):
        tfd.LogNormal(0.0, 1.0, validate_args=True).log_prob(0.0)
    with pytest.raises(ValueError, match="`scale` must be positive"):
        tfd.LogNormal(0.0, 0.0, validate_args=True)


def test_gradients_finite_at_and_outside_support_edge():
    def total(loc, scale):
        return jnp.sum(tfd.LogNormal(loc, scale).log_prob(jnp.array([0.5, 0.0, -1.0])))

    grads = jax.grad(total, argnums=(0, 1))(0.3, 1.2)
    assert np.all(np.isfinite(grads))


def test_tails_accurate_in_float32():
    d = tfd.LogNormal(jnp.float32(0.0), jnp.float32(1.0))
    x = jnp.float32(np.exp(-20.0))
    np.testing.assert_allclose(d.log_cdf(x), scipy.stats.norm.logcdf(-20.0), rtol=1e-5)
    np.testing.assert_allclose(d.log_survival_function(jnp.float32(np.exp(20.0))),
                               scipy.stats.norm.logsf(20.0), rtol=1e-5)


@pytest.mark.parametrize(("p", "q"), [((0.0, 1.0), (0.5, 2.0)), ((-1.0, 0.3), (1.0, 0.5)),
                                      ((2.0, 1.5), (2.0, 1.5))])
def test_kl_matches_quadrature(p, q):
    kl = tfd.kl_divergence(tfd.LogNormal(*np.float64(p)), tfd.LogNormal(*np.float64(q)))
    ref_p, ref_q = _reference(*p), _reference(*q)

    def integrand(log_x):
        x = np.exp(log_x)
        return ref_p.pdf(x) * x * (ref_p.logpdf(x) - ref_q.logpdf(x))

    expected, _ = scipy.integrate.quad(integrand, p[0] - 40 * p[1], p[0] + 40 * p[1], points=[p[0]],
                                       limit=500, epsabs=1e-13, epsrel=1e-11)
    np.testing.assert_allclose(kl, expected, rtol=1e-8, atol=1e-12)
