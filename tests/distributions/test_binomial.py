import hypothesis.strategies as st
import jax
import jax.numpy as jnp
import numpy as np
import pytest
import scipy.special
import scipy.stats

from probax import distributions as tfd
from tests.distributions.oracle import OracleCase, oracle_suite


def _mode(total_count, **probability):
    probs = probability.get("probs")
    if probs is None:
        probs = scipy.special.expit(probability["logits"])
    return np.minimum(np.floor((total_count + 1) * probs), total_count)


# Points come from scipy's ppf at probabilities up to 0.999; every batch member keeps that point
# below total_count, so the finite-difference gradient in total_count stays inside the support.
# The batches keep total_count in the hundreds: JAX's betainc (the cdf) forms log B(a, b) from
# lgamma differences, so in float32 its relative error grows like eps * lgamma(total_count)
# (about 4e-4 at total_count = 1000); huge counts are covered in float64 by `wide`.
CASES = [
    OracleCase(
        name="binomial_probs",
        make=lambda total_count, probs: tfd.Binomial(total_count, probs=probs),
        reference=lambda total_count, probs: scipy.stats.binom(total_count, probs),
        params=dict(total_count=np.array([12.0, 150.0, 40.0]), probs=np.array([0.37, 0.02, 0.81])),
        discrete=True,
        missing=("quantile", "entropy"),
        expected_mode=_mode,
        # JAX's betainc loses accuracy once both of its shapes pass ~1e6, so total_count stays below.
        wide=dict(
            total_count=st.integers(1, 100_000).map(float),
            probs=st.floats(1e-12, 1 - 1e-9),
        ),
    ),
    OracleCase(
        name="binomial_logits",
        make=lambda total_count, logits: tfd.Binomial(total_count, logits=logits),
        reference=lambda total_count, logits: scipy.stats.binom(total_count, scipy.special.expit(logits)),
        params=dict(total_count=np.array([7.0, 250.0]), logits=np.array([-1.2, 3.5])),
        discrete=True,
        missing=("quantile", "entropy"),
        expected_mode=_mode,
        wide=dict(total_count=st.integers(1, 100_000).map(float), logits=st.floats(-25.0, 25.0)),
    ),
]

test_oracle, test_sampling, test_transforms, test_wide = oracle_suite(CASES)


def test_logits_and_probs_exclusive():
    with pytest.raises(ValueError, match="logits"):
        tfd.Binomial(3.0, logits=0.0, probs=0.5)
    with pytest.raises(ValueError, match="probs"):
        tfd.Binomial(3.0)


def test_parameter_accessors():
    d = tfd.Binomial(5.0, logits=jnp.array([0.0, np.log(3.0)]))
    np.testing.assert_allclose(d.probs_parameter(), [0.5, 0.75], rtol=1e-6)
    d = tfd.Binomial(5.0, probs=jnp.array([0.5, 0.75]))
    np.testing.assert_allclose(d.logits_parameter(), [0.0, np.log(3.0)], rtol=1e-6, atol=1e-7)


@pytest.mark.parametrize(
    "kwargs, parameter",
    [
        (dict(total_count=-1.0, probs=0.5), "total_count"),
        (dict(total_count=2.5, probs=0.5), "total_count"),
        (dict(total_count=3.0, probs=1.5), "probs"),
    ],
)
def test_validate_args_rejects_bad_parameters(kwargs, parameter):
    with pytest.raises(ValueError, match=parameter):
        tfd.Binomial(**kwargs, validate_args=True)


def test_outside_support():
    d = tfd.Binomial(np.array([4.0, 6.0]), probs=0.3)
    assert np.all(np.isneginf(d.log_prob(np.array([[-1.0], [2.5], [7.0]]))))
    assert np.isneginf(d.log_prob(5.0)[0]) and np.isfinite(d.log_prob(5.0)[1])
    np.testing.assert_array_equal(d.cdf(np.array([[-0.5], [6.0], [1e9]])), [[0, 0], [1, 1], [1, 1]])
    np.testing.assert_array_equal(d.survival_function(np.array([[-3.0], [6.0]])), [[1, 1], [0, 0]])
    np.testing.assert_allclose(d.cdf(2.7), d.cdf(2.0))
    with pytest.raises(ValueError, match="support"):
        tfd.Binomial(4.0, probs=0.3, validate_args=True).log_prob(5.0)


def test_degenerate_probs():
    d = tfd.Binomial(np.float64(6.0), probs=np.array([0.0, 1.0]))
    expected = [[0.0, -np.inf], [-np.inf, 0.0]]
    np.testing.assert_allclose(d.log_prob(np.array([[0.0], [6.0]])), expected, atol=1e-12)
    np.testing.assert_array_equal(d.mode(), [0.0, 6.0])


def test_log_prob_gradient_outside_support_is_finite():
    def total(probs):
        return jnp.sum(tfd.Binomial(jnp.float64(3.0), probs=probs).log_prob(jnp.array([1.0, 5.0])))

    assert np.isfinite(jax.grad(total)(jnp.float64(0.4)))


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_huge_total_count_tiny_probs(dtype):
    # log(n choose k) through log-beta: no cancellation between lgamma(n + 1) terms.
    n, p = 1e9, 3e-9
    d = tfd.Binomial(dtype(n), probs=dtype(p))
    k = np.array([0.0, 1.0, 3.0, 12.0], dtype)
    expected = np.log(scipy.stats.binom(n, np.float64(dtype(p))).pmf(k.astype(np.float64)))
    rtol = 2e-4 if dtype == np.float32 else 1e-9
    np.testing.assert_allclose(d.log_prob(k), expected, rtol=rtol)
    logits_d = tfd.Binomial(dtype(n), logits=dtype(np.log(p) - np.log1p(-p)))
    np.testing.assert_allclose(logits_d.log_prob(k), expected, rtol=rtol)


def test_float32_extremes_finite():
    d = tfd.Binomial(np.float32(1e6), logits=np.float32(-40.0))
    x = np.float32(0.0)
    assert all(np.isfinite(v) for v in (d.log_prob(x + 1), d.log_cdf(x), d.log_survival_function(x)))


def test_sample_shape_and_dtype():
    d = tfd.Binomial(np.array([3.0, 10.0], np.float32), probs=np.float32(0.2))
    draws = np.asarray(d.sample((4, 5), seed=0))
    assert draws.shape == (4, 5, 2) and draws.dtype == np.float32
    assert np.all((draws >= 0) & (draws <= np.array([3.0, 10.0])) & (draws == np.floor(draws)))
    assert d.reparameterization_type == tfd.NOT_REPARAMETERIZED
