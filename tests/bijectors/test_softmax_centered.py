import jax
import jax.numpy as jnp
import numpy as np
from scipy import special

from probax import bijectors as tfb
from tests.bijectors.harness import BijectorCase, bijector_suite

RNG = np.random.default_rng(5)
X3 = RNG.normal(size=(4, 3)) * 2.0


def simplex_chart(size):
    """Orthonormal coordinates on the plane sum(y) = const in R^size (an isometric chart)."""
    basis, _ = np.linalg.qr(np.concatenate([np.ones((size, 1)), np.eye(size)[:, : size - 1]], axis=1))
    plane = basis[:, 1:]
    return lambda y: jnp.asarray(plane.T) @ y


CASES = [
    # TFP's log-det is the volume change onto the simplex as a surface in R^{n+1}: the Jacobian
    # is taken in orthonormal coordinates of that surface.
    BijectorCase("simplex", lambda: tfb.SoftmaxCentered(), {}, X3, to_free_output=simplex_chart(4),
                 extremes_x=[[-80.0, 80.0, 0.0], [88.0, 88.0, -88.0], [-1e30, 0.0, 1e30]],
                 extremes_y=[[1e-30, 1e-30, 1e-30, 1.0], [0.5, 2e-38, 0.25, 0.25]]),
]

test_round_trip, test_log_det, test_transforms, test_extremes = bijector_suite(CASES)


def test_values_against_scipy():
    bijector = tfb.SoftmaxCentered()
    padded = np.concatenate([X3, np.zeros((4, 1))], axis=-1)
    y = special.softmax(padded, axis=-1)
    np.testing.assert_allclose(bijector.forward(X3), y, rtol=1e-12)
    np.testing.assert_allclose(bijector.inverse(y), X3, rtol=1e-10)
    # Gram determinant: log(n + 1) / 2 + sum log y.
    expected = 0.5 * np.log(4.0) + np.sum(np.log(y), axis=-1)
    np.testing.assert_allclose(bijector.forward_log_det_jacobian(X3), expected, rtol=1e-12)


def test_first_n_coordinates_differ_by_half_log_n_plus_one():
    # Against the density convention of Dirichlet (Lebesgue on y_{:n}).
    x = X3[0]
    jacobian = jax.jacobian(lambda v: tfb.SoftmaxCentered().forward(v)[:3])(jnp.asarray(x))
    first_n = np.linalg.slogdet(np.asarray(jacobian))[1]
    np.testing.assert_allclose(tfb.SoftmaxCentered().forward_log_det_jacobian(x) - 0.5 * np.log(4.0), first_n,
                               rtol=1e-12)


def test_shapes_follow_tfp():
    b = tfb.SoftmaxCentered()
    assert b.forward_event_shape([2, 3]) == (2, 4)
    assert b.inverse_event_shape([4]) == (3,)
    assert b.forward(jnp.zeros((5, 2))).shape == (5, 3)
    assert b.forward_log_det_jacobian(jnp.zeros((5, 2)), 2).shape == ()
