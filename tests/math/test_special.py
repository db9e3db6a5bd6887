import jax
import jax.numpy as jnp
import numpy as np
import pytest
import scipy.special as sc

from probax.math import betaincinv, gammaincinv, log1m, log1mexp

PROBABILITIES = np.array([1e-12, 1e-5, 0.01, 0.3, 0.5, 0.7, 0.99, 1 - 1e-5])


@pytest.mark.parametrize("a", [1e-2, 0.5, 1.0, 7.5, 1e3])
def test_gammaincinv_matches_scipy(a):
    expected = sc.gammaincinv(a, PROBABILITIES)
    np.testing.assert_allclose(gammaincinv(a, PROBABILITIES), expected, rtol=1e-9, atol=1e-300)


@pytest.mark.parametrize(("a", "b"), [(0.5, 0.5), (2.0, 3.0), (30.0, 0.7), (1e-2, 5.0)])
def test_betaincinv_matches_scipy(a, b):
    expected = sc.betaincinv(a, b, PROBABILITIES)
    np.testing.assert_allclose(betaincinv(a, b, PROBABILITIES), expected, rtol=1e-8, atol=1e-300)


def test_endpoints():
    np.testing.assert_array_equal(gammaincinv(2.0, jnp.array([0.0, 1.0])), [0.0, np.inf])
    np.testing.assert_array_equal(betaincinv(2.0, 3.0, jnp.array([0.0, 1.0])), [0.0, 1.0])


def test_gammaincinv_gradient_in_shape_matches_differences():
    step = 1e-6
    numeric = (sc.gammaincinv(2.0 + step, 0.3) - sc.gammaincinv(2.0 - step, 0.3)) / (2 * step)
    np.testing.assert_allclose(jax.grad(gammaincinv)(2.0, 0.3), numeric, rtol=1e-6)


def test_float32_stays_float32_and_accurate():
    x = gammaincinv(jnp.float32(3.0), jnp.float32(0.25))
    assert x.dtype == jnp.float32
    np.testing.assert_allclose(x, sc.gammaincinv(3.0, 0.25), rtol=1e-5)


def test_log1mexp_is_accurate_at_both_ends():
    x = np.array([-1e-20, -1e-5, -0.5, -0.7, -5.0])
    np.testing.assert_allclose(log1mexp(x), np.log(-np.expm1(x)), rtol=1e-12)
    # Far out, log(1 - e^x) = -e^x - e^(2x)/2 - ...; naive formulas round it to 0.
    np.testing.assert_allclose(log1mexp(-50.0), -np.exp(-50.0), rtol=1e-12)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_log1m_is_accurate_for_tiny_and_large_x_under_jit(dtype):
    eps = np.finfo(dtype).eps
    x = np.concatenate(
        [np.logspace(-30, -0.01, 400), 1 - np.logspace(np.log10(eps), -0.3, 200), -np.logspace(-30, 30, 300)]
    ).astype(dtype)
    x = x[np.isfinite(x)]
    # np.log1p in float64 is the reference (a long double would not be more accurate here for float64 input).
    expected = np.log1p(-x.astype(np.float64))
    actual = np.asarray(jax.jit(log1m)(jnp.asarray(x)), np.float64)
    np.testing.assert_allclose(actual, expected, rtol=4 * eps)
    assert float(log1m(dtype(1.0))) == -np.inf
    np.testing.assert_allclose(jax.grad(log1m)(dtype(0.3)), -1 / 0.7, rtol=4 * eps)
