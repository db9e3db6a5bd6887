import jax.numpy as jnp
import numpy as np
import pytest

from probax import bijectors as tfb
from tests.bijectors.harness import BijectorCase, bijector_suite

X = np.array([[-1.0, 0.5, 2.0], [0.3, -2.0, 1.0], [0.0, 4.0, -0.7]])
TRIL = np.array([[2.0, 0.0, 0.0], [0.5, -1.5, 0.0], [-0.3, 0.8, 0.7]])
# A batch of two; the entries above the diagonal are ignored, as in TFP.
BATCH = np.stack([TRIL, TRIL.T @ TRIL * 0.5 + np.eye(3)])

CASES = [
    BijectorCase(
        "batch",
        lambda scale_tril: tfb.ScaleMatvecTriL(scale_tril),
        {"scale_tril": BATCH[:, None]},
        X[None, :2],
    ),
]

test_round_trip, test_log_det, test_transforms, test_extremes = bijector_suite(CASES)


def test_values_against_numpy_linalg():
    for adjoint in (False, True):
        b = tfb.ScaleMatvecTriL(BATCH[1], adjoint=adjoint)
        matrix = np.tril(BATCH[1]).T if adjoint else np.tril(BATCH[1])
        np.testing.assert_allclose(b.forward(X), X @ matrix.T, rtol=1e-13)
        np.testing.assert_allclose(b.inverse(X), np.linalg.solve(matrix, X.T).T, rtol=1e-12)
        np.testing.assert_allclose(b.forward_log_det_jacobian(X), np.linalg.slogdet(matrix)[1], rtol=1e-13)


def test_constant_log_det_has_the_parameter_batch_shape_and_broadcasts():
    b = tfb.ScaleMatvecTriL(jnp.asarray(BATCH))
    assert b.batch_shape == (2,)
    assert b.forward_log_det_jacobian(jnp.zeros(3)).shape == (2,)
    y = b.forward(jnp.zeros((4, 1, 3)))
    assert y.shape == (4, 2, 3) and b.inverse(y).shape == (4, 2, 3)
    assert tfb.ScaleMatvecTriL(TRIL).forward_log_det_jacobian(X).shape == ()


def test_zero_diagonal_is_rejected():
    singular = TRIL.copy()
    singular[1, 1] = 0.0
    with pytest.raises(ValueError, match="`scale_tril` must have a non-zero diagonal"):
        tfb.ScaleMatvecTriL(singular, validate_args=True)


def test_tfp_argument_names():
    b = tfb.ScaleMatvecTriL(scale_tril=TRIL, adjoint=True)
    assert b.adjoint is True and b.name == "scale_matvec_tril"
    assert b.forward_min_event_ndims == 1 and b.is_constant_jacobian
