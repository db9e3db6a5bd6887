import jax.numpy as jnp
import numpy as np
import pytest

from probax import bijectors as tfb
from probax.bijectors.bijector import Bijector
from tests.bijectors.harness import BijectorCase, bijector_suite

RNG = np.random.default_rng(8)
X3 = RNG.normal(size=(3, 3))
X5 = RNG.normal(size=(3, 5))


def simplex_chart(size):
    """Orthonormal coordinates on the plane sum(y) = 1 in R^size (SoftmaxCentered's log-det convention)."""
    basis, _ = np.linalg.qr(np.concatenate([np.ones((size, 1)), np.eye(size)[:, : size - 1]], axis=1))
    return jnp.asarray(basis[:, 1:].T)


CHART = simplex_chart(3)

CASES = [
    # A vector block, a block that grows (SoftmaxCentered: 2 -> 3) and an elementwise block with one
    # scale per batch member.
    BijectorCase("ascending_softmax_scale",
                 lambda scale: tfb.Blockwise([tfb.Ascending(), tfb.SoftmaxCentered(), tfb.Scale(scale)],
                                             [2, 2, 1]),
                 {"scale": np.array([[0.5], [-2.0], [3.0]])}, X5,
                 to_free_output=lambda y: jnp.concatenate([y[:2], CHART @ y[2:5], y[5:]])),
]

test_round_trip, test_log_det, test_transforms, test_extremes = bijector_suite(CASES)


def test_blocks_are_the_parts_as_in_tfp_example():
    # TFP's documented equivalence: split, apply, concatenate.
    blockwise = tfb.Blockwise([tfb.Exp(), tfb.Sigmoid()], block_sizes=[2, 1])
    y = np.asarray(blockwise.forward(X3))
    expected = np.concatenate([np.exp(X3[:, :2]), 1 / (1 + np.exp(-X3[:, 2:]))], axis=-1)
    np.testing.assert_allclose(y, expected, rtol=1e-12)
    log_det = (tfb.Exp().forward_log_det_jacobian(X3[:, :2], 1)
               + tfb.Sigmoid().forward_log_det_jacobian(X3[:, 2:], 1))
    np.testing.assert_allclose(blockwise.forward_log_det_jacobian(X3), log_det, rtol=1e-12)
    np.testing.assert_allclose(blockwise.forward_log_det_jacobian(X3, 2), np.sum(log_det), rtol=1e-12)
    assert blockwise.name == "blockwise_of_exp_and_sigmoid"


def test_shapes_defaults_and_constant_log_det():
    blockwise = tfb.Blockwise([tfb.Exp(), tfb.SoftmaxCentered()], [1, 2])
    assert blockwise.forward_min_event_ndims == 1 and blockwise.inverse_min_event_ndims == 1
    assert blockwise.forward_event_shape([4, 3]) == (4, 4)
    assert blockwise.inverse_event_shape([4, 4]) == (4, 3)
    assert tfb.Blockwise([tfb.Exp(), tfb.Exp()]).block_sizes == (1, 1)
    constant = tfb.Blockwise([tfb.Scale(2.0), tfb.Shift(1.0)], [2, 1])
    assert constant.is_constant_jacobian
    log_det = constant.forward_log_det_jacobian(jnp.ones((4, 3)))
    assert log_det.shape == ()  # a constant Jacobian keeps the parameters' shape, as in TFP
    np.testing.assert_allclose(log_det, 2 * np.log(2.0), rtol=1e-12)
    assert tfb.Blockwise([tfb.Exp(), tfb.Scale(jnp.ones((5, 1)))], [1, 2]).batch_shape == (5,)


def test_bad_arguments_are_named():
    with pytest.raises(ValueError, match="one entry per bijector"):
        tfb.Blockwise([tfb.Exp(), tfb.Exp()], [1])
    with pytest.raises(ValueError, match="must map vectors to vectors"):
        tfb.Blockwise([tfb.FillTriangular()], [3])
    with pytest.raises(ValueError, match="at least one"):
        tfb.Blockwise([])
    with pytest.raises(ValueError, match="the last dimension of x must be 3"):
        tfb.Blockwise([tfb.Exp(), tfb.Exp()], [1, 2]).forward(jnp.ones(4))
    with pytest.raises(ValueError, match="non-negative"):
        tfb.Blockwise([tfb.Exp()], [-1])


class _AddCondition(Bijector):
    """y = x + conditional_input."""

    _conditional_names = ("conditional_input",)

    def __init__(self, name=None):
        super().__init__(forward_min_event_ndims=0, is_constant_jacobian=True, name=name)

    def _forward(self, x, conditional_input):
        return x + conditional_input

    def _inverse(self, y, conditional_input):
        return y - conditional_input

    def _forward_log_det_jacobian(self, x, conditional_input):
        return jnp.zeros(())


def test_keywords_by_bijector_name_as_in_tfp():
    blockwise = tfb.Blockwise([_AddCondition("b1"), _AddCondition("b2")])
    y = blockwise.forward(jnp.zeros(2), b1={"conditional_input": 1.0}, b2={"conditional_input": 2.0})
    np.testing.assert_allclose(y, [1.0, 2.0])
    np.testing.assert_allclose(blockwise.inverse(y, conditional_input=1.0), [0.0, 1.0])
