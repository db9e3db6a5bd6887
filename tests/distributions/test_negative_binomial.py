import hypothesis.strategies as st
import jax
import jax.numpy as jnp
import numpy as np
import pytest
import scipy.special
import scipy.stats

from probax import distributions as tfd
from tests.distributions.oracle import OracleCase, oracle_suite


def _mode(total_count, probs):
    return np.floor(np.where(total_count > 1, total_count - 1, 0.0) * probs / (1 - probs))


# TFP counts successes (probability `probs`) before total_count failures: scipy's nbinom(n, 1 - probs).
# The float32 batches keep total_count + k in the hundreds: JAX's betainc (the cdf) forms log B(a, b)
# from lgamma differences, so its float32 error grows like eps * lgamma(total_count + k).
CASES = [
    OracleCase(
        name="negative_binomial_probs",
        make=lambda total_count, probs: tfd.NegativeBinomial(total_count, probs=probs),
        reference=lambda total_count, probs: scipy.stats.nbinom(total_count, 1 - probs),
        params=dict(total_count=np.array([2.5, 40.0, 0.7]), probs=np.array([0.37, 0.62, 0.05])),
        discrete=True,
        missing=("quantile", "entropy"),
        expected_mode=_mode,
        # JAX's betainc loses accuracy once both its shapes pass ~1e6: total_count and the counts
        # (mean total_count * probs / (1 - probs)) stay below.
        wide=dict(total_count=st.floats(1e-3, 1e4), probs=st.floats(1e-12, 0.99)),
    ),
    OracleCase(
        name="negative_binomial_logits",
        make=lambda total_count, logits: tfd.NegativeBinomial(total_count, logits=logits),
        reference=lambda total_count, logits: scipy.stats.nbinom(total_count, scipy.special.expit(-logits)),
        params=dict(total_count=np.array([5.0, 1.3]), logits=np.array([-0.8, 2.1])),
        discrete=True,
        missing=("quantile", "entropy"),
        expected_mode=lambda total_count, logits: _mode(total_count, scipy.special.expit(logits)),
        wide=dict(total_count=st.floats(1e-3, 1e4), logits=st.floats(-25.0, 4.5)),
    ),
]

test_oracle, test_sampling, test_transforms, test_wide = oracle_suite(CASES)


def test_logits_and_probs_exclusive():
    with pytest.raises(ValueError, match="logits"):
        tfd.NegativeBinomial(3.0, logits=0.0, probs=0.5)
    with pytest.raises(ValueError, match="probs"):
        tfd.NegativeBinomial(3.0)


def test_parameter_accessors():
    d = tfd.NegativeBinomial(2.0, logits=jnp.array([0.0, np.log(3.0)]))
    np.testing.assert_allclose(d.probs_parameter(), [0.5, 0.75], rtol=1e-6)
    d = tfd.NegativeBinomial(2.0, probs=jnp.array([0.5, 0.75]))
    np.testing.assert_allclose(d.logits_parameter(), [0.0, np.log(3.0)], rtol=1e-6, atol=1e-7)


@pytest.mark.parametrize(
    "kwargs, parameter",
    [
        (dict(total_count=0.0, probs=0.5), "total_count"),
        (dict(total_count=2.5, probs=0.5), "total_count"),
        (dict(total_count=3.0, probs=1.0), "probs"),
        (dict(total_count=3.0, probs=-0.1), "probs"),
    ],
)
def test_validate_args_rejects_bad_parameters(kwargs, parameter):
    with pytest.raises(ValueError, match=parameter):
        tfd.NegativeBinomial(**kwargs, validate_args=True)


def test_real_total_count_allowed_when_not_required():
    d = tfd.NegativeBinomial(2.5, probs=0.5, require_integer_total_count=False, validate_args=True)
    assert not d.require_integer_total_count
    np.testing.assert_allclose(d.prob(0.0), 0.5**2.5, rtol=1e-6)


def test_outside_support():
    d = tfd.NegativeBinomial(np.array([2.0, 6.0]), probs=0.3)
    assert np.all(np.isneginf(d.log_prob(np.array([[-1.0], [2.5]]))))
    np.testing.assert_array_equal(d.cdf(np.array([[-0.5], [-4.0]])), 0.0)
    np.testing.assert_array_equal(d.survival_function(-2.0), 1.0)
    np.testing.assert_allclose(d.cdf(3.9), d.cdf(3.0))
    with pytest.raises(ValueError, match="support"):
        tfd.NegativeBinomial(4.0, probs=0.3, validate_args=True).log_prob(-1.0)


def test_log_prob_gradient_outside_support_is_finite():
    def total(n):
        return jnp.sum(tfd.NegativeBinomial(n, probs=0.4).log_prob(jnp.array([-1.0, 2.0])))

    assert np.isfinite(jax.grad(total)(jnp.float64(3.0)))


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_huge_total_count_tiny_probs(dtype):
    # Gamma(k + n) / (k! Gamma(n)) through log-beta: no cancellation between lgamma(n) terms.
    n, p = 1e9, 2e-9
    d = tfd.NegativeBinomial(dtype(n), probs=dtype(p))
    k = np.array([0.0, 1.0, 2.0, 9.0], dtype)
    # Exact for small k: log((n)(n + 1)...(n + k - 1) / k!) + n log(1 - p) + k log p. (scipy's nbinom
    # would take 1 - p, which already rounds away relative 1e-8 of p.)
    p64 = np.float64(dtype(p))
    expected = np.array([
        sum(np.log(n + j) for j in range(int(kk))) - scipy.special.gammaln(kk + 1)
        + n * np.log1p(-p64) + kk * np.log(p64)
        for kk in k.astype(np.float64)
    ])
    rtol = 2e-4 if dtype == np.float32 else 1e-9
    np.testing.assert_allclose(d.log_prob(k), expected, rtol=rtol)
    logits_d = tfd.NegativeBinomial(dtype(n), logits=dtype(np.log(p) - np.log1p(-p)))
    np.testing.assert_allclose(logits_d.log_prob(k), expected, rtol=rtol)


def test_float32_extremes_finite():
    # The tails come from betainc in linear space: finite while they stay above float32's tiny.
    d = tfd.NegativeBinomial(np.float32(1e-3), logits=np.float32(-20.0))
    x = np.float32(1.0)
    assert all(np.isfinite(v) for v in (d.log_prob(x), d.log_cdf(x), d.log_survival_function(x)))
    np.testing.assert_allclose(d.log_survival_function(x), -47.5999029, rtol=2e-5)


def test_sample_shape_and_dtype():
    d = tfd.NegativeBinomial(np.array([3.0, 0.01], np.float32), probs=np.float32(0.6))
    draws = np.asarray(d.sample((4, 5), seed=0))
    assert draws.shape == (4, 5, 2) and draws.dtype == np.float32
    assert np.all((draws >= 0) & (draws == np.floor(draws)))
    assert d.reparameterization_type == tfd.NOT_REPARAMETERIZED
