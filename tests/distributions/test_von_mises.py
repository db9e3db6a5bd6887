import hypothesis.strategies as st
import jax
import jax.numpy as jnp
import numpy as np
import pytest
import scipy.integrate
import scipy.special
import scipy.stats

from probax import distributions as tfd
from tests.distributions.oracle import OracleCase, oracle_suite


class _Reference:
    """scipy's vonmises_line (support [loc - pi, loc + pi]) with TFP's circular variance.

    scipy's `var` is the variance on the line, E[(X - loc)^2]; TFP defines the
    variance of a von Mises as 1 - E[cos(X - loc)] = 1 - I1(kappa) / I0(kappa).
    """

    def __init__(self, loc, concentration):
        self.concentration = np.asarray(concentration, np.float64)
        self.frozen = scipy.stats.vonmises_line(concentration, loc=loc)

    def __getattr__(self, name):
        return getattr(self.frozen, name)

    def var(self):
        kappa = self.concentration
        return 1 - scipy.special.i1e(kappa) / scipy.special.i0e(kappa)

    def std(self):
        return np.sqrt(self.var())


def _reference(loc, concentration):
    return _Reference(loc, concentration)


CASES = [
    OracleCase(
        # scipy's cdf is its Fourier series (12 digits) below kappa = 50 and a crude normal
        # approximation (~1e-4) above, so the oracle stays below 50; larger kappa are checked
        # against numerical integration below.
        name="von_mises",
        make=tfd.VonMises,
        reference=_reference,
        params=dict(loc=np.array([0.0, 1.0, -2.5]), concentration=np.array([0.3, 4.0, 40.0])),
        expected_mode=lambda loc, concentration: loc,
        missing=("quantile",),
        wide=dict(
            loc=st.floats(-10.0, 10.0),
            concentration=st.floats(1e-4, 10.0),
        ),
        reparameterized_params=("loc", "concentration"),
    ),
]

test_oracle, test_sampling, test_transforms, test_wide = oracle_suite(CASES)


def _quad_cdf(x, loc, kappa):
    def density(t):
        return np.exp(kappa * scipy.special.cosm1(t - loc)) / (2 * np.pi * scipy.special.i0e(kappa))

    points = [loc] if x > loc else None
    value, _ = scipy.integrate.quad(density, loc - np.pi, x, epsabs=0, epsrel=1e-13, limit=400, points=points)
    return value


@pytest.mark.slow
@pytest.mark.parametrize("kappa", [49.0, 50.0, 80.0, 500.0, 1e4])
def test_cdf_large_concentration_by_integration(kappa):
    loc = 0.4
    d = tfd.VonMises(np.float64(loc), np.float64(kappa))
    scale = 1 / np.sqrt(kappa)
    x = loc + scale * np.array([-4.0, -2.0, -0.5, 0.0, 0.3, 1.0, 3.0])
    expected = np.array([_quad_cdf(v, loc, kappa) for v in x])
    # Hill's approximations are good to ~1e-12 absolute (relative error grows only far out).
    np.testing.assert_allclose(d.cdf(x), expected, rtol=1e-8, atol=1e-12)
    np.testing.assert_allclose(d.survival_function(x), 1 - expected, rtol=1e-8, atol=1e-12)
    np.testing.assert_allclose(d.log_cdf(x), np.log(expected), rtol=1e-7)
    d32 = tfd.VonMises(np.float32(loc), np.float32(kappa))
    np.testing.assert_allclose(d32.cdf(x.astype(np.float32)), expected, rtol=2e-4, atol=1e-6)


def test_summaries_large_concentration():
    # scipy's 1 - i1e/i0e loses ~kappa * eps to cancellation, so stop at 1e5 for it ...
    kappa = np.array([60.0, 1e3, 1e5])
    for dtype, rtol in [(np.float32, 1e-5), (np.float64, 1e-10)]:
        d = tfd.VonMises(dtype(0.0), kappa.astype(dtype))
        ratio = scipy.special.i1e(kappa) / scipy.special.i0e(kappa)
        np.testing.assert_allclose(d.variance(), 1 - ratio, rtol=rtol)
        entropy = np.log(2 * np.pi * scipy.special.i0e(kappa)) + kappa * (1 - ratio)
        np.testing.assert_allclose(d.entropy(), entropy, rtol=rtol)
    # ... and beyond, compare with the expansion 1 - I1/I0 = 1/(2k) + 1/(8k^2) + O(k^-3).
    for dtype, rtol in [(np.float32, 1e-6), (np.float64, 1e-12)]:
        big = np.array([1e6, 1e9])
        variance = tfd.VonMises(dtype(0.0), big.astype(dtype)).variance()
        np.testing.assert_allclose(variance, 1 / (2 * big) + 1 / (8 * big**2), rtol=rtol)


def test_support_is_not_wrapped():
    d = tfd.VonMises(3.0, 2.0)
    x = np.array([3.0 - np.pi - 0.1, 3.0 - np.pi, 3.0 + np.pi, 3.0 + np.pi + 0.1])
    log_prob = np.asarray(d.log_prob(x))
    assert log_prob[0] == -np.inf and log_prob[3] == -np.inf
    assert np.all(np.isfinite(log_prob[1:3]))
    np.testing.assert_allclose(d.cdf(x), [0.0, 0.0, 1.0, 1.0], atol=1e-7)
    np.testing.assert_allclose(d.survival_function(x), [1.0, 1.0, 0.0, 0.0], atol=1e-7)
    np.testing.assert_allclose(d.cdf(3.0), 0.5, rtol=1e-6)


def test_validate_args():
    with pytest.raises(ValueError, match="concentration"):
        tfd.VonMises(0.0, -1.0, validate_args=True)
    with pytest.raises(ValueError, match="support"):
        tfd.VonMises(0.0, 1.0, validate_args=True).log_prob(4.0)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_samples_stay_in_support_for_extreme_concentrations(dtype):
    kappa = np.array([0.0, 1e-6, 1e8, 1e30], dtype)
    x = np.asarray(tfd.VonMises(dtype(0.0), kappa).sample(5000, seed=jax.random.key(2)))
    assert x.dtype == dtype
    assert np.all(np.abs(x) <= np.pi)
    # Large concentrations approach Normal(0, 1 / kappa).
    np.testing.assert_allclose(x[:, 2:].std(axis=0) * np.sqrt(kappa[2:].astype(float)), 1.0, rtol=0.05)


@pytest.mark.slow
@pytest.mark.parametrize("kappa", [60.0, 500.0])
def test_sample_gradient_large_concentration(kappa):
    # Implicit reparameterization beyond the oracle's range: dx/dkappa = -(dF/dkappa) / p(x).
    loc = 0.2

    def draws(k):
        return tfd.VonMises(jnp.float64(loc), k).sample(8, seed=jax.random.key(5))

    x = np.asarray(draws(jnp.float64(kappa)))
    gradient = np.asarray(jax.jacfwd(draws)(jnp.float64(kappa)))
    step = 1e-5 * kappa
    density = np.exp(kappa * scipy.special.cosm1(x - loc)) / (2 * np.pi * scipy.special.i0e(kappa))
    cdf_slope = np.array(
        [(_quad_cdf(v, loc, kappa + step) - _quad_cdf(v, loc, kappa - step)) / (2 * step) for v in x]
    )
    np.testing.assert_allclose(gradient, -cdf_slope / density, rtol=1e-4, atol=1e-8)
    reverse = jax.grad(lambda k: jnp.sum(draws(k)))(jnp.float64(kappa))
    np.testing.assert_allclose(reverse, gradient.sum(), rtol=1e-10)
