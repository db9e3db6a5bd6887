import jax
import numpy as np
import pytest

from probax import bijectors as tfb
from tests.bijectors.harness import BijectorCase, bijector_suite

POSITIVE = np.array([0.05, 0.7, 1.0, 3.5])

CASES = [
    # The harness applies every batch member's power to each event, so events stay positive here;
    # odd integer powers on negative inputs are checked against numpy below.
    BijectorCase(
        "power",
        lambda power: tfb.Power(power),
        {"power": np.array([2.0, 0.5, -1.5, 3.0])},
        np.array([0.05, 0.7, 3.5, 1.5]),
    ),
]

test_round_trip, test_log_det, test_transforms, test_extremes = bijector_suite(CASES)


def test_values_against_numpy():
    p = np.array([2.0, 0.5, -1.5, 1.0])
    b = tfb.Power(p)
    np.testing.assert_allclose(b.forward(POSITIVE), POSITIVE**p, rtol=1e-14)
    np.testing.assert_allclose(
        b.forward_log_det_jacobian(POSITIVE), np.log(np.abs(p * POSITIVE ** (p - 1))), rtol=1e-12
    )
    # Odd integer powers on the whole real line.
    x, p = np.array([-8.0, -0.5, -1.5, 27.0]), np.array([3.0, -1.0, 5.0, 3.0])
    odd = tfb.Power(p)
    root = np.sign(x) * np.abs(x) ** (1 / p)
    np.testing.assert_allclose(odd.forward(x), x**p, rtol=1e-14)
    np.testing.assert_allclose(odd.inverse(x), root, rtol=1e-14)
    np.testing.assert_allclose(odd.forward_log_det_jacobian(x), np.log(np.abs(p * x ** (p - 1))), rtol=1e-13)
    np.testing.assert_allclose(
        odd.inverse_log_det_jacobian(x), -np.log(np.abs(p * root ** (p - 1))), rtol=1e-13
    )
    np.testing.assert_allclose(tfb.Power(3.0).forward(0.0), 0.0)


def test_domain_outside_odd_integers_is_the_non_negative_reals():
    assert np.isnan(tfb.Power(2.0).inverse(-4.0))
    assert np.isnan(tfb.Power(0.5).forward(-4.0))


def test_gradient_in_power_finite_for_negative_inputs_of_odd_powers():
    def total(p):
        b = tfb.Power(p)
        y, log_det = b.forward_and_log_det(np.array([-2.0, -0.5, 0.3, 1.5]))
        return y.sum() + log_det.sum()

    grad = jax.jit(jax.grad(total))(3.0)
    # d/dp sum(sign(x)|x|^p + log p + (p - 1) log|x|)
    x = np.array([-2.0, -0.5, 0.3, 1.5])
    expected = np.sum(np.sign(x) * np.abs(x) ** 3 * np.log(np.abs(x)) + 1 / 3 + np.log(np.abs(x)))
    np.testing.assert_allclose(grad, expected, rtol=1e-12)


def test_log_det_at_zero_for_power_one():
    np.testing.assert_allclose(tfb.Power(1.0).forward_log_det_jacobian(0.0), 0.0)


def test_zero_power_is_rejected():
    with pytest.raises(ValueError, match="`power` must be non-zero"):
        tfb.Power(np.array([2.0, 0.0]), validate_args=True)


def test_tfp_argument_names():
    b = tfb.Power(power=2.0)
    assert float(b.power) == 2.0 and b.name == "power"
