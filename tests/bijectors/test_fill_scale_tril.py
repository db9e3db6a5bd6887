import jax.numpy as jnp
import numpy as np
from scipy import special

from probax import bijectors as tfb
from tests.bijectors.harness import BijectorCase, bijector_suite

RNG = np.random.default_rng(1)
X6 = RNG.normal(size=(3, 6))
ROWS, COLS = np.tril_indices(3)


def lower_entries(matrix):
    return matrix[ROWS, COLS]


CASES = [
    # diag_shift is a parameter here so the float32 run keeps float32 (a Python float default is
    # float64 under x64); one shift per batch member.
    BijectorCase("softplus", lambda diag_shift: tfb.FillScaleTriL(diag_shift=diag_shift),
                 {"diag_shift": np.array([[1e-5], [0.1], [1.0]])}, X6, to_free_output=lower_entries),
]

test_round_trip, test_log_det, test_transforms, test_extremes = bijector_suite(CASES)


def test_values_against_softplus_formula():
    x = X6[0]
    bijector = tfb.FillScaleTriL(diag_shift=0.25)
    scale_tril = np.asarray(bijector.forward(x))
    filled = np.asarray(tfb.FillTriangular().forward(x))
    diagonal = np.diagonal(filled)
    expected = filled.copy()
    expected[np.diag_indices(3)] = np.logaddexp(0.0, diagonal) + 0.25
    np.testing.assert_allclose(scale_tril, expected, rtol=1e-12)
    # log|det J| = sum log softplus'(d) = sum log expit(d).
    np.testing.assert_allclose(bijector.forward_log_det_jacobian(x), np.sum(np.log(special.expit(diagonal))),
                               rtol=1e-12)


def test_is_tfp_chain_with_tfp_arguments():
    bijector = tfb.FillScaleTriL(diag_bijector=tfb.Exp(), diag_shift=1e-3, validate_args=True, name="scale")
    assert isinstance(bijector, tfb.Chain) and bijector.name == "scale"
    assert bijector.forward_min_event_ndims == 1 and bijector.inverse_min_event_ndims == 2
    assert tfb.FillScaleTriL().name == "fill_scale_tril"
    unshifted = np.asarray(tfb.FillScaleTriL(tfb.Exp(), diag_shift=None).forward(X6[0]))
    filled_diagonal = np.diagonal(np.asarray(tfb.FillTriangular().forward(X6[0])))
    np.testing.assert_allclose(np.diagonal(unshifted), np.exp(filled_diagonal), rtol=1e-12)
    diagonal = np.diagonal(np.asarray(tfb.FillScaleTriL().forward(jnp.full(6, -50.0))))
    np.testing.assert_allclose(diagonal, 1e-5, rtol=1e-6)  # softplus(-50) ~ 2e-22: the shift remains
