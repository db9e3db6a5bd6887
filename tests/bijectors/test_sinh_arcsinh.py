import numpy as np
import pytest

from probax import bijectors as tfb
from tests.bijectors.harness import BijectorCase, bijector_suite

X = np.array([-3.0, -0.3, 0.0, 2.0])
EXTREMES = [-1e30, -1e10, 1e10, 1e30]
# Outputs whose inverse stays in float32 range for every case (tailweight 0.5 squares |y| roughly).
EXTREMES_Y = [-1e15, -1e5, 1e5, 1e15]


def _reference_forward(x, skewness, tailweight):
    multiplier = 2.0 / np.sinh(np.arcsinh(2.0) * tailweight)
    return multiplier * np.sinh((np.arcsinh(x) + skewness) * tailweight)


CASES = [
    BijectorCase(
        "both",
        lambda skewness, tailweight: tfb.SinhArcsinh(skewness, tailweight),
        {"skewness": np.array([0.5, -1.0, 0.0, 2.0]), "tailweight": np.array([0.5, 1.0, 2.0, 1.5])},
        X,
        extremes_x=EXTREMES,
        extremes_y=EXTREMES_Y,
    ),
]

test_round_trip, test_log_det, test_transforms, test_extremes = bijector_suite(CASES)


def test_values_against_numpy_formula():
    skewness, tailweight = np.array([0.5, -1.0, 0.0, 2.0]), np.array([0.5, 1.0, 2.0, 1.5])
    b = tfb.SinhArcsinh(skewness, tailweight)
    np.testing.assert_allclose(b.forward(X), _reference_forward(X, skewness, tailweight), rtol=1e-13)
    # Only one parameter given: the other takes its default.
    np.testing.assert_allclose(
        tfb.SinhArcsinh(tailweight=2.0).forward(X), _reference_forward(X, 0.0, 2.0), rtol=1e-13
    )
    np.testing.assert_allclose(
        tfb.SinhArcsinh(skewness=0.5).forward(X), _reference_forward(X, 0.5, 1.0), rtol=1e-13
    )
    identity = tfb.SinhArcsinh()
    np.testing.assert_allclose(identity.forward(X), X, rtol=1e-15)
    np.testing.assert_allclose(identity.inverse(X), X, rtol=1e-15)
    np.testing.assert_allclose(identity.forward_log_det_jacobian(X), 0.0, atol=1e-15)
    np.testing.assert_allclose(identity.inverse_log_det_jacobian(X), 0.0, atol=1e-15)


def test_float32_log_det_in_the_far_tails():
    # At |x| = 1e30, log(1 + x^2) overflows if formed directly; the derivative there is
    # m * tailweight * cosh(t) / |x| with t = (asinh(x) + skewness) * tailweight.
    skewness, tailweight = 0.5, 0.8
    b = tfb.SinhArcsinh(np.float32(skewness), np.float32(tailweight))
    x = np.array([-1e30, -1e20, 1e20, 1e30], np.float32)
    t = (np.arcsinh(x.astype(np.float64)) + skewness) * tailweight
    multiplier = 2.0 / np.sinh(np.arcsinh(2.0) * tailweight)
    expected = (
        np.log(multiplier * tailweight) + np.abs(t) - np.log(2.0) - np.log(np.abs(x.astype(np.float64)))
    )
    np.testing.assert_allclose(b.forward_log_det_jacobian(x), expected, rtol=1e-6)


def test_nonpositive_tailweight_is_rejected():
    with pytest.raises(ValueError, match="`tailweight` must be positive"):
        tfb.SinhArcsinh(tailweight=np.array([1.0, 0.0]), validate_args=True)


def test_tfp_argument_names():
    b = tfb.SinhArcsinh(skewness=0.1, tailweight=2.0)
    assert (float(b.skewness), float(b.tailweight)) == (0.1, 2.0)
    assert b.name == "sinh_arcsinh"
