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
        name="exponential",
        make=tfd.Exponential,
        reference=lambda rate: scipy.stats.expon(scale=1 / rate),
        params=dict(rate=np.array([1.0, 0.02, 40.0])),
        expected_mode=lambda rate: np.zeros_like(rate),
        wide=dict(rate=st.floats(1e-30, 1e30)),
        reparameterized_params=("rate",),
    ),
]

test_oracle, test_sampling, test_transforms, test_wide = oracle_suite(CASES)


def test_is_a_gamma_with_unit_concentration():
    d = tfd.Exponential(np.array([0.5, 2.0]))
    assert isinstance(d, tfd.Gamma)
    assert d.parameters.keys() >= {"rate"} and "concentration" not in d.parameters
    np.testing.assert_array_equal(d.concentration, [1.0, 1.0])
    g = tfd.Gamma(1.0, rate=np.array([0.5, 2.0]))
    x = np.array([0.0, 0.3, 4.0])[:, None]
    np.testing.assert_allclose(d.log_prob(x), g.log_prob(x), rtol=1e-12)
    np.testing.assert_allclose(d.cdf(x), g.cdf(x), rtol=1e-12)
    np.testing.assert_allclose(d.entropy(), g.entropy(), rtol=1e-12)


def test_outside_support_and_bounds():
    d = tfd.Exponential(2.0)
    np.testing.assert_array_equal(d.log_prob(-0.1), -np.inf)
    np.testing.assert_array_equal(d.cdf(np.array([-1.0, 0.0, np.inf])), [0.0, 0.0, 1.0])
    np.testing.assert_array_equal(d.log_survival_function(-1.0), 0.0)
    np.testing.assert_array_equal(d.quantile(np.array([0.0, 1.0])), [0.0, np.inf])
    with pytest.raises(ValueError, match="`rate` must be positive"):
        tfd.Exponential(0.0, validate_args=True)


def test_tails_accurate_in_float32():
    d = tfd.Exponential(jnp.float32(1.0))
    np.testing.assert_allclose(d.log_cdf(jnp.float32(1e-20)), np.log(1e-20), rtol=1e-6)
    np.testing.assert_allclose(d.log_survival_function(jnp.float32(200.0)), -200.0, rtol=1e-6)
    np.testing.assert_allclose(d.quantile(jnp.float32(1e-20)), 1e-20, rtol=1e-6)


def test_pytree_roundtrip_keeps_concentration_derived():
    d = jax.jit(lambda r: tfd.Exponential(r))(jnp.array([1.0, 3.0]))
    assert type(d) is tfd.Exponential
    np.testing.assert_array_equal(d.concentration, [1.0, 1.0])
    assert d[1].rate == 3.0


@pytest.mark.parametrize(("p", "q"), [(1.0, 2.0), (0.05, 3.0), (7.0, 7.0)])
def test_kl_matches_closed_form_and_quadrature(p, q):
    kl = tfd.kl_divergence(tfd.Exponential(np.float64(p)), tfd.Exponential(np.float64(q)))
    np.testing.assert_allclose(kl, np.log(p / q) + q / p - 1, rtol=1e-12, atol=1e-15)
    ref_p, ref_q = scipy.stats.expon(scale=1 / p), scipy.stats.expon(scale=1 / q)
    expected, _ = scipy.integrate.quad(lambda x: ref_p.pdf(x) * (ref_p.logpdf(x) - ref_q.logpdf(x)),
                                       0.0, np.inf, epsabs=1e-13, epsrel=1e-11)
    np.testing.assert_allclose(kl, expected, rtol=1e-8, atol=1e-12)


def test_kl_mixes_with_gamma():
    e, g = tfd.Exponential(np.float64(1.5)), tfd.Gamma(np.float64(1.0), rate=np.float64(1.5))
    other = tfd.Gamma(np.float64(2.5), rate=np.float64(0.7))
    np.testing.assert_allclose(tfd.kl_divergence(e, other), tfd.kl_divergence(g, other), rtol=1e-12)
    np.testing.assert_allclose(tfd.kl_divergence(other, e), tfd.kl_divergence(other, g), rtol=1e-12)
