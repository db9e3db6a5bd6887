import hypothesis.strategies as st
import jax
import jax.numpy as jnp
import numpy as np
import pytest
import scipy.special
import scipy.stats

from probax import distributions as tfd
from tests.distributions.oracle import OracleCase, oracle_suite

# TFP counts failures before the first success: scipy's geom(p, loc=-1). Success probabilities
# avoid 1 - (1 - p)^j landing on a grid probability (0.3, 0.5, ...), where the quantile hinges on the
# last bit.
CASES = [
    OracleCase(
        name="geometric_probs",
        make=lambda probs: tfd.Geometric(probs=probs),
        reference=lambda probs: scipy.stats.geom(probs, loc=-1),
        params=dict(probs=np.array([0.37, 0.05, 0.8])),
        discrete=True,
        expected_mode=lambda probs: np.zeros_like(probs),
        wide=dict(probs=st.floats(1e-12, 0.999)),
    ),
    OracleCase(
        name="geometric_logits",
        make=lambda logits: tfd.Geometric(logits=logits),
        reference=lambda logits: scipy.stats.geom(scipy.special.expit(logits), loc=-1),
        params=dict(logits=np.array([-2.3, 0.45, 3.1])),
        discrete=True,
        expected_mode=lambda logits: np.zeros_like(logits),
        wide=dict(logits=st.floats(-27.0, 7.0)),
    ),
]

test_oracle, test_sampling, test_transforms, test_wide = oracle_suite(CASES)


def test_logits_and_probs_exclusive():
    with pytest.raises(ValueError, match="logits"):
        tfd.Geometric(logits=0.0, probs=0.5)
    with pytest.raises(ValueError, match="probs"):
        tfd.Geometric()


def test_parameter_accessors():
    np.testing.assert_allclose(tfd.Geometric(logits=np.log(3.0)).probs_parameter(), 0.75, rtol=1e-6)
    np.testing.assert_allclose(tfd.Geometric(probs=0.75).logits_parameter(), np.log(3.0), rtol=1e-6)


@pytest.mark.parametrize("probs", [0.0, 1.5, -0.2])
def test_validate_args_rejects_bad_probs(probs):
    with pytest.raises(ValueError, match="probs"):
        tfd.Geometric(probs=probs, validate_args=True)


def test_outside_support_and_edges():
    d = tfd.Geometric(probs=jnp.array([0.2, 0.6]))
    assert np.all(np.isneginf(d.log_prob(jnp.array([[-1.0], [0.5]]))))
    np.testing.assert_array_equal(d.cdf(jnp.array([[-0.5], [-3.0]])), 0.0)
    np.testing.assert_array_equal(d.log_cdf(-1.0), -np.inf)
    np.testing.assert_array_equal(d.survival_function(-1.0), 1.0)
    np.testing.assert_array_equal(d.log_survival_function(-0.1), 0.0)
    np.testing.assert_allclose(d.cdf(2.5), d.cdf(2.0))
    np.testing.assert_array_equal(d.quantile(jnp.array([[0.0], [1.0]])), [[0.0, 0.0], [np.inf, np.inf]])
    assert np.all(np.isnan(d.quantile(jnp.array([[-0.1], [1.1]]))))
    with pytest.raises(ValueError, match="support"):
        tfd.Geometric(probs=0.3, validate_args=True).log_prob(-1.0)


def test_certain_success():
    d = tfd.Geometric(probs=jnp.float64(1.0))
    np.testing.assert_array_equal(d.log_prob(jnp.array([0.0, 1.0])), [0.0, -np.inf])
    np.testing.assert_array_equal(d.cdf(0.0), 1.0)
    np.testing.assert_array_equal(d.quantile(jnp.array([0.3, 1.0])), [0.0, 0.0])
    np.testing.assert_array_equal(d.sample(10, seed=0), 0.0)
    assert d.entropy() == 0.0 and d.mean() == 0.0


def test_quantile_inverts_cdf():
    # Smallest k with cdf(k) >= u, checked on both sides, including tiny p and u near 0 and 1.
    probs = np.array([1e-9, 1e-3, 0.37, 0.999])[:, None]
    u = np.array([1e-12, 1e-6, 0.3, 0.5, 0.9, 1 - 1e-9])
    d = tfd.Geometric(probs=probs)
    k = np.asarray(d.quantile(u))
    np.testing.assert_array_equal(k, scipy.stats.geom(probs, loc=-1).ppf(u))
    assert np.all(np.asarray(d.cdf(k)) >= u)
    # Where P[X = k] is below float64's resolution of u, cdf(k - 1) and u can tie to the last bit.
    resolvable = (k > 0) & (np.asarray(d.prob(k)) > 1e-15)
    assert np.all(np.where(resolvable, np.asarray(d.cdf(k - 1)) < u, True))


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_tiny_probs(dtype):
    p = 1e-30 if dtype == np.float32 else 1e-200
    d = tfd.Geometric(probs=dtype(p))
    k = np.array([0.0, 1e6], dtype)
    np.testing.assert_allclose(d.log_prob(k), np.log(p) - k.astype(np.float64) * p, rtol=1e-6)
    np.testing.assert_allclose(d.log_cdf(k), np.log(p) + np.log1p(k.astype(np.float64)), rtol=1e-6)
    np.testing.assert_allclose(d.entropy(), -np.log(p) + 1, rtol=1e-6)
    logits = dtype(np.log(p))
    np.testing.assert_allclose(tfd.Geometric(logits=logits).entropy(), -np.log(p) + 1, rtol=1e-6)
    assert np.isfinite(d.mean()) and np.isfinite(d.quantile(dtype(0.5)))
    grad = jax.grad(lambda lg: tfd.Geometric(logits=lg).entropy())(logits)
    np.testing.assert_allclose(grad, -1.0, rtol=1e-4)


def test_sample_shape_and_dtype():
    d = tfd.Geometric(probs=np.array([0.3, 1e-4], np.float32))
    draws = np.asarray(d.sample((4, 5), seed=0))
    assert draws.shape == (4, 5, 2) and draws.dtype == np.float32
    assert np.all((draws >= 0) & (draws == np.floor(draws)))
    assert d.reparameterization_type == tfd.NOT_REPARAMETERIZED
