import jax
import numpy as np
import pytest
import scipy.integrate
import scipy.special
import scipy.stats

from probax.math.normal_tails import log_mills_ratio_difference, log_ndtr, mills_fraction, mills_ratio


def _mills_ratio(x):
    return np.sqrt(np.pi / 2) * scipy.special.erfcx(x / np.sqrt(2))


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_mills_ratio(dtype):
    # Includes the bands where jax's erfcx(x / sqrt 2) returns 0 (x / sqrt 2 in [9.2, 9.42) for
    # float32, [26.55, 26.64) for float64).
    x = np.array([-6.0, -1.0, 0.0, 1.0, 2.49, 2.5, 4.0, 13.1, 13.2, 13.3, 37.6, 37.65, 1e3, 1e15], dtype)
    # For x < 0, R grows like exp(x^2 / 2): rounding x / sqrt 2 costs x^2 * eps (3e-6 at -6 in float32).
    rtol = 5e-6 if dtype == np.float32 else 1e-14
    np.testing.assert_allclose(mills_ratio(x), _mills_ratio(x.astype(np.float64)), rtol=rtol)


def test_mills_fraction_products():
    x = np.array([2.5, 4.0, 30.0])
    r, t1, t2 = (np.asarray(v) for v in mills_fraction(x))
    h1 = [scipy.integrate.quad(lambda y, c=c: y * np.exp(-c * y - y * y / 2), 0, np.inf)[0] for c in x]
    h2 = [scipy.integrate.quad(lambda y, c=c: y * y * np.exp(-c * y - y * y / 2), 0, np.inf)[0] for c in x]
    np.testing.assert_allclose(r, _mills_ratio(x), rtol=1e-14)
    np.testing.assert_allclose(r * t1, h1, rtol=1e-10)
    np.testing.assert_allclose(r * t1 * t2, h2, rtol=1e-10)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_log_mills_ratio_difference(dtype):
    def reference(u, delta):
        # R(u) - R(u + delta) = int_u^{u + delta} (1 - t R(t)) dt, integrated in float64.
        value, _ = scipy.integrate.quad(
            lambda t: 1 - t * _mills_ratio(t), u, u + delta, epsabs=0, epsrel=1e-13, limit=200
        )
        return np.log(value)

    tolerance = 5e-6 if dtype == np.float32 else 1e-11
    for u in [0.0, 0.3, 1.0, 2.4, 2.5, 3.0, 8.0, 30.0]:
        for delta in [1e-4, 1e-2, 0.5, 1.5, 5.0, 100.0]:
            actual = float(log_mills_ratio_difference(dtype(u), dtype(delta)))
            expected = reference(u, delta)
            np.testing.assert_allclose(actual, expected, rtol=0, atol=tolerance, err_msg=str((u, delta)))


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_log_ndtr_keeps_relative_precision_in_both_tails(dtype):
    x = np.array([-40.0, -10.0, -3.0, -0.5, 0.0, 0.5, 2.0, 4.0, 5.0, 7.0, 8.0, 12.0, 30.0], dtype)
    if dtype == np.float32:
        # Beyond 10, float32 erfc itself (under Phi(-x)) is only good to ~1e-5 relative.
        x = x[np.abs(x) <= 10]
    expected = scipy.special.log_ndtr(x.astype(np.float64))
    rtol = 2e-6 if dtype == np.float32 else 1e-13
    np.testing.assert_allclose(log_ndtr(x), expected, rtol=rtol)
    gradient = jax.vmap(jax.grad(log_ndtr))(x)
    # d/dx log Phi(x) = phi(x) / Phi(x).
    expected_gradient = np.exp(scipy.stats.norm.logpdf(x.astype(np.float64)) - expected)
    # JAX's own log_ndtr derivative (used below 0) is good to ~2e-11 at x = -40 in float64.
    np.testing.assert_allclose(gradient, expected_gradient, rtol=1e-10 if dtype == np.float64 else 10 * rtol)
