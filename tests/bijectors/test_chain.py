import jax
import jax.numpy as jnp
import numpy as np
import pytest

from probax import bijectors as tfb
from probax.bijectors.bijector import Bijector
from tests.bijectors.harness import BijectorCase, bijector_suite

X = np.array([-2.5, -0.3, 0.0, 0.7, 3.0])

CASES = [
    BijectorCase(
        "exp_shift_scale",
        lambda shift, scale: tfb.Chain([tfb.Exp(), tfb.Shift(shift), tfb.Scale(scale)]),
        {"shift": np.array(0.5), "scale": np.array([2.0, -1.0, 0.5, 1.5, 3.0])},
        X,
    ),
    BijectorCase("empty", lambda: tfb.Chain([]), {}, X),
    BijectorCase(
        "nested",
        lambda shift: tfb.Chain([tfb.Chain([tfb.Shift(shift), tfb.Exp()]), tfb.Log()]),
        {"shift": np.array(1.0)},
        np.array([0.1, 1.0, 5.0]),
    ),
]

test_round_trip, test_log_det, test_transforms, test_extremes = bijector_suite(CASES)


class _AddCondition(Bijector):
    """y = x + conditional_input: a stand-in for a conditional flow layer."""

    _conditional_names = ("conditional_input",)

    def __init__(self, name=None):
        super().__init__(forward_min_event_ndims=0, is_constant_jacobian=True, name=name)

    def _forward(self, x, conditional_input):
        return x + conditional_input

    def _inverse(self, y, conditional_input):
        return y - conditional_input

    def _forward_log_det_jacobian(self, x, conditional_input):
        return jnp.zeros(())


def test_composition_order_matches_tfp():
    chain = tfb.Chain([tfb.Exp(), tfb.Shift(1.0)])  # exp(x + 1)
    np.testing.assert_allclose(chain.forward(0.0), np.e, rtol=1e-6)
    np.testing.assert_allclose(chain.inverse(np.e), 0.0, atol=1e-6)
    np.testing.assert_allclose(chain.forward_log_det_jacobian(0.0), 1.0, rtol=1e-6)


def test_conditional_input_reaches_every_layer_once_given():
    chain = tfb.Chain([_AddCondition("a"), tfb.Exp(), _AddCondition("b")])
    y = chain.forward(0.5, conditional_input=2.0)
    np.testing.assert_allclose(y, np.exp(2.5) + 2.0, rtol=1e-6)
    np.testing.assert_allclose(chain.inverse(y, conditional_input=2.0), 0.5, rtol=1e-5)
    np.testing.assert_allclose(chain.forward_log_det_jacobian(0.5, conditional_input=2.0), 2.5, rtol=1e-6)
    # Inside an inverted chain too.
    np.testing.assert_allclose(tfb.Invert(chain).inverse(0.5, conditional_input=2.0), y, rtol=1e-6)


def test_keywords_by_component_name_as_in_tfp():
    chain = tfb.Chain([_AddCondition("a"), _AddCondition("b")])
    y = chain.forward(0.0, a={"conditional_input": 1.0}, b={"conditional_input": 10.0})
    np.testing.assert_allclose(y, 11.0)


def test_unknown_keyword_names_the_components():
    with pytest.raises(TypeError, match=r"\['bogus'\]"):
        tfb.Chain([tfb.Exp()]).forward(1.0, bogus=1.0)


def test_min_event_ndims_and_jit():
    chain = tfb.Chain([tfb.Exp(), tfb.Shift(jnp.ones(3))])
    assert chain.forward_min_event_ndims == 0 and chain.is_constant_jacobian is False
    assert tfb.Chain([tfb.Shift(1.0), tfb.Scale(2.0)]).is_constant_jacobian
    out = jax.jit(lambda c, x: c.forward_log_det_jacobian(x, 1))(chain, jnp.zeros(3))
    np.testing.assert_allclose(out, 3.0, rtol=1e-6)


def test_not_a_bijector_is_rejected():
    with pytest.raises(TypeError, match=r"bijectors\[1\] must be a Bijector"):
        tfb.Chain([tfb.Exp(), "exp"])
