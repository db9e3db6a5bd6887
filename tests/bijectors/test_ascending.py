import jax.numpy as jnp
import numpy as np
import pytest

from probax import bijectors as tfb
from tests.bijectors.harness import BijectorCase, bijector_suite

RNG = np.random.default_rng(6)
X4 = RNG.normal(size=(3, 4))
INCREASING = np.cumsum(np.abs(RNG.normal(size=(3, 4))) + 0.1, axis=-1) - 2.0

CASES = [
    BijectorCase("ascending", lambda: tfb.Ascending(), {}, X4,
                 extremes_x=[[0.0, -100.0, 80.0, -80.0]], extremes_y=[[-3e38, 0.0, 1e-30, 3e38]]),
]

test_round_trip, test_log_det, test_transforms, test_extremes = bijector_suite(CASES)


def test_values_against_numpy():
    y = np.asarray(tfb.Ascending().forward(X4))
    expected = X4[:, :1] + np.concatenate([np.zeros((3, 1)), np.cumsum(np.exp(X4[:, 1:]), axis=-1)], axis=-1)
    np.testing.assert_allclose(y, expected, rtol=1e-12)
    assert np.all(np.diff(y, axis=-1) > 0)
    np.testing.assert_allclose(tfb.Ascending().forward_log_det_jacobian(X4), X4[:, 1:].sum(-1), rtol=1e-12)
    ordered = tfb.Ordered().forward(INCREASING)
    np.testing.assert_allclose(ordered, tfb.Ascending().inverse(INCREASING), rtol=1e-12)
    np.testing.assert_allclose(tfb.Ordered().inverse(ordered), INCREASING, rtol=1e-12)
    np.testing.assert_allclose(tfb.Ordered().forward_log_det_jacobian(INCREASING),
                               -np.sum(np.log(np.diff(INCREASING, axis=-1)), axis=-1), rtol=1e-12)
    np.testing.assert_allclose(tfb.Ordered().forward(INCREASING)[:, 1:], np.log(np.diff(INCREASING, axis=-1)),
                               rtol=1e-12)


def test_names_and_validation():
    assert tfb.Ascending().name == "ascending" and tfb.Ordered().name == "ordered"
    assert isinstance(tfb.Ordered(), tfb.Invert)
    with pytest.raises(ValueError, match="strictly increasing"):
        tfb.Ascending(validate_args=True).inverse(jnp.array([0.0, 1.0, 1.0]))
    with pytest.raises(ValueError, match="strictly increasing"):
        tfb.Ordered(validate_args=True).forward(jnp.array([2.0, 1.0]))
