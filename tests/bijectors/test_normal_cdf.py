import jax
import numpy as np
from scipy import special, stats

from probax import bijectors as tfb
from tests.bijectors.harness import BijectorCase, bijector_suite

X = np.array([-5.0, -0.3, 0.0, 2.0])

CASES = [
    BijectorCase(
        "normal_cdf",
        lambda: tfb.NormalCDF(),
        {},
        X,
        extremes_x=[-1e30, -40.0, 8.0, 1e30],
        extremes_y=[1.2e-38, 1e-30, 0.5, 0.99999994],
    ),
]

test_round_trip, test_log_det, test_transforms, test_extremes = bijector_suite(CASES)


def test_values_against_scipy():
    b = tfb.NormalCDF()
    x = np.array([-30.0, -5.0, 0.3, 4.0])
    np.testing.assert_allclose(b.forward(x), special.ndtr(x), rtol=1e-13)
    y = np.array([1e-300, 1e-20, 0.3, 1 - 1e-12])
    np.testing.assert_allclose(b.inverse(y), special.ndtri(y), rtol=1e-10)
    np.testing.assert_allclose(b.forward_log_det_jacobian(x), stats.norm.logpdf(x), rtol=1e-13)
    np.testing.assert_allclose(
        b.inverse_log_det_jacobian(y), -stats.norm.logpdf(special.ndtri(y)), rtol=1e-10
    )


def test_float32_inverse_in_the_lower_tail_against_scipy():
    y = np.array([1.2e-38, 1e-30, 1e-10, 1e-3], np.float32)
    # ndtri's float32 relative error; 1e-5 allows a few ulps of y through the slope 1 / phi(x).
    np.testing.assert_allclose(tfb.NormalCDF().inverse(y), special.ndtri(y.astype(np.float64)), rtol=1e-5)


def test_log_det_finite_where_the_density_underflows():
    # phi(40) underflows in float32; its log does not.
    x = np.array([-40.0, -30.0, 30.0, 40.0], np.float32)
    np.testing.assert_allclose(
        tfb.NormalCDF().forward_log_det_jacobian(x), stats.norm.logpdf(x.astype(np.float64)), rtol=1e-6
    )
    grads = jax.jit(jax.grad(lambda y: tfb.NormalCDF().inverse_log_det_jacobian(y).sum()))(
        np.array([1.2e-38, 1e-30, 0.9, 0.99999994], np.float32)
    )
    assert np.all(np.isfinite(grads))


def test_default_name_is_tfps():
    assert tfb.NormalCDF().name == "normal"
