import numpy as np
import pytest

from probax import bijectors as tfb
from tests.bijectors.harness import BijectorCase, bijector_suite

CASES = [
    BijectorCase("invert_exp", lambda: tfb.Invert(tfb.Exp()), {}, np.array([1e-3, 0.5, 2.0, 30.0])),
    BijectorCase(
        "invert_chain",
        lambda scale: tfb.Invert(tfb.Chain([tfb.Exp(), tfb.Scale(scale)])),
        {"scale": np.array([2.0, 0.5, 3.0])},
        np.array([0.2, 1.0, 4.0]),
    ),
]

test_round_trip, test_log_det, test_transforms, test_extremes = bijector_suite(CASES)


def test_invert_swaps_directions_and_log_dets():
    inverted = tfb.Invert(tfb.Exp())
    np.testing.assert_allclose(inverted.forward(np.e), 1.0, rtol=1e-6)
    np.testing.assert_allclose(inverted.forward_log_det_jacobian(2.0), -np.log(2.0), rtol=1e-6)
    assert inverted.name == "invert_exp"


def test_invert_rejects_non_bijectors():
    with pytest.raises(TypeError, match="must be a Bijector"):
        tfb.Invert(np.exp)
