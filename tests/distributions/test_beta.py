import hypothesis.strategies as st
import jax
import jax.numpy as jnp
import numpy as np
import pytest
import scipy.integrate
import scipy.stats

from probax import distributions as tfd
from tests.distributions.oracle import OracleCase, oracle_suite


def _mode(concentration1, concentration0):
    a, b = concentration1, concentration0
    defined = (a >= 1) & (b >= 1) & (a + b > 2)
    return np.where(defined, (a - 1) / np.where(defined, a + b - 2, 1.0), np.nan)


CASES = [
    OracleCase(
        name="beta",
        make=tfd.Beta,
        reference=lambda concentration1, concentration0: scipy.stats.beta(concentration1, concentration0),
        params=dict(concentration1=np.array([0.5, 2.0, 30.0, 1.0]),
                    concentration0=np.array([0.7, 5.0, 2.0, 3.0])),
        expected_mode=_mode,
        # Lower bound 0.05: below it the 1e-10 quantile can be a float64 subnormal, which XLA on CPU
        # flushes to zero (log_prob inf where scipy is finite).
        wide=dict(concentration1=st.floats(0.05, 1e3), concentration0=st.floats(0.05, 1e3)),
        # Not `reparameterized_params`: draws are G1 / (G1 + G2) with implicit Gamma gradients (as in TFP),
        # an unbiased pathwise gradient whose per-draw values differ from -(dF/da) / p(x);
        # see test_sample_gradients_are_unbiased.
    ),
]

test_oracle, test_sampling, test_transforms, test_wide = oracle_suite(CASES)


def test_outside_support_and_ends():
    d = tfd.Beta(2.0, 3.0)
    np.testing.assert_array_equal(d.log_prob(np.array([-0.1, 1.1])), [-np.inf, -np.inf])
    np.testing.assert_array_equal(d.log_prob(np.array([0.0, 1.0])), [-np.inf, -np.inf])
    np.testing.assert_array_equal(d.cdf(np.array([-1.0, 0.0, 1.0, 2.0])), [0.0, 0.0, 1.0, 1.0])
    np.testing.assert_array_equal(d.survival_function(np.array([-1.0, 1.0, 2.0])), [1.0, 0.0, 0.0])
    np.testing.assert_array_equal(d.quantile(np.array([0.0, 1.0])), [0.0, 1.0])
    # Finite density at the ends when a concentration is 1.
    np.testing.assert_allclose(tfd.Beta(1.0, 3.0).log_prob(0.0), np.log(3.0), rtol=1e-12)
    np.testing.assert_allclose(tfd.Beta(3.0, 1.0).log_prob(1.0), np.log(3.0), rtol=1e-12)


def test_survival_function_accurate_in_both_tails():
    # Tiny x with a small concentration1 (1 - x rounds to 1), and a far upper tail below 1/2.
    d = tfd.Beta(np.array([0.25, 1.0]), np.array([1.0, 100.0]))
    x = np.array([1e-16, 0.4])
    expected = np.array([np.log1p(-1e-4), 100 * np.log(0.6)])
    np.testing.assert_allclose(d.log_survival_function(x), expected, rtol=1e-12)
    d32 = tfd.Beta(jnp.asarray([0.25, 1.0], jnp.float32), jnp.asarray([1.0, 100.0], jnp.float32))
    np.testing.assert_allclose(d32.log_survival_function(jnp.asarray([1e-16, 0.4], jnp.float32)), expected,
                               rtol=1e-5)


def test_validation():
    with pytest.raises(ValueError, match="`concentration0` must be positive"):
        tfd.Beta(1.0, 0.0, validate_args=True)
    with pytest.raises(ValueError, match="outside the support"):
        tfd.Beta(1.0, 1.0, validate_args=True).log_prob(1.5)


def test_mode_undefined_is_nan():
    d = tfd.Beta(np.array([1.0, 0.5, 2.0, 1.0]), np.array([1.0, 3.0, 1.0, 2.0]))
    np.testing.assert_array_equal(d.mode(), [np.nan, np.nan, 1.0, 0.0])


def test_log_prob_and_samples_differentiable_cdf_only_in_value():
    a, b = 2.0, 3.0
    grads = jax.grad(lambda a, b: tfd.Beta(a, b).log_prob(0.3), argnums=(0, 1))(a, b)
    assert np.all(np.isfinite(grads))
    sample_grads = jax.grad(lambda a, b: jnp.sum(tfd.Beta(a, b).sample(10, seed=0)), argnums=(0, 1))(a, b)
    assert np.all(np.isfinite(sample_grads))
    np.testing.assert_allclose(jax.grad(lambda x: tfd.Beta(a, b).cdf(x))(0.3),
                               scipy.stats.beta(a, b).pdf(0.3), rtol=1e-10)
    with pytest.raises(ValueError, match="gradient with respect to a and b"):
        jax.grad(lambda a: tfd.Beta(a, b).cdf(0.3))(a)


@pytest.mark.parametrize(("a", "b"), [(0.5, 0.7), (2.0, 5.0), (30.0, 2.0)])
def test_sample_gradients_are_unbiased(a, b):
    # d/dθ E[f(X)] from pathwise sample gradients against the closed-form derivative of E[X] and E[X^2].
    def moments(a, b):
        x = tfd.Beta(a, b).sample(40_000, seed=jax.random.key(11))
        return jnp.stack([jnp.mean(x), jnp.mean(jnp.square(x))])

    def exact(a, b):
        s = a + b
        return jnp.stack([a / s, a * (a + 1) / (s * (s + 1))])

    pathwise = np.asarray(jax.jacfwd(moments, argnums=(0, 1))(np.float64(a), np.float64(b)))
    expected = np.asarray(jax.jacfwd(exact, argnums=(0, 1))(np.float64(a), np.float64(b)))
    np.testing.assert_allclose(pathwise, expected, rtol=0.03, atol=2e-4)


def test_extreme_concentrations_finite_in_float32():
    a = jnp.asarray([1e-3, 1e4, 0.5], jnp.float32)
    b = jnp.asarray([1e-3, 1e4, 1e4], jnp.float32)
    d = tfd.Beta(a, b)
    x = d.sample(200, seed=5)
    assert np.all((x >= 0) & (x <= 1))
    assert np.all(np.isfinite(d.log_prob(jnp.asarray([0.5, 0.5, 1e-5], jnp.float32))))
    assert np.all(np.isfinite(d.entropy()))


def _kl_quadrature(p, q):
    # In probability coordinates u = F_p(x), which tames the endpoint singularities of small concentrations.
    def integrand(u):
        x = p.ppf(u)
        return p.logpdf(x) - q.logpdf(x)

    value, _ = scipy.integrate.quad(integrand, 0.0, 1.0, limit=500, epsabs=1e-13, epsrel=1e-11)
    return value


@pytest.mark.parametrize(("p", "q"), [((2.0, 3.0), (4.0, 1.5)), ((0.6, 0.8), (1.0, 1.0)),
                                      ((30.0, 2.0), (20.0, 5.0)), ((1.5, 1.5), (1.5, 1.5))])
def test_kl_matches_quadrature(p, q):
    kl = tfd.kl_divergence(tfd.Beta(*np.float64(p)), tfd.Beta(*np.float64(q)))
    expected = _kl_quadrature(scipy.stats.beta(*p), scipy.stats.beta(*q))
    np.testing.assert_allclose(kl, expected, rtol=1e-8, atol=1e-12)
