import numpy as np

from probax import bijectors as tfb
from tests.bijectors.harness import BijectorCase, bijector_suite

X = np.array([-4.0, -0.3, 0.02, 2.5])

CASES = [BijectorCase("reciprocal", lambda: tfb.Reciprocal(), {}, X)]

test_round_trip, test_log_det, test_transforms, test_extremes = bijector_suite(CASES)


def test_values_against_numpy():
    b = tfb.Reciprocal()
    np.testing.assert_allclose(b.forward(X), 1 / X, rtol=1e-15)
    np.testing.assert_allclose(b.inverse(X), 1 / X, rtol=1e-15)
    np.testing.assert_allclose(b.forward_log_det_jacobian(X), np.log(1 / X**2), rtol=1e-14)
    np.testing.assert_allclose(b.inverse_log_det_jacobian(X), np.log(1 / X**2), rtol=1e-14)
    assert b.name == "reciprocal"
