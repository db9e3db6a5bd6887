import jax
import jax.numpy as jnp
import numpy as np
import pytest
import scipy.special as sc

from probax.math.bessel import bessel_iv_ratio, log_bessel_ive, one_minus_bessel_iv_ratio

# Spans the three regimes: power series (z <= 10), Debye + recurrence, Hankel (z >= max(50, 5 (v+1)^2)).
Z = np.concatenate([[0.0], np.logspace(-6, 6, 96)])
ORDERS = [0.0, 1.5, 19.5, 60.0]


def _reference_log_ive(v, z):
    value = sc.ive(v, z)
    # scipy's ive underflows (to 0 or a subnormal) for large v and tiny z: no reference there.
    usable = (value > 1e-290) & (z > 0)
    return np.log(np.where(usable, value, 1.0)), usable


@pytest.mark.parametrize("v", ORDERS)
def test_log_bessel_ive_matches_scipy(v):
    expected, usable = _reference_log_ive(v, Z)
    # Relative to max(|value|, 1): near 0 the value is a difference of O(1) terms.
    actual = np.asarray(log_bessel_ive(v, Z))
    assert actual[0] == (0.0 if v == 0 else -np.inf)  # I_0(0) = 1, I_v(0) = 0 for v > 0
    error = np.abs(actual - expected) / np.maximum(np.abs(expected), 1)
    assert np.max(error[usable]) < 5e-14
    # float32: a few units in the last place.
    actual32 = np.asarray(log_bessel_ive(v, Z.astype(np.float32)), np.float64)
    expected32, usable32 = _reference_log_ive(v, Z.astype(np.float32).astype(np.float64))
    usable32 &= np.isfinite(expected32) & (sc.ive(v, Z.astype(np.float32)) > 1e-37)
    error32 = np.abs(actual32 - expected32) / np.maximum(np.abs(expected32), 1)
    assert actual32.dtype == np.float64 and np.max(error32[usable32]) < 3e-6


@pytest.mark.parametrize("v", [1.0, 1.5, 2.5, 30.0])
def test_ratio_and_complement_match_scipy_where_it_is_accurate(v):
    ratio = sc.ive(v, Z) / sc.ive(v - 1, Z)
    usable = (sc.ive(v, Z) > 1e-290) & (Z > 0)
    actual = np.asarray(bessel_iv_ratio(v, Z))
    assert actual[0] == 0.0 and float(one_minus_bessel_iv_ratio(v, Z)[0]) == 1.0
    np.testing.assert_allclose(actual[usable], ratio[usable], rtol=1e-12)
    # 1 - ratio from scipy is only as good as eps / (1 - ratio): compare where that is below 1e-12.
    far = usable & (1 - ratio > 1e-3)
    np.testing.assert_allclose(np.asarray(one_minus_bessel_iv_ratio(v, Z))[far], 1 - ratio[far], rtol=1e-12)


def test_complement_at_large_argument_matches_closed_forms():
    # Half-integer orders are elementary: I_{3/2}/I_{1/2} = coth z - 1/z and, up to e^{-2z},
    # I_{5/2}/I_{3/2} = (1 - 3/z + 3/z^2) / (1 - 1/z).
    z = np.logspace(1.7, 8, 40)
    expected = {1.5: 1 / z - 2 * np.exp(-2 * z) / (-np.expm1(-2 * z)), 2.5: (2 * z - 3) / (z * (z - 1))}
    for v, complement in expected.items():
        np.testing.assert_allclose(one_minus_bessel_iv_ratio(v, z), complement, rtol=2e-14)
        np.testing.assert_allclose(one_minus_bessel_iv_ratio(v, z.astype(np.float32)), complement, rtol=2e-6)


def test_order_must_be_a_static_number_in_range():
    with pytest.raises(ValueError, match="order v"):
        log_bessel_ive(-0.5, 1.0)
    with pytest.raises(ValueError, match="order v"):
        bessel_iv_ratio(0.5, 1.0)
    with pytest.raises(ValueError, match="order v"):
        log_bessel_ive(jnp.array(1.0), 1.0)


@pytest.mark.parametrize("v", [0.0, 1.5, 25.0])
def test_derivatives_match_bessel_identities(v):
    z = np.array([1e-3, 0.7, 9.0, 11.0, 80.0, 3e3, 1e6])
    # d/dz log(I_v e^-z) = I_{v+1}/I_v + v/z - 1 and h' = 1 - h^2 - (2v+1) h / z for h = I_{v+1}/I_v.
    ratio = sc.ive(v + 1, z) / sc.ive(v, z)

    def slopes(t):
        pairs = [(log_bessel_ive, v), (bessel_iv_ratio, v + 1), (one_minus_bessel_iv_ratio, v + 1)]
        return [jax.vmap(jax.grad(lambda s, f=f, o=o: f(o, s)))(t) for f, o in pairs]

    slope, ratio_slope, complement_slope = jax.jit(slopes)(jnp.asarray(z))
    np.testing.assert_allclose(slope, ratio + v / z - 1, rtol=1e-10, atol=1e-15)
    # Riccati: rtol 1e-8 because 1 - h^2 - (2v+1) h / z cancels to ~1/z^2 at z = 1e6.
    np.testing.assert_allclose(ratio_slope, 1 - ratio**2 - (2 * v + 1) * ratio / z, rtol=1e-8, atol=1e-15)
    np.testing.assert_allclose(complement_slope, -ratio_slope, rtol=1e-15)


def test_works_under_jit_and_vmap_and_keeps_float32():
    z = jnp.linspace(0.0, 100.0, 12, dtype=jnp.float32).reshape(3, 4)
    value = jax.jit(jax.vmap(lambda row: log_bessel_ive(1.5, row)))(z)
    assert value.dtype == jnp.float32 and value.shape == (3, 4)
    np.testing.assert_allclose(value, log_bessel_ive(1.5, z), rtol=1e-6)
