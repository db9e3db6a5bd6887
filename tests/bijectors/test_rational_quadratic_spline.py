import jax
import jax.numpy as jnp
import numpy as np
import pytest

from probax import bijectors as tfb
from tests.bijectors.harness import BijectorCase, bijector_suite

WIDTHS = np.array([[0.5, 1.0, 2.5], [2.0, 1.0, 1.0]])
HEIGHTS = np.array([[2.0, 1.5, 0.5], [1.0, 1.0, 2.0]])
SLOPES = np.array([[0.3, 2.5], [1.0, 0.7]])
X = np.array([[-3.5, -1.6, -0.4, 0.95], [0.2, 1.8, 2.5, 3.0]])[..., None]

CASES = [
    BijectorCase(
        "spline",
        lambda w, h, s, r: tfb.RationalQuadraticSpline(w, h, s, range_min=r),
        {"w": WIDTHS[:, None], "h": HEIGHTS[:, None], "s": SLOPES[:, None], "r": np.array(-2.0)},
        X[..., 0],
        extremes_x=[-1e30, -2.0, 2.0, 1e30],
        extremes_y=[-1e30, 1e30],
    ),
]

test_round_trip, test_log_det, test_transforms, test_extremes = bijector_suite(CASES)


def test_knots_map_to_knots_and_identity_outside():
    spline = tfb.RationalQuadraticSpline(WIDTHS[0], HEIGHTS[0], SLOPES[0], range_min=-2.0)
    x_knots = -2.0 + np.concatenate([[0.0], np.cumsum(WIDTHS[0])])
    y_knots = -2.0 + np.concatenate([[0.0], np.cumsum(HEIGHTS[0])])
    np.testing.assert_allclose(spline.forward(x_knots), y_knots, rtol=1e-6, atol=1e-6)
    np.testing.assert_allclose(spline.forward(np.array([-5.0, 5.0])), [-5.0, 5.0])
    # Slopes at the knots: 1 at the ends, knot_slopes inside.
    derivative = jax.vmap(jax.grad(lambda t: spline.forward(t)))(jnp.asarray(x_knots + 1e-7))
    np.testing.assert_allclose(derivative, [1.0, *SLOPES[0], 1.0], rtol=1e-4)


def test_monotone_and_matches_numerical_integral_of_derivative():
    spline = tfb.RationalQuadraticSpline(WIDTHS[1], HEIGHTS[1], SLOPES[1], range_min=-2.0)
    grid = np.linspace(-2.0, 2.0, 2001)
    y = np.asarray(spline.forward(grid))
    assert np.all(np.diff(y) > 0)
    density = np.exp(np.asarray(spline.forward_log_det_jacobian(grid)))
    np.testing.assert_allclose(np.trapezoid(density, grid), y[-1] - y[0], rtol=1e-6)


def test_shapes_are_checked():
    with pytest.raises(ValueError, match="K - 1"):
        tfb.RationalQuadraticSpline([1.0, 1.0], [1.0, 1.0], [1.0, 1.0])
    with pytest.raises(ValueError, match="`bin_widths` must be positive"):
        tfb.RationalQuadraticSpline([1.0, -1.0], [1.0, 1.0], [1.0], validate_args=True)
