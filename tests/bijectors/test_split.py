import jax
import jax.numpy as jnp
import numpy as np
import pytest

from probax import bijectors as tfb

RNG = np.random.default_rng(9)
X = RNG.normal(size=(3, 6))


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize(("splits", "sizes"), [(3, [2, 2, 2]), ([1, -1, 2], [1, 3, 2]), ([6], [6])])
def test_pieces_match_numpy_and_round_trip(splits, sizes, dtype):
    split = tfb.Split(splits)
    x = X.astype(dtype)
    pieces = split.forward(x)
    expected = np.split(x, np.cumsum(sizes)[:-1], axis=-1)
    assert isinstance(pieces, list) and len(pieces) == len(sizes)
    for piece, want in zip(pieces, expected, strict=True):
        assert piece.dtype == dtype
        np.testing.assert_array_equal(piece, want)
    np.testing.assert_array_equal(split.inverse(pieces), x)
    assert split.forward_event_shape([6]) == [(s,) for s in sizes]
    assert split.inverse_event_shape([[s] for s in sizes]) == (6,)


def test_axis_minus_two_and_event_ndims_follow_tfp():
    split = tfb.Split(2, axis=-2)
    assert split.forward_min_event_ndims == 2 and split.inverse_min_event_ndims == [2, 2]
    x = RNG.normal(size=(5, 4, 3))
    pieces = split.forward(x)
    np.testing.assert_array_equal(pieces[1], x[:, 2:, :])
    np.testing.assert_array_equal(split.inverse(pieces), x)
    assert split.forward_event_shape([5, 4, 3]) == [(5, 2, 3), (5, 2, 3)]
    assert split.forward_event_ndims(3) == [3, 3] and split.inverse_event_ndims([3, 3]) == 3
    assert split.is_constant_jacobian and split.name == "split"


def test_log_det_is_zero_at_any_event_ndims():
    split = tfb.Split([2, -1])
    for event_ndims in (1, 2):
        assert float(split.forward_log_det_jacobian(X, event_ndims)) == 0.0
    pieces = split.forward(X)
    assert float(split.inverse_log_det_jacobian(pieces, [2, 2])) == 0.0
    assert float(split.inverse_log_det_jacobian(pieces)) == 0.0
    # A permutation of coordinates: |det| of the Jacobian of the concatenated pieces is 1.
    jacobian = jax.jacobian(lambda v: jnp.concatenate(split.forward(v)))(X[0])
    np.testing.assert_allclose(np.linalg.slogdet(np.asarray(jacobian))[1], 0.0, atol=1e-12)
    with pytest.raises(ValueError, match="event_ndims must be an int >= 1"):
        split.inverse_log_det_jacobian(pieces, [0, 0])


def test_pieces_with_different_batch_shapes_broadcast_on_inverse():
    x = tfb.Split(2).inverse([jnp.ones((3, 1)), jnp.zeros((1,))])
    np.testing.assert_array_equal(x, np.tile([1.0, 0.0], (3, 1)))


def test_jit_vmap_grad():
    split = tfb.Split([1, -1])
    pieces = jax.jit(lambda b, x: b.forward(x))(split, X)
    np.testing.assert_array_equal(pieces[1], X[:, 1:])
    returned = jax.jit(lambda: tfb.Split([1, -1]))()
    np.testing.assert_array_equal(returned.inverse(pieces), X)
    per_row = jax.vmap(split.forward)(X)
    np.testing.assert_array_equal(per_row[0], X[:, :1])
    grad = jax.grad(lambda x: jnp.sum(split.forward(x)[1] ** 2) + split.forward_log_det_jacobian(x))(X)
    np.testing.assert_allclose(grad, np.concatenate([np.zeros((3, 1)), 2 * X[:, 1:]], axis=-1))


def test_bad_arguments_are_named():
    with pytest.raises(ValueError, match="axis must be a negative int"):
        tfb.Split(2, axis=0)
    with pytest.raises(ValueError, match="at most one -1"):
        tfb.Split([-1, -1])
    with pytest.raises(ValueError, match="num_or_size_splits must be >= 1"):
        tfb.Split(0)
    with pytest.raises(ValueError, match="do not split into 4 equal pieces"):
        tfb.Split(4).forward(X)
    with pytest.raises(ValueError, match=r"do not split into sizes \[2, 2\]"):
        tfb.Split([2, 2]).forward(X)
    with pytest.raises(ValueError, match="y must be a list of 2 pieces"):
        tfb.Split(2).inverse(X)
    with pytest.raises(ValueError, match="rank >= 2"):
        tfb.Split(2, axis=-2).forward(jnp.ones(4))
