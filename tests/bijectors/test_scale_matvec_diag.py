import jax.numpy as jnp
import numpy as np
import pytest

from probax import bijectors as tfb
from tests.bijectors.harness import BijectorCase, bijector_suite

X = np.array([[-1.0, 0.5, 2.0], [0.3, -2.0, 1.0], [0.0, 4.0, -0.7]])

CASES = [
    BijectorCase(
        "broadcast_adjoint",
        lambda scale_diag: tfb.ScaleMatvecDiag(scale_diag, adjoint=True),
        {"scale_diag": np.array([[[2.0, -0.5, 3.0]], [[1.0, 0.1, -4.0]]])},
        X[:2],
    ),
]

test_round_trip, test_log_det, test_transforms, test_extremes = bijector_suite(CASES)


def test_values_against_numpy_linalg():
    d = np.array([2.0, -0.5, 3.0])
    b = tfb.ScaleMatvecDiag(d)
    np.testing.assert_allclose(b.forward(X), X @ np.diag(d).T, rtol=1e-15)
    np.testing.assert_allclose(b.inverse(X), np.linalg.solve(np.diag(d), X.T).T, rtol=1e-14)
    np.testing.assert_allclose(b.forward_log_det_jacobian(X), np.linalg.slogdet(np.diag(d))[1], rtol=1e-14)


def test_constant_log_det_has_the_parameter_batch_shape_as_in_tfp():
    b = tfb.ScaleMatvecDiag(jnp.ones((2, 1, 3)) * 2.0)
    assert b.forward_log_det_jacobian(jnp.zeros((4, 3))).shape == (2, 1)
    assert tfb.ScaleMatvecDiag(jnp.full(3, 2.0)).forward_log_det_jacobian(jnp.zeros((4, 3))).shape == ()
    np.testing.assert_allclose(
        tfb.ScaleMatvecDiag(jnp.full(3, 2.0)).forward_log_det_jacobian(jnp.zeros((4, 3)), 2),
        4 * 3 * np.log(2.0),
    )
    assert b.forward_min_event_ndims == 1 and b.is_constant_jacobian
    assert b.batch_shape == (2, 1)


def test_zero_entry_is_rejected():
    with pytest.raises(ValueError, match="`scale_diag` must have non-zero entries"):
        tfb.ScaleMatvecDiag(np.array([1.0, 0.0]), validate_args=True)


def test_tfp_argument_names_and_dtype():
    b = tfb.ScaleMatvecDiag(scale_diag=[1.0, 2.0], adjoint=True, dtype=np.float32)
    assert b.adjoint is True and b.scale_diag.dtype == np.float32
    assert b.name == "scale_matvec_diag"
