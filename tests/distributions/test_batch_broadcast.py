import jax
import jax.numpy as jnp
import numpy as np
import pytest
import scipy.stats

from probax import distributions as tfd
from probax.distributions.batch_broadcast import BatchBroadcast
from probax.distributions.independent import Independent

LOC = np.array([[-1.0], [0.5], [2.0]])  # batch (3, 1)
SCALE = np.array([0.5, 1.0, 1.5, 2.0])  # batch (4,)


def _inner(dtype=np.float64):
    return tfd.Normal(LOC.astype(dtype), 1.0)


# (inner batch, with_shape, to_shape, expected batch_shape), from TFP's rules.
SHAPE_CASES = {
    "with_new_leading_dim": ((3,), (2, 1), None, (2, 3)),
    "with_unit_inner_dim": ((3, 1), (4,), None, (3, 4)),
    "to_shape": ((3,), None, (2, 3), (2, 3)),
    "to_shape_widens_unit": ((3, 1), None, (5, 3, 2), (5, 3, 2)),
}


@pytest.mark.parametrize("case", SHAPE_CASES, ids=list(SHAPE_CASES))
def test_shapes_follow_tfp(case):
    inner_batch, with_shape, to_shape, batch_shape = SHAPE_CASES[case]
    d = BatchBroadcast(tfd.Normal(jnp.zeros(inner_batch), 1.0), with_shape, to_shape=to_shape)
    assert d.batch_shape == batch_shape and d.event_shape == ()

    def shapes(d):
        draws = d.sample((2, 3), seed=0)
        return draws, d.log_prob(draws), d.mean(), d.entropy(), d.log_prob(0.0)

    draws, log_prob, mean, entropy, log_prob_scalar = jax.eval_shape(shapes, d)
    assert draws.shape == log_prob.shape == (2, 3, *batch_shape)
    assert mean.shape == entropy.shape == log_prob_scalar.shape == batch_shape


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_values_are_the_inner_ones_broadcast(dtype):
    d = BatchBroadcast(_inner(dtype), [2, 1, 4])  # batch (2, 3, 4)
    x = np.linspace(-2.0, 3.0, 4)
    oracle = scipy.stats.norm(np.broadcast_to(LOC, (2, 3, 4)), 1.0)
    rtol = 2e-6 if dtype == np.float32 else 1e-12

    @jax.jit
    def evaluate(d, x):
        return d.log_prob(x), d.cdf(x), d.survival_function(x), d.quantile(0.3), d.entropy(), d.stddev()

    log_prob, cdf, survival, quantile, entropy, stddev = evaluate(d, x.astype(dtype))
    assert log_prob.shape == (2, 3, 4) and log_prob.dtype == dtype
    np.testing.assert_allclose(log_prob, oracle.logpdf(x), rtol=rtol)
    np.testing.assert_allclose(cdf, oracle.cdf(x), rtol=rtol)
    np.testing.assert_allclose(survival, oracle.sf(x), rtol=rtol)
    np.testing.assert_allclose(quantile, oracle.ppf(0.3), rtol=rtol)
    np.testing.assert_allclose(entropy, oracle.entropy(), rtol=rtol)
    np.testing.assert_allclose(stddev, np.ones((2, 3, 4)))


def test_draws_are_independent_across_broadcast_members():
    d = BatchBroadcast(tfd.Normal(LOC, 1.0), to_shape=[2, 3, 2])  # inner (3, 1) widened twice
    n = 4000
    draws = np.asarray(jax.jit(lambda d: d.sample(n, seed=4))(d))
    assert draws.shape == (n, 2, 3, 2)
    np.testing.assert_array_less(np.abs(draws.mean(0) - LOC), 5 / np.sqrt(n))
    flat = (draws - LOC).reshape(n, -1)
    correlation = np.corrcoef(flat, rowvar=False)
    off_diagonal = correlation[~np.eye(12, dtype=bool)]
    # 132 sample correlations of independent columns: each ~ N(0, 1/n).
    assert np.max(np.abs(off_diagonal)) < 5 / np.sqrt(n)


def test_vector_event_and_covariance():
    inner = Independent(tfd.Normal(jnp.zeros((1, 3)), SCALE[:3]), 1)  # batch (1,), event (3,)
    d = BatchBroadcast(inner, [4])
    assert d.batch_shape == (4,) and d.event_shape == (3,)
    cov, draws = jax.jit(lambda d: (d.covariance(), d.sample(2, seed=0)))(d)
    assert cov.shape == (4, 3, 3) and draws.shape == (2, 4, 3)
    np.testing.assert_allclose(cov[2], np.diag(SCALE[:3] ** 2))


def test_slicing_reads_the_right_members():
    d = BatchBroadcast(tfd.Normal(LOC, SCALE), [2, 1, 1])  # batch (2, 3, 4)
    indexes = [1, (slice(None), 2), (Ellipsis, 1), (None, 0, slice(1, None), 3)]
    # One compiled program for all the slices (slicing happens while tracing).
    full, distributions, sliced = jax.jit(
        lambda d: (d.log_prob(0.3), [d[i] for i in indexes], [d[i].log_prob(0.3) for i in indexes])
    )(d)
    assert all(isinstance(s, BatchBroadcast) for s in distributions)
    for index, values in zip(indexes, sliced, strict=True):
        np.testing.assert_allclose(values, full[index], rtol=1e-12)


def test_jit_vmap_grad():
    x = np.array([0.1, -0.4, 1.2])

    def log_prob(loc):
        return BatchBroadcast(tfd.Normal(loc, 1.0), [2, 3]).log_prob(x)

    @jax.jit
    def everything(locs, loc):
        return (
            jax.vmap(log_prob)(locs),
            jax.grad(lambda loc: jnp.sum(log_prob(loc)))(loc),
            BatchBroadcast(tfd.Normal(jnp.zeros(3), 1.0), to_shape=(2, 3)),
        )

    batched, grad, built = everything(np.array([0.0, 1.0]), 0.5)
    assert batched.shape == (2, 2, 3)
    np.testing.assert_allclose(batched[1, 0], scipy.stats.norm(1.0, 1.0).logpdf(x), rtol=1e-12)
    # d/dloc of the sum over 6 members = sum (x - loc), each x counted twice.
    np.testing.assert_allclose(grad, 2 * np.sum(x - 0.5))
    assert isinstance(built, BatchBroadcast) and built.batch_shape == (2, 3)


def test_event_space_bijector_broadcasts():
    d = BatchBroadcast(tfd.Uniform(0.0, jnp.array([1.0, 10.0])), [3, 1])
    bijector = d.experimental_default_event_space_bijector()
    y, log_det = jax.jit(lambda b: b.forward_and_log_det(jnp.zeros((3, 2)), 1))(bijector)
    np.testing.assert_allclose(y, np.broadcast_to([0.5, 5.0], (3, 2)))
    np.testing.assert_allclose(log_det, np.full(3, np.log(0.25) + np.log(2.5)), rtol=1e-12)


def test_errors():
    inner = tfd.Normal(jnp.zeros(3), 1.0)
    with pytest.raises(ValueError, match="exactly one"):
        BatchBroadcast(inner)
    with pytest.raises(ValueError, match="exactly one"):
        BatchBroadcast(inner, [2, 3], to_shape=[2, 3])
    with pytest.raises(ValueError, match="with_shape"):
        BatchBroadcast(inner, [4])
    with pytest.raises(ValueError, match="does not broadcast to to_shape"):
        BatchBroadcast(tfd.Normal(jnp.zeros((2, 3)), 1.0), to_shape=[1, 3])
    with pytest.raises(TypeError, match="Distribution"):
        BatchBroadcast(jnp.zeros(3), [2])
