import decimal
from decimal import Decimal
from fractions import Fraction

import jax
import jax.numpy as jnp
import numpy as np
import pytest
import scipy.special

from probax.math.log_beta import log_beta, log_gamma_correction, log_gamma_difference

_STIRLING = [Fraction(1, 12), Fraction(-1, 360), Fraction(1, 1260), Fraction(-1, 1680), Fraction(1, 1188),
             Fraction(-691, 360360), Fraction(1, 156), Fraction(-3617, 122400)]


def _exact_log_beta(a, b):
    """50-digit log B(a, b) by Stirling's series; for a, b >= 8 (truncation error below 1e-16)."""
    with decimal.localcontext() as context:
        context.prec = 50
        a, b = Decimal(a), Decimal(b)
        total, half = a + b, Decimal("0.5")

        def correction(z):
            return sum(Decimal(c.numerator) / Decimal(c.denominator) / z ** (2 * i + 1)
                       for i, c in enumerate(_STIRLING))

        two_pi = 2 * Decimal("3.14159265358979323846264338327950288419716939937510")
        return float(two_pi.ln() / 2 + correction(a) + correction(b) - correction(total)
                     + (a - half) * (a / total).ln() + (b - half) * (b / total).ln() - half * total.ln())


SMALL = [1e-300, 1e-10, 1e-3, 0.1, 0.5, 1.0, 2.5, 7.9999]
LARGE = [8.0, 8.0001, 12.0, 100.0, 1e4, 1e7, 1e12, 1e20]


@pytest.mark.parametrize("a", SMALL)
@pytest.mark.parametrize("b", SMALL + LARGE)
def test_against_scipy_where_one_argument_is_small(a, b):
    # scipy's betaln is itself off by up to ~1e-12 relative here (tiny a, large b: see the test below).
    expected = scipy.special.betaln(a, b)
    np.testing.assert_allclose(log_beta(np.float64(a), np.float64(b)), expected, rtol=1e-11, atol=1e-14)
    np.testing.assert_allclose(log_beta(np.float64(b), np.float64(a)), expected, rtol=1e-11, atol=1e-14)


@pytest.mark.parametrize("b", [0.5, 3.0, 1e4, 1e12])
def test_tiny_first_argument(b):
    # log B(a, b) = -log a - a (euler_gamma + digamma(b)) + O(a^2).
    a = 1e-10
    expected = -np.log(a) - a * (np.euler_gamma + scipy.special.digamma(b))
    np.testing.assert_allclose(log_beta(np.float64(a), np.float64(b)), expected, rtol=1e-15)


@pytest.mark.parametrize("a", LARGE)
@pytest.mark.parametrize("b", LARGE)
def test_against_exact_where_both_are_large(a, b):
    np.testing.assert_allclose(log_beta(np.float64(a), np.float64(b)), _exact_log_beta(a, b), rtol=1e-14)


def test_float32():
    a = np.array(SMALL[2:] + LARGE, np.float32)
    actual = np.asarray(log_beta(a[:, None], a[None, :]), np.float64)
    expected = scipy.special.betaln(a[:, None].astype(np.float64), a[None, :].astype(np.float64))
    np.testing.assert_allclose(actual, expected, rtol=2e-6, atol=2e-6)


def test_continuous_with_exact_gradient_across_branches():
    # The branches meet at 8: values agree to rounding and gradients are digamma differences.
    for b in (7.9999999, 8.0, 8.0000001):
        ga, gb = jax.grad(log_beta, argnums=(0, 1))(jnp.float64(2.5), jnp.float64(b))
        psi = scipy.special.digamma
        np.testing.assert_allclose(ga, psi(2.5) - psi(2.5 + b), rtol=1e-12)
        np.testing.assert_allclose(gb, psi(b) - psi(2.5 + b), rtol=1e-12)
    below, above = log_beta(2.5, np.nextafter(8.0, 0.0)), log_beta(2.5, 8.0)
    np.testing.assert_allclose(below, above, rtol=1e-14)


def test_helpers():
    z = np.array([8.0, 30.0, 100.0])
    np.testing.assert_allclose(
        log_gamma_correction(z),
        scipy.special.gammaln(z) - ((z - 0.5) * np.log(z) - z + 0.5 * np.log(2 * np.pi)),
        rtol=1e-9,
    )
    np.testing.assert_allclose(log_gamma_correction(1e6), 1 / 12e6 - 1 / 360e18, rtol=1e-15)
    np.testing.assert_allclose(
        log_gamma_difference(3.0, 1e9), -np.log(1e9) - np.log(1e9 + 1) - np.log(1e9 + 2), rtol=1e-14
    )
