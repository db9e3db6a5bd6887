import jax
import jax.numpy as jnp
import numpy as np
import pytest

from probax import bijectors as tfb
from tests.bijectors.harness import BijectorCase, bijector_suite

X = np.array([-2.5, -0.3, 0.0, 0.7, 3.0])
POSITIVE = np.array([1e-3, 0.4, 1.0, 2.5, 40.0])

CASES = [
    BijectorCase("identity", lambda: tfb.Identity(), {}, X),
    BijectorCase("exp", lambda: tfb.Exp(), {}, X, extremes_x=[-100.0, 80.0], extremes_y=[1e-30, 1e30]),
    BijectorCase("log", lambda: tfb.Log(), {}, POSITIVE, extremes_x=[1e-30, 1e30]),
    BijectorCase("shift", tfb.Shift, {"shift": np.array([0.5, -1.0, 2.0, 0.0, 3.0])}, X),
    BijectorCase("scale", tfb.Scale, {"scale": np.array([0.5, -1.0, 2.0, 3.0, -0.1])}, X),
    BijectorCase(
        "log_scale",
        lambda log_scale: tfb.Scale(log_scale=log_scale),
        {"log_scale": np.array([0.5, -1.0, 2.0, 0.0, 3.0])},
        X,
    ),
    BijectorCase("scale_broadcast", tfb.Scale, {"scale": np.array([[2.0], [-3.0]])}, X[None, :3]),
]

test_round_trip, test_log_det, test_transforms, test_extremes = bijector_suite(CASES)


def test_constant_log_det_keeps_the_parameter_shape_as_in_tfp():
    # A constant Jacobian is not broadcast over the input's batch dimensions.
    assert tfb.Scale(2.0).forward_log_det_jacobian(jnp.zeros((3, 5)), 1).shape == ()
    np.testing.assert_allclose(tfb.Scale(2.0).forward_log_det_jacobian(jnp.zeros((3, 5)), 1), 5 * np.log(2))
    assert tfb.Scale(jnp.ones((2, 1, 3))).forward_log_det_jacobian(jnp.zeros((4, 3)), 1).shape == (2, 1)
    assert tfb.Exp().forward_log_det_jacobian(jnp.ones((3, 5)), 1).shape == (3,)


def test_event_ndims_below_the_minimum_is_an_error():
    with pytest.raises(ValueError, match="event_ndims must be an int >= 0"):
        tfb.Exp().forward_log_det_jacobian(1.0, -1)


def test_scale_needs_exactly_one_parameter_and_validates():
    with pytest.raises(ValueError, match="exactly one"):
        tfb.Scale()
    with pytest.raises(ValueError, match="`scale` must be non-zero"):
        tfb.Scale(0.0, validate_args=True)


def test_unknown_keyword_is_named():
    with pytest.raises(TypeError, match=r"unexpected keyword arguments \['conditional_input'\]"):
        tfb.Exp().forward(1.0, conditional_input=2.0)


def test_immutable_and_calls_compose():
    b = tfb.Exp()
    with pytest.raises(AttributeError, match="immutable"):
        b.name = "x"
    np.testing.assert_allclose(tfb.Exp()(tfb.Shift(1.0))(0.0), np.e)
    assert isinstance(tfb.Exp()(tfb.Shift(1.0)), tfb.Chain)


@pytest.mark.parametrize(
    "bijector",
    [
        tfb.Shift(1.0),
        tfb.Scale(2),
        tfb.Power(2.0),
        tfb.Sigmoid(low=-1.0, high=3.0),
        tfb.Chain([tfb.Shift(1.0), tfb.Scale(0.5)]),
    ],
    ids=lambda b: b.name,
)
def test_python_number_parameters_do_not_promote_a_float32_input(bijector):
    # The suite runs under x64: a Python-number parameter must act like `x + 1.0` (weakly typed).
    x = jnp.full((3,), 0.5, jnp.float32)
    y, log_det = jax.jit(lambda b, v: b.forward_and_log_det(v, 1))(bijector, x)
    assert y.dtype == jnp.float32
    assert bijector.inverse(y).dtype == jnp.float32
    assert (jnp.zeros((), jnp.float32) + log_det).dtype == jnp.float32


def test_array_parameters_keep_their_dtype():
    assert tfb.Shift(jnp.float64(1.0)).forward(jnp.float32(0.5)).dtype == jnp.float64
