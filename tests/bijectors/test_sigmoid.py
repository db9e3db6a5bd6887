import jax
import numpy as np
import pytest
from scipy import special

from probax import bijectors as tfb
from tests.bijectors.harness import BijectorCase, bijector_suite

X = np.array([-20.0, -0.3, 0.0, 3.0])
TOP = float(np.nextafter(np.float32(1), np.float32(0)))  # largest float32 below 1

CASES = [
    BijectorCase(
        "standard",
        lambda: tfb.Sigmoid(),
        {},
        X,
        extremes_x=[-1e30, -100.0, 100.0, 1e30],
        extremes_y=[1.2e-38, 6e-8, 0.5, TOP],
    ),
    BijectorCase(
        "low_high",
        lambda low, high: tfb.Sigmoid(low, high),
        {"low": np.array([-1.0, 2.0, 0.0, -5.0]), "high": np.array([3.0, 2.5, 1.0, 5.0])},
        np.array([-3.0, -0.3, 0.0, 3.0]),
        extremes_x=[-1e30, -100.0, 100.0, 1e30],
        extremes_y=[-0.999999, 2.4999, 1e-6, 4.999],
    ),
]

test_round_trip, test_log_det, test_transforms, test_extremes = bijector_suite(CASES)


def test_values_against_scipy():
    np.testing.assert_allclose(tfb.Sigmoid().forward(X), special.expit(X), rtol=1e-14)
    y = np.array([1e-300, 1e-9, 0.3, 1 - 1e-12])
    np.testing.assert_allclose(tfb.Sigmoid().inverse(y), special.logit(y), rtol=1e-12)
    low, high = -1.0, 3.0
    np.testing.assert_allclose(
        tfb.Sigmoid(low, high).forward(X), low + (high - low) * special.expit(X), rtol=1e-14
    )
    log_slope = np.log(special.expit(X)) + np.log(special.expit(-X)) + np.log(high - low)
    np.testing.assert_allclose(tfb.Sigmoid(low, high).forward_log_det_jacobian(X), log_slope, rtol=1e-12)


def test_float32_saturated_side_keeps_precision_with_bounds():
    # With high = 0, y = -expit(-x) near the top is tiny but representable; computed as
    # low + width * expit(x) it would round to exactly `high` (and invert to inf).
    b = tfb.Sigmoid(np.float32(-1.0), np.float32(0.0))
    x = np.array([15.0, 20.0, 25.0, 30.0], np.float32)
    y = b.forward(x)
    np.testing.assert_allclose(y, -special.expit(-x.astype(np.float64)), rtol=1e-6)
    np.testing.assert_allclose(b.inverse(y), x, rtol=1e-6)


def test_float32_log_det_gradient_finite_at_saturation():
    x = np.array([-200.0, -30.0, 30.0, 200.0], np.float32)
    grads = jax.jit(jax.grad(lambda x: tfb.Sigmoid().forward_log_det_jacobian(x).sum()))(x)
    np.testing.assert_allclose(grads, [1.0, 1.0, -1.0, -1.0])


def test_bounds_are_checked():
    with pytest.raises(ValueError, match="both `low` and `high` or neither"):
        tfb.Sigmoid(low=0.0)
    with pytest.raises(ValueError, match="`low` < `high`"):
        tfb.Sigmoid(low=np.array([0.0, 2.0]), high=np.array([1.0, 1.0]), validate_args=True)


def test_tfp_argument_names():
    b = tfb.Sigmoid(low=-1.0, high=1.0)
    assert (float(b.low), float(b.high)) == (-1.0, 1.0)
    assert tfb.Sigmoid().name == "sigmoid" and tfb.Sigmoid().low is None
