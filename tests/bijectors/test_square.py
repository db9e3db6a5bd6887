import numpy as np

from probax import bijectors as tfb
from tests.bijectors.harness import BijectorCase, bijector_suite

POSITIVE = np.array([1e-3, 0.4, 1.0, 25.0])

CASES = [BijectorCase("square", lambda: tfb.Square(), {}, POSITIVE)]

test_round_trip, test_log_det, test_transforms, test_extremes = bijector_suite(CASES)


def test_values_against_numpy():
    b = tfb.Square()
    np.testing.assert_allclose(b.forward(POSITIVE), POSITIVE**2, rtol=1e-15)
    np.testing.assert_allclose(b.inverse(POSITIVE), np.sqrt(POSITIVE), rtol=1e-15)
    np.testing.assert_allclose(b.forward_log_det_jacobian(POSITIVE), np.log(2 * POSITIVE), rtol=1e-14)
    np.testing.assert_allclose(
        b.inverse_log_det_jacobian(POSITIVE), np.log(0.5 / np.sqrt(POSITIVE)), rtol=1e-14
    )
    assert b.name == "square"
