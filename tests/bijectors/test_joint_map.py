import jax
import jax.numpy as jnp
import numpy as np
import pytest

from probax import bijectors as tfb
from probax.bijectors.bijector import Bijector

RNG = np.random.default_rng(7)
SCALE = np.array([[0.5], [-2.0], [3.0]])  # one Scale per batch member
X = {"a": RNG.normal(size=3), "b": RNG.normal(size=(3, 4))}


def make(scale):
    return tfb.JointMap({"a": tfb.Exp(), "b": tfb.Chain([tfb.Scale(scale), tfb.Ascending()])})


def parts(scale):
    return tfb.Exp(), tfb.Chain([tfb.Scale(scale), tfb.Ascending()])


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_round_trip_dict(dtype):
    joint = make(SCALE.astype(dtype))
    x = {k: v.astype(dtype) for k, v in X.items()}
    y = joint.forward(x)
    assert set(y) == {"a", "b"} and y["a"].dtype == dtype and y["b"].dtype == dtype
    back = joint.inverse(y)
    rtol = 2e-5 if dtype == np.float32 else 1e-10
    for key in x:
        np.testing.assert_allclose(back[key], x[key], rtol=rtol, atol=rtol)
    exp, chain = parts(SCALE.astype(dtype))
    np.testing.assert_allclose(y["a"], exp.forward(x["a"]), rtol=rtol)
    np.testing.assert_allclose(y["b"], chain.forward(x["b"]), rtol=rtol)


def test_log_det_is_sum_of_parts_and_matches_jacobian():
    joint = make(SCALE)
    exp, chain = parts(SCALE)
    fldj = np.asarray(joint.forward_log_det_jacobian(X))
    parts_sum = exp.forward_log_det_jacobian(X["a"]) + chain.forward_log_det_jacobian(X["b"])
    np.testing.assert_allclose(fldj, parts_sum, rtol=1e-12)
    np.testing.assert_allclose(joint.inverse_log_det_jacobian(joint.forward(X)), -fldj, rtol=1e-10)
    # The Jacobian of the whole map on the concatenated coordinates (a, b) of one event.
    def flat_forward(v, scale):
        y = make(scale).forward({"a": v[0], "b": v[1:]})
        return jnp.concatenate([y["a"][None], y["b"]])

    jacobian = jax.jit(jax.jacobian(flat_forward))
    for member in range(3):
        v = np.concatenate([X["a"][member : member + 1], X["b"][member]])
        numeric = np.linalg.slogdet(np.asarray(jacobian(v, SCALE[member])))[1]
        np.testing.assert_allclose(fldj[member], numeric, rtol=1e-10)


def test_structured_event_ndims():
    joint = make(SCALE)
    total = joint.forward_log_det_jacobian(X, {"a": 1, "b": 2})
    assert total.shape == ()
    np.testing.assert_allclose(total, np.sum(joint.forward_log_det_jacobian(X)), rtol=1e-12)
    y = joint.forward(X)
    np.testing.assert_allclose(joint.inverse_log_det_jacobian(y, {"a": 1, "b": 2}), -total, rtol=1e-10)
    with pytest.raises(ValueError, match="event_ndims must be an int >= 1"):
        joint.forward_log_det_jacobian(X, {"a": 0, "b": 0})
    with pytest.raises(ValueError, match="event_ndims must have the structure"):
        joint.forward_log_det_jacobian(X, 1)


def test_structures_shapes_and_names_follow_tfp():
    joint = tfb.JointMap({"a": tfb.Exp(), "b": tfb.SoftmaxCentered()})
    assert joint.forward_min_event_ndims == {"a": 0, "b": 1}
    assert joint.inverse_min_event_ndims == {"a": 0, "b": 1}
    assert joint.name == "jointmap_of_exp_and_softmax_centered"
    assert joint.forward_event_shape({"a": [4], "b": [4, 2]}) == {"a": (4,), "b": (4, 3)}
    assert joint.inverse_event_shape({"a": [4], "b": [4, 3]}) == {"a": (4,), "b": (4, 2)}
    assert joint.forward_event_ndims({"a": 1, "b": 2}) == {"a": 1, "b": 2}
    listed = tfb.JointMap([tfb.Exp(), tfb.Scale(2.0)])
    assert listed.forward_min_event_ndims == [0, 0] and listed.is_constant_jacobian is False
    assert tfb.JointMap([tfb.Shift(1.0), tfb.Scale(2.0)]).is_constant_jacobian
    assert make(SCALE).batch_shape == (3,)
    # Lists and tuples are interchangeable at the top; other mismatches are named.
    np.testing.assert_allclose(listed.forward((0.0, 1.0))[1], 2.0)
    nested = tfb.JointMap({"a": [tfb.Exp(), tfb.Exp()], "b": tfb.Scale(2.0)})
    assert nested.forward({"a": [0.0, 0.0], "b": 1.0}) == {"a": [1.0, 1.0], "b": 2.0}
    with pytest.raises(ValueError, match="x must have the structure of `bijectors`"):
        joint.forward({"a": 1.0, "c": 2.0})
    with pytest.raises(ValueError, match="at least one"):
        tfb.JointMap([])
    with pytest.raises(TypeError, match="must be a Bijector"):
        tfb.JointMap([tfb.Exp(), "exp"])


def test_jit_vmap_grad():
    joint = make(SCALE)
    y, fldj = joint.forward_and_log_det(X)

    @jax.jit
    def round_trip(b, x):
        y, log_det = b.forward_and_log_det(x)
        return y, log_det, b.inverse(y)

    jy, jfldj, jx = round_trip(joint, X)
    np.testing.assert_allclose(jy["b"], y["b"], rtol=1e-12)
    np.testing.assert_allclose(jfldj, fldj, rtol=1e-12)
    np.testing.assert_allclose(jx["a"], X["a"], rtol=1e-10)
    returned = jax.jit(make)(SCALE)
    np.testing.assert_allclose(returned.forward(X)["b"], y["b"], rtol=1e-12)
    batched = jax.vmap(make)(np.stack([SCALE, 2 * SCALE]))
    by = jax.vmap(lambda b, x: b.forward(x), in_axes=(0, None))(batched, X)
    np.testing.assert_allclose(by["b"][1], make(2 * SCALE).forward(X)["b"], rtol=1e-12)

    def objective(scale, x):
        y, log_det = make(scale).forward_and_log_det(x)
        return jnp.sum(log_det) + jnp.sum(jnp.sin(y["b"])) + jnp.sum(y["a"])

    for leaf in jax.tree_util.tree_leaves(jax.jit(jax.grad(objective, argnums=(0, 1)))(SCALE, X)):
        assert np.all(np.isfinite(leaf))


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


def test_keywords_reach_parts_by_name_or_by_keyword():
    joint = tfb.JointMap({"a": _AddCondition("p"), "b": _AddCondition("q")})
    y = joint.forward({"a": 0.0, "b": 0.0}, p={"conditional_input": 1.0}, q={"conditional_input": 10.0})
    assert (float(y["a"]), float(y["b"])) == (1.0, 10.0)
    y = joint.forward({"a": 0.0, "b": 0.0}, conditional_input=3.0)
    assert (float(y["a"]), float(y["b"])) == (3.0, 3.0)
    with pytest.raises(TypeError, match="unexpected keyword"):
        tfb.JointMap([tfb.Exp()]).forward([1.0], bogus=1.0)
