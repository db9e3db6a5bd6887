import jax
import jax.numpy as jnp
import numpy as np
import pytest
from flax import nnx

from probax import bijectors as tfb
from probax import distributions as tfd
from tests.bijectors.harness import BijectorCase, bijector_suite

X = np.array([[0.3, -1.2, 0.8], [1.5, 0.2, -0.4]])


def _made(seed=0, network=tfb.AutoregressiveNetwork, **kwargs):
    return network(
        params=2, event_shape=3, hidden_units=[8, 8], activation="tanh", rngs=nnx.Rngs(seed), **kwargs
    )


class _FullBatchNetwork(tfb.AutoregressiveNetwork):
    """The same MADE without the row-wise declaration: every sampling pass runs on the full batch."""

    rowwise = False


MADE = _made()
CONDITIONAL_MADE = _made(3, conditional=True, conditional_event_shape=1)


def _spline_fn(y):
    # A spline autoregressive layer: bin parameters from a fixed function of y_<d.
    previous = jnp.concatenate([jnp.zeros_like(y[..., :1]), jnp.cumsum(y, axis=-1)[..., :-1]], axis=-1)
    widths = jax.nn.softmax(jnp.stack([previous, -previous, 0.5 * previous], -1), axis=-1) * 6
    heights = jax.nn.softmax(jnp.stack([-previous, 0.3 * previous, previous], -1), axis=-1) * 6
    slopes = jax.nn.softplus(jnp.stack([previous, 1 - previous], -1)) + 1e-3
    return tfb.RationalQuadraticSpline(widths, heights, slopes, range_min=-3.0)


CASES = [
    BijectorCase("maf", lambda: tfb.MaskedAutoregressiveFlow(MADE), {}, X),
    BijectorCase("iaf", lambda: tfb.Invert(tfb.MaskedAutoregressiveFlow(MADE)), {}, X),
    BijectorCase(
        "shift_only",
        lambda: tfb.MaskedAutoregressiveFlow(lambda y: MADE(y)[..., :1], is_constant_jacobian=True),
        {},
        X,
    ),
]

test_round_trip, test_log_det, test_transforms, test_extremes = bijector_suite(CASES)


def test_spline_autoregressive_flow_round_trip_and_log_det():
    flow = tfb.MaskedAutoregressiveFlow(bijector_fn=_spline_fn)

    @jax.jit
    def check(x):
        y, log_det = flow.forward_and_log_det(x)
        x_back, inverse_log_det = flow.inverse_and_log_det(y)
        jacobian = jax.jacobian(flow.forward)(x)
        return x_back, log_det, inverse_log_det, jnp.linalg.slogdet(jacobian)[1]

    for x in X:
        x_back, log_det, inverse_log_det, numeric = check(jnp.asarray(x))
        np.testing.assert_allclose(x_back, x, rtol=1e-9, atol=1e-9)
        np.testing.assert_allclose(log_det, numeric, rtol=1e-9)
        np.testing.assert_allclose(inverse_log_det, -numeric, rtol=1e-9)


def test_jacobian_is_triangular():
    maf = tfb.MaskedAutoregressiveFlow(MADE)
    jacobian = np.asarray(jax.jacobian(maf.forward)(jnp.asarray(X[0])))
    np.testing.assert_allclose(np.triu(jacobian, 1), 0.0, atol=1e-12)


def test_unrolled_loop_matches():
    looped = tfb.MaskedAutoregressiveFlow(MADE)
    unrolled = tfb.MaskedAutoregressiveFlow(MADE, unroll_loop=True)
    np.testing.assert_allclose(unrolled.forward(X), looped.forward(X), rtol=1e-12)


def test_conditional_flow_through_a_chain():
    layers = [
        tfb.MaskedAutoregressiveFlow(_made(seed, conditional=True, conditional_event_shape=1))
        for seed in range(3)
    ]
    flow = tfb.Chain([layers[0], tfb.Permute([2, 0, 1]), layers[1], tfb.Permute([1, 2, 0]), layers[2]])
    c = jnp.array([[0.5], [-2.0]])
    y = flow.forward(X, conditional_input=c)
    np.testing.assert_allclose(flow.inverse(y, conditional_input=c), X, rtol=1e-9, atol=1e-9)
    other = flow.forward(X, conditional_input=-c)
    assert not np.allclose(y, other)
    dist = tfd.TransformedDistribution(tfd.Normal(0.0, 1.0), flow, event_shape=[3])
    log_prob = dist.log_prob(y, bijector_kwargs={"conditional_input": c})
    expected = tfd.Normal(0.0, 1.0).log_prob(X).sum(-1) + flow.inverse_log_det_jacobian(
        y, 1, conditional_input=c
    )
    np.testing.assert_allclose(log_prob, expected, rtol=1e-9)


# (conditional input shape, dtype): one compile each, so float32 is checked on two of them.
FIRST_PASS_CASES = {
    "unconditional-float32": (None, np.float32),
    "unconditional-float64": (None, np.float64),
    "shared_condition": ((1,), np.float64),
    "condition_per_row": ((4, 1, 1), np.float64),
    "condition_per_column-float32": ((2, 1), np.float32),
}


@pytest.mark.parametrize(
    ("condition_shape", "dtype"), list(FIRST_PASS_CASES.values()), ids=list(FIRST_PASS_CASES)
)
def test_first_pass_on_one_row_matches_full_batch_passes(condition_shape, dtype):
    kwargs = {} if condition_shape is None else {"conditional": True, "conditional_event_shape": 1}
    rowwise = tfb.MaskedAutoregressiveFlow(_made(4, **kwargs))
    full = tfb.MaskedAutoregressiveFlow(_made(4, network=_FullBatchNetwork, **kwargs))
    x = np.random.default_rng(0).normal(size=(4, 2, 3)).astype(dtype)
    condition = {}
    if condition_shape is not None:
        condition["conditional_input"] = np.linspace(-1.0, 1.0, np.prod(condition_shape)).reshape(
            condition_shape
        )
    y, log_det = rowwise.forward_and_log_det(x, **condition)
    expected_y, expected_log_det = full.forward_and_log_det(x, **condition)
    assert y.dtype == dtype and y.shape == x.shape and log_det.shape == x.shape[:-1]
    rtol = 1e-5 if dtype == np.float32 else 1e-12
    np.testing.assert_allclose(y, expected_y, rtol=rtol, atol=rtol)
    np.testing.assert_allclose(log_det, expected_log_det, rtol=rtol, atol=rtol)
    np.testing.assert_allclose(rowwise.inverse(y, **condition), x, rtol=20 * rtol, atol=20 * rtol)


def test_first_pass_sees_one_row_per_distinct_condition():
    seen = []

    def recording_made(y, conditional_input=None):
        seen.append(y.shape)
        return CONDITIONAL_MADE(y, conditional_input=conditional_input)

    recording_made.rowwise = True
    flow = tfb.MaskedAutoregressiveFlow(recording_made, unroll_loop=True)  # one trace per pass
    x = np.zeros((4, 2, 3))
    flow.forward(x, conditional_input=np.ones((4, 1, 1)))
    assert seen == [(4, 1, 3), (4, 2, 3), (4, 2, 3)]
    seen.clear()
    flow.forward(x, conditional_input=np.ones(1))
    assert seen == [(1, 1, 3), (4, 2, 3), (4, 2, 3)]


def test_gradients_through_sampling_match_full_batch_passes():
    def loss(made):
        return jnp.sum(tfb.MaskedAutoregressiveFlow(made).forward(X) ** 2)

    rowwise = jax.tree_util.tree_leaves(nnx.grad(loss)(_made(5)))
    full = jax.tree_util.tree_leaves(nnx.grad(loss)(_made(5, network=_FullBatchNetwork)))
    assert len(rowwise) == len(full) > 0
    for got, expected in zip(rowwise, full, strict=True):
        np.testing.assert_allclose(got, expected, rtol=1e-10, atol=1e-12)


def test_one_dimensional_events():
    made = tfb.AutoregressiveNetwork(params=2, event_shape=1, hidden_units=[4], rngs=nnx.Rngs(0))
    flow = tfb.MaskedAutoregressiveFlow(made)
    x = np.array([[0.5], [-1.0], [2.0]])
    y, log_det = flow.forward_and_log_det(x)
    assert log_det.shape == (3,)
    shift, log_scale = made(np.zeros((1, 1)))[0, 0]  # the output depends on no input
    np.testing.assert_allclose(y[:, 0], x[:, 0] * np.exp(log_scale) + shift, rtol=1e-12)
    np.testing.assert_allclose(log_det, np.full(3, log_scale), rtol=1e-12)


def test_needs_exactly_one_function():
    with pytest.raises(ValueError, match="exactly one"):
        tfb.MaskedAutoregressiveFlow()
    with pytest.raises(ValueError, match="event_ndims must be 1"):
        tfb.MaskedAutoregressiveFlow(lambda y: y, event_ndims=2)
