import jax.numpy as jnp
import numpy as np
import pytest

from probax import bijectors as tfb
from tests.bijectors.harness import BijectorCase, bijector_suite

RNG = np.random.default_rng(2)
MATRICES = RNG.normal(size=(3, 3, 3))

CASES = [
    # A batched diag_bijector: one shift per batch member, then a vector bijector on the diagonal.
    BijectorCase("shift_ascending",
                 lambda shift: tfb.TransformDiagonal(tfb.Chain([tfb.Shift(shift), tfb.Ascending()])),
                 {"shift": np.array([[0.5], [-1.0], [2.0]])}, MATRICES),
]

test_round_trip, test_log_det, test_transforms, test_extremes = bijector_suite(CASES)


def test_only_the_diagonal_changes():
    x = MATRICES[0]
    y = np.asarray(tfb.TransformDiagonal(tfb.Exp()).forward(x))
    expected = x.copy()
    expected[np.diag_indices(3)] = np.exp(np.diagonal(x))
    np.testing.assert_allclose(y, expected, rtol=1e-12)
    np.testing.assert_allclose(tfb.TransformDiagonal(tfb.Exp()).forward_log_det_jacobian(x), np.trace(x),
                               rtol=1e-12)


def test_batch_shape_and_bad_diag_bijector():
    assert tfb.TransformDiagonal(tfb.Shift(jnp.ones((4, 3)))).batch_shape == (4,)
    assert tfb.TransformDiagonal(tfb.Exp()).forward_min_event_ndims == 2
    with pytest.raises(ValueError, match="must map vectors to vectors"):
        tfb.TransformDiagonal(tfb.FillTriangular())
    with pytest.raises(TypeError, match="must be a Bijector"):
        tfb.TransformDiagonal("exp")
