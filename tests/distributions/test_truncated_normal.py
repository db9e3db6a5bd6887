import hypothesis.strategies as st
import jax
import jax.numpy as jnp
import numpy as np
import pytest
import scipy.integrate
import scipy.stats

from probax import distributions as tfd
from tests.distributions.oracle import OracleCase, oracle_suite


def _truncnorm(loc, scale, low, high):
    return scipy.stats.truncnorm((low - loc) / scale, (high - loc) / scale, loc=loc, scale=scale)


def _integrated_entropy(loc, scale, low, high):
    member = _truncnorm(loc, scale, low, high)
    # Integrate over the (finite) part of the support that holds the mass.
    lo, hi = max(low, loc - 60 * scale), min(high, loc + 60 * scale)
    value, _ = scipy.integrate.quad(
        lambda x: -member.pdf(x) * member.logpdf(x), lo, hi, epsabs=0, epsrel=1e-12, limit=200
    )
    return value


class _Reference:
    """scipy's truncnorm, with the entropy integrated numerically (scipy's is NaN far in a tail)."""

    def __init__(self, loc, scale, low, high):
        self.params = np.broadcast_arrays(loc, scale, low, high)
        self.frozen = _truncnorm(loc, scale, low, high)

    def __getattr__(self, name):
        return getattr(self.frozen, name)

    def entropy(self):
        flat = [np.ravel(v) for v in self.params]
        values = [_integrated_entropy(*member) for member in zip(*flat, strict=True)]
        return np.reshape(values, self.params[0].shape)


def _reference(loc, scale, low, high):
    return _Reference(loc, scale, low, high)


CASES = [
    OracleCase(
        name="truncated_normal",
        make=tfd.TruncatedNormal,
        reference=_reference,
        params=dict(
            loc=np.array([0.0, -1.5, 3.0]),
            scale=np.array([1.0, 0.3, 2.0]),
            low=np.array([-1.0, -1.0, -40.0]),
            high=np.array([2.0, 0.5, 4.0]),
        ),
        expected_mode=lambda loc, scale, low, high: np.clip(loc, low, high),
        wide=dict(
            loc=st.floats(-30.0, 30.0),
            scale=st.floats(1e-3, 1e3),
        ),
        # Only log_prob: the density jumps at `low` (and `high`), so the 1e-10 quantile lies within
        # ~1e-10 (relative) of `low` and the rounding of that test point alone moves the cdf (and
        # log_sf ~ -cdf) by ~1e-5 relative. Tail cdfs are checked on exact points in the tests below.
        wide_methods=("log_prob",),
        reparameterized_params=("loc", "scale", "low", "high"),
    ),
    OracleCase(
        # Intervals deep in either tail: 10 to 12 standard deviations out, and a one-sided one.
        name="truncated_normal_tails",
        make=tfd.TruncatedNormal,
        reference=_reference,
        params=dict(
            loc=np.array([0.0, 0.0, 1.0]),
            scale=np.array([1.0, 1.0, 0.5]),
            low=np.array([10.0, -12.0, 4.0]),
            high=np.array([12.0, -10.0, 40.0]),
        ),
        expected_mode=lambda loc, scale, low, high: np.clip(loc, low, high),
        reparameterized_params=("loc", "scale"),
    ),
]

test_oracle, test_sampling, test_transforms, test_wide = oracle_suite(CASES)


@pytest.mark.slow
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_far_tail_interval_is_finite_and_accurate(dtype):
    d = tfd.TruncatedNormal(dtype(0.0), dtype(1.0), dtype(30.0), dtype(31.0))
    x = np.array([30.0, 30.01, 30.5, 31.0], dtype)
    ref = scipy.stats.truncnorm(30.0, 31.0)
    tolerance = 1e-4 if dtype == np.float32 else 1e-9
    np.testing.assert_allclose(d.log_prob(x[1:3]), ref.logpdf(x[1:3].astype(float)), rtol=tolerance)
    np.testing.assert_allclose(d.log_cdf(x[1:3]), ref.logcdf(x[1:3].astype(float)), rtol=tolerance * 10)
    np.testing.assert_allclose(d.cdf(x), ref.cdf(x.astype(float)), rtol=tolerance * 10, atol=1e-12)
    q = np.asarray(d.quantile(np.array([1e-6, 0.5, 0.9], dtype)))
    np.testing.assert_allclose(q, ref.ppf([1e-6, 0.5, 0.9]), rtol=tolerance)
    assert np.all((q >= 30) & (q <= 31))
    assert np.isfinite(float(d.mean())) and np.isfinite(float(d.entropy()))


def test_outside_support_and_ends():
    d = tfd.TruncatedNormal(0.0, 1.0, -1.0, 2.0)
    assert d.log_prob(-1.5) == -np.inf and d.log_prob(2.5) == -np.inf
    np.testing.assert_allclose(d.cdf(np.array([-5.0, -1.0, 2.0, 9.0])), [0.0, 0.0, 1.0, 1.0], atol=1e-7)
    np.testing.assert_allclose(d.survival_function(np.array([-5.0, 9.0])), [1.0, 0.0], atol=1e-7)
    np.testing.assert_allclose(d.quantile(np.array([0.0, 1.0])), [-1.0, 2.0])
    assert np.isnan(d.quantile(1.5))


def test_validate_args():
    with pytest.raises(ValueError, match="low"):
        tfd.TruncatedNormal(0.0, 1.0, 2.0, 1.0, validate_args=True)
    with pytest.raises(ValueError, match="scale"):
        tfd.TruncatedNormal(0.0, -1.0, 0.0, 1.0, validate_args=True)
    with pytest.raises(ValueError, match="support"):
        tfd.TruncatedNormal(0.0, 1.0, 0.0, 1.0, validate_args=True).log_prob(2.0)


@pytest.mark.slow
def test_samples_inside_and_gradients_finite_float32():
    def draws(loc):
        return tfd.TruncatedNormal(loc, jnp.float32(1.0), jnp.float32(10.0), jnp.float32(12.0)).sample(
            1000, seed=jax.random.key(0)
        )

    x = np.asarray(draws(jnp.float32(0.0)))
    assert x.dtype == np.float32 and np.all((x >= 10) & (x <= 12))
    gradient = jax.grad(lambda m: jnp.sum(draws(m)))(jnp.float32(0.0))
    assert np.isfinite(gradient)


def test_infinite_bounds():
    # scipy's truncnorm entropy is NaN at an infinite bound (0 * inf); check against a far finite bound.
    infinite = tfd.TruncatedNormal(1.0, 2.0, np.array([-np.inf, 0.5]), np.array([0.5, np.inf]))
    finite = tfd.TruncatedNormal(1.0, 2.0, np.array([-200.0, 0.5]), np.array([0.5, 200.0]))
    for method in ("mean", "variance", "entropy"):
        np.testing.assert_allclose(getattr(infinite, method)(), getattr(finite, method)(), rtol=1e-12)
    x = np.array([-3.0, 2.0])
    np.testing.assert_allclose(infinite.log_prob(x), finite.log_prob(x), rtol=1e-12)
    np.testing.assert_allclose(infinite.cdf(x), finite.cdf(x), rtol=1e-12)
    np.testing.assert_allclose(infinite.quantile(0.3), finite.quantile(0.3), rtol=1e-12)


def test_entropy_by_integration():
    d = tfd.TruncatedNormal(0.5, 2.0, -1.0, 3.0)
    value, _ = scipy.integrate.quad(lambda x: -float(d.prob(x)) * float(d.log_prob(x)), -1.0, 3.0)
    np.testing.assert_allclose(d.entropy(), value, rtol=1e-7)


@pytest.mark.parametrize("bounds", [(2.0, 2.001), (-5.0, -4.999), (3.9, 4.5), (-np.inf, -6.0)])
def test_moments_narrow_and_tail_intervals(bounds):
    # The closed forms cancel catastrophically here; compare with direct integration (float64).
    low, high = bounds
    d = tfd.TruncatedNormal(np.float64(0.0), np.float64(1.0), np.float64(low), np.float64(high))
    ref = scipy.stats.truncnorm(low, high)
    lo, hi = max(low, -60.0), min(high, 60.0)

    def integral(f):
        return scipy.integrate.quad(f, lo, hi, epsabs=0, epsrel=1e-13, limit=200)[0]

    mean = integral(lambda x: x * ref.pdf(x))
    variance = integral(lambda x: (x - mean) ** 2 * ref.pdf(x))
    entropy = integral(lambda x: -ref.pdf(x) * ref.logpdf(x))
    np.testing.assert_allclose(d.mean(), mean, rtol=1e-10)
    np.testing.assert_allclose(d.variance(), variance, rtol=1e-9)
    np.testing.assert_allclose(d.entropy(), entropy, rtol=1e-9)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_tail_interval_where_jax_erfcx_returns_zero(dtype):
    # -z / sqrt 2 in [9.2, 9.42) is where jax's float32 erfcx returns 0; the Mills ratio must not.
    d = tfd.TruncatedNormal(dtype(0.0), dtype(1.0), dtype(-13.3), dtype(-13.0))
    ref = scipy.stats.truncnorm(float(dtype(-13.3)), float(dtype(-13.0)))
    x = np.array([-13.2, -13.1, -13.05], dtype)
    tolerance = 2e-5 if dtype == np.float32 else 1e-10
    np.testing.assert_allclose(d.log_cdf(x), ref.logcdf(x.astype(float)), rtol=tolerance)
    np.testing.assert_allclose(d.log_survival_function(x), ref.logsf(x.astype(float)), rtol=tolerance)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize(
    "bounds", [(-np.inf, 1.0), (1.0, np.inf), (-np.inf, np.inf), (10.0, 12.0), (2.0, 2.001)]
)
@pytest.mark.slow
def test_gradients_finite(dtype, bounds):
    low, high = bounds
    x = dtype(np.clip(1.5, low + 1e-4, high - 1e-4))

    def make(p):
        return tfd.TruncatedNormal(p[0], p[1], dtype(low), dtype(high))

    functions = [
        lambda p: make(p).log_prob(x),
        lambda p: make(p).log_cdf(x),
        lambda p: make(p).log_survival_function(x),
        lambda p: make(p).mean() + make(p).variance() + make(p).entropy(),
        lambda p: jnp.sum(make(p).sample(4, seed=1)),
    ]
    for function in functions:
        gradient = jax.grad(function)(jnp.array([0.3, 1.2], dtype))
        assert np.all(np.isfinite(gradient))
