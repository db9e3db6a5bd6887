import jax
import numpy as np
import pytest

from probax import bijectors as tfb
from tests.bijectors.harness import BijectorCase, bijector_suite

X = np.array([-30.0, -0.3, 3.0, 40.0])
EXTREMES_X = [-1e30, -100.0, 100.0, 1e30]
EXTREMES_Y = [1.2e-38, 1e-30, 1e8, 1e30]

CASES = [
    BijectorCase("default", lambda: tfb.Softplus(), {}, X, extremes_x=EXTREMES_X, extremes_y=EXTREMES_Y),
    # A negative softness reflects the map (y < low).
    BijectorCase(
        "low_and_hinge",
        lambda hinge_softness, low: tfb.Softplus(hinge_softness, low),
        {"hinge_softness": np.array([0.5, -2.0, 1.0, 3.0]), "low": np.array([1.0, -3.0, 0.0, 2.0])},
        # Moderate x: float32 cannot resolve softplus(x) << low (the inverse is ill-conditioned).
        np.array([-0.3, 3.0, 0.5, -1.0]),
    ),
]

test_round_trip, test_log_det, test_transforms, test_extremes = bijector_suite(CASES)


def _softplus(x):
    return np.logaddexp(0.0, x)


def test_values_against_numpy_formula():
    c, low = 0.7, -1.5
    np.testing.assert_allclose(tfb.Softplus(c, low).forward(X), c * _softplus(X / c) + low, rtol=1e-12)
    y = np.array([1e-300, 1e-8, 3.0, 300.0])
    # log(expm1(y)) in float64 is exact enough away from overflow.
    np.testing.assert_allclose(tfb.Softplus().inverse(y), np.log(np.expm1(y)), rtol=1e-12)
    np.testing.assert_allclose(
        tfb.Softplus(hinge_softness=-2.0).forward(X), 2.0 * -_softplus(-X / 2.0), rtol=1e-12
    )


def test_float32_inverse_keeps_precision_at_both_ends():
    b = tfb.Softplus()
    y = np.array([1e-30, 1e-6, 30.0, 80.0], np.float32)
    expected = np.log(np.expm1(y.astype(np.float64)))
    # A handful of float32 ulps: log(-expm1(-y)) + y never cancels.
    np.testing.assert_allclose(b.inverse(y), expected, rtol=4e-7)
    # dx/dy = e^y / expm1(y).
    np.testing.assert_allclose(
        b.inverse_log_det_jacobian(y), y.astype(np.float64) - expected, rtol=4e-7, atol=1e-7
    )


def test_gradients_finite_near_zero_and_large():
    y = np.array([1e-30, 1e-10, 1.0, 1e10], np.float32)
    grads = jax.jit(
        jax.grad(lambda y: (tfb.Softplus().inverse(y) + tfb.Softplus().inverse_log_det_jacobian(y)).sum())
    )(y)
    assert np.all(np.isfinite(grads))


def test_zero_hinge_softness_is_rejected():
    with pytest.raises(ValueError, match="`hinge_softness` must be non-zero"):
        tfb.Softplus(hinge_softness=np.array([1.0, 0.0]), validate_args=True)
    tfb.Softplus(hinge_softness=0.0)  # not validated: accepted, as in TFP


def test_tfp_argument_names_and_default_name():
    b = tfb.Softplus(hinge_softness=2.0, low=1.0)
    assert float(b.hinge_softness) == 2.0 and float(b.low) == 1.0
    assert tfb.Softplus().name == "softplus"
    assert tfb.Softplus().low is None and tfb.Softplus().hinge_softness is None
