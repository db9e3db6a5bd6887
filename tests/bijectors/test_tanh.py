import jax
import numpy as np

from probax import bijectors as tfb
from tests.bijectors.harness import BijectorCase, bijector_suite

X = np.array([-3.0, -0.3, 0.0, 2.0])

CASES = [
    BijectorCase(
        "tanh",
        lambda: tfb.Tanh(),
        {},
        X,
        extremes_x=[-1e30, -9.5, 9.5, 1e30],
        extremes_y=[-1.0, -0.99999994, 0.99999994, 1.0],
    ),
]

test_round_trip, test_log_det, test_transforms, test_extremes = bijector_suite(CASES)


def test_values_against_numpy():
    np.testing.assert_allclose(tfb.Tanh().forward(X), np.tanh(X), rtol=1e-15)
    y = np.array([-0.999, 0.0, 0.2, 0.9999999])
    np.testing.assert_allclose(tfb.Tanh().inverse(y), np.arctanh(y), rtol=1e-10)
    np.testing.assert_allclose(
        tfb.Tanh().forward_log_det_jacobian(X), np.log1p(-(np.tanh(X) ** 2)), rtol=1e-10
    )
    np.testing.assert_allclose(tfb.Tanh().inverse_log_det_jacobian(y), -np.log1p(-(y**2)), rtol=1e-9)


def test_float32_log_det_accurate_in_the_tails():
    # log(1 - tanh(x)^2) ~ log 4 - 2|x|: accurate where 1 - tanh^2 underflows in float32.
    x = np.array([-60.0, -30.0, 30.0, 60.0], np.float32)
    np.testing.assert_allclose(tfb.Tanh().forward_log_det_jacobian(x), np.log(4.0) - 2 * np.abs(x), rtol=1e-6)


def test_saturated_float32_inverse_is_finite_with_finite_gradient():
    y = np.array([-1.0, 1.0], np.float32)
    x = tfb.Tanh().inverse(y)
    # atanh of the largest float32 below 1 = log(2 / 2^-24) / 2.
    np.testing.assert_allclose(x, [-0.5 * np.log(2.0**25 - 1), 0.5 * np.log(2.0**25 - 1)], rtol=1e-6)
    assert np.all(np.isfinite(tfb.Tanh().inverse_log_det_jacobian(y)))

    def total(y):
        return (tfb.Tanh().inverse(y) + tfb.Tanh().inverse_log_det_jacobian(y)).sum()

    assert np.all(
        np.isfinite(jax.jit(jax.grad(total))(np.array([-1.0, -0.99999994, 0.99999994, 1.0], np.float32)))
    )


def test_default_name():
    assert tfb.Tanh().name == "tanh"
