import jax
import jax.numpy as jnp
import numpy as np
import pytest
from flax import nnx

from probax import bijectors as tfb

X = jnp.array([0.5, -1.0, 2.0, 1.5])


def _dependencies(made, x, **kwargs):
    jacobian = np.asarray(jax.jacobian(lambda v: made(v, **kwargs))(x))  # [D, params, D]
    return np.abs(jacobian).sum(axis=1) > 0


@pytest.mark.parametrize("order", ["left-to-right", "right-to-left", "random", [2, 4, 1, 3]])
@pytest.mark.parametrize("hidden_degrees", ["equal", "random"])
def test_output_d_depends_only_on_earlier_inputs(order, hidden_degrees):
    made = tfb.AutoregressiveNetwork(
        params=2,
        event_shape=4,
        hidden_units=[16, 16],
        activation="tanh",
        input_order=order,
        hidden_degrees=hidden_degrees,
        rngs=nnx.Rngs(1),
    )
    degrees = (
        {"left-to-right": [1, 2, 3, 4], "right-to-left": [4, 3, 2, 1]}.get(order)
        if isinstance(order, str)
        else order
    )
    depends = _dependencies(made, X)
    if degrees is None:  # random order: read it off the dependency pattern
        assert np.all(np.diag(depends) == 0)
        assert depends.sum() <= 6
        return
    allowed = np.asarray(degrees)[None, :] < np.asarray(degrees)[:, None]
    assert not np.any(depends & ~allowed)
    # With 16 units per layer every allowed connection is realized.
    assert np.array_equal(depends, allowed)


def conditional_made(params: int, activation: str, seed: int) -> tfb.AutoregressiveNetwork:
    """A MADE over 3-vectors with a 2-vector conditional input and one hidden layer of 8."""
    return tfb.AutoregressiveNetwork(
        params=params,
        event_shape=3,
        conditional=True,
        conditional_event_shape=2,
        hidden_units=[8],
        activation=activation,
        rngs=nnx.Rngs(seed),
    )


def test_conditional_input_reaches_every_output():
    made = conditional_made(params=1, activation="tanh", seed=0)
    c = jnp.array([0.3, -0.7])
    jacobian = jax.jacobian(lambda c: made(X[:3], conditional_input=c))(c)
    assert np.all(np.abs(np.asarray(jacobian)).sum(axis=(1, 2)) > 0)
    assert made(jnp.ones((5, 3)), conditional_input=c).shape == (5, 3, 1)


def test_rowwise_declaration_holds():
    # MaskedAutoregressiveFlow relies on it: row i of the output sees only row i of both inputs.
    made = conditional_made(params=2, activation="relu", seed=2)
    assert made.rowwise is True
    y = jnp.asarray(np.random.default_rng(1).normal(size=(4, 3)))
    c = jnp.asarray(np.random.default_rng(2).normal(size=(4, 2)))
    y_jacobian, c_jacobian = jax.jacobian(lambda y, c: made(y, conditional_input=c), argnums=(0, 1))(y, c)
    same_row = np.eye(4, dtype=bool)  # [output row, input row]
    for jacobian in (y_jacobian, c_jacobian):
        by_rows = np.abs(np.asarray(jacobian)).sum(axis=(1, 2, 4))
        assert np.all(by_rows[~same_row] == 0) and np.all(by_rows[same_row] > 0)


def test_clear_errors():
    with pytest.raises(ValueError, match="event_shape is required"):
        tfb.AutoregressiveNetwork(params=2)
    with pytest.raises(ValueError, match="conditional_event_shape"):
        tfb.AutoregressiveNetwork(params=2, event_shape=3, conditional=True)
    made = tfb.AutoregressiveNetwork(params=2, event_shape=3)
    with pytest.raises(ValueError, match="end in a dimension of 3"):
        made(jnp.ones(4))
    with pytest.raises(ValueError, match="conditional_input must be given exactly"):
        made(jnp.ones(3), conditional_input=jnp.ones(2))
    with pytest.raises(ValueError, match="activation must be"):
        tfb.AutoregressiveNetwork(params=2, event_shape=3, activation="swishy")


def test_trains_with_nnx_and_passes_through_jit():
    made = tfb.AutoregressiveNetwork(params=2, event_shape=3, hidden_units=[8], activation="relu")
    out = jax.jit(lambda m, x: m(x))(made, jnp.ones((2, 3)))
    np.testing.assert_allclose(out, made(jnp.ones((2, 3))), rtol=1e-6)
    grads = nnx.grad(lambda m: jnp.sum(m(jnp.ones((2, 3))) ** 2))(made)
    leaves = jax.tree_util.tree_leaves(grads)
    assert leaves and all(np.all(np.isfinite(g)) for g in leaves)
