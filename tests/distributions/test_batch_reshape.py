import jax
import jax.numpy as jnp
import numpy as np
import pytest
import scipy.stats

from probax import distributions as tfd
from probax.distributions.batch_reshape import BatchReshape, BatchReshapeEventSpaceBijector
from probax.distributions.independent import Independent

LOC = np.arange(6.0) - 2.5
SCALE = np.linspace(0.5, 2.0, 6)


# (inner batch, requested batch_shape, resolved batch_shape), from TFP's rules.
SHAPE_CASES = {
    "split": ((6,), (2, 3), (2, 3)),
    "infer": ((6,), (-1, 2), (3, 2)),
    "flatten": ((2, 3), (-1,), (6,)),
    "add_unit_dims": ((2, 3), (1, 6, 1), (1, 6, 1)),
    "scalar_to_unit": ((), (1, 1), (1, 1)),
}


@pytest.mark.parametrize("case", SHAPE_CASES, ids=list(SHAPE_CASES))
def test_shapes_follow_tfp(case):
    inner_batch, requested, batch_shape = SHAPE_CASES[case]
    d = BatchReshape(tfd.Normal(jnp.zeros(inner_batch), 1.0), requested)
    assert d.batch_shape == batch_shape and d.event_shape == ()

    def shapes(d):
        draws = d.sample((2, 3), seed=0)
        return draws, d.log_prob(draws), d.mean(), d.entropy(), d.log_prob(0.0)

    draws, log_prob, mean, entropy, log_prob_scalar = jax.eval_shape(shapes, d)
    assert draws.shape == log_prob.shape == (2, 3, *batch_shape)
    assert mean.shape == entropy.shape == log_prob_scalar.shape == batch_shape


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_values_are_the_inner_ones_reshaped(dtype):
    d = BatchReshape(tfd.Normal(LOC.astype(dtype), SCALE.astype(dtype)), [2, 3])
    oracle = scipy.stats.norm(LOC.reshape(2, 3), SCALE.reshape(2, 3))
    x = np.linspace(-3.0, 3.0, 5 * 3).reshape(5, 1, 3)  # broadcasts against the new batch
    rtol = 2e-6 if dtype == np.float32 else 1e-12

    direct = tfd.Normal(LOC.reshape(2, 3).astype(dtype), SCALE.reshape(2, 3).astype(dtype))

    @jax.jit
    def evaluate(d, x):
        return (
            direct.log_cdf(x),
            direct.log_survival_function(x),
            d.log_prob(x),
            d.log_cdf(x),
            d.log_survival_function(x),
            d.quantile(0.8),
            d.mean(),
            d.variance(),
            d.mode(),
            d.entropy(),
        )

    direct_log_cdf, direct_log_sf, log_prob, log_cdf, log_sf, quantile, mean, variance, mode, entropy = (
        evaluate(d, x.astype(dtype))
    )
    assert log_prob.shape == (5, 2, 3) and log_prob.dtype == dtype
    np.testing.assert_allclose(log_prob, oracle.logpdf(x), rtol=rtol)
    # Tail log-cdfs in float32 carry the inner family's own error (covered by its tests): here
    # they must equal the inner family evaluated on reshaped parameters, and scipy in float64.
    np.testing.assert_allclose(log_cdf, direct_log_cdf, rtol=rtol)
    np.testing.assert_allclose(log_sf, direct_log_sf, rtol=rtol)
    if dtype == np.float64:
        # Near log-probability 0 the absolute error is what counts (jax's log_ndtr at z = 7 is
        # good to ~5e-17 absolutely, ~5e-6 relatively).
        np.testing.assert_allclose(log_cdf, oracle.logcdf(x), rtol=1e-10, atol=1e-15)
        np.testing.assert_allclose(log_sf, oracle.logsf(x), rtol=1e-10, atol=1e-15)
    np.testing.assert_allclose(quantile, oracle.ppf(0.8), rtol=rtol)
    np.testing.assert_allclose(mean, oracle.mean(), rtol=rtol)
    np.testing.assert_allclose(mode, oracle.mean(), rtol=rtol)
    np.testing.assert_allclose(variance, oracle.var(), rtol=rtol)
    np.testing.assert_allclose(entropy, oracle.entropy(), rtol=rtol)


def test_draws_keep_each_member_in_its_place():
    d = BatchReshape(tfd.Normal(10.0 * LOC, 1.0), [3, 2])
    draws = np.asarray(jax.jit(lambda d: d.sample(500, seed=0))(d))
    assert draws.shape == (500, 3, 2)
    np.testing.assert_array_less(np.abs(draws.mean(0) - 10.0 * LOC.reshape(3, 2)), 5 / np.sqrt(500))


def test_vector_events_and_covariance():
    inner = Independent(tfd.Normal(jnp.zeros((6, 2)), np.repeat(SCALE[:, None], 2, axis=1)), 1)
    d = BatchReshape(inner, [3, 2])
    assert d.batch_shape == (3, 2) and d.event_shape == (2,)
    cov, log_prob = jax.jit(lambda d: (d.covariance(), d.log_prob(jnp.zeros(2))))(d)
    assert cov.shape == (3, 2, 2, 2) and log_prob.shape == (3, 2)
    np.testing.assert_allclose(cov[1, 0], SCALE[2] ** 2 * np.eye(2))
    np.testing.assert_allclose(log_prob, scipy.stats.norm(0, SCALE.reshape(3, 2)).logpdf(0.0) * 2, rtol=1e-12)


def test_slicing_gathers_members():
    d = BatchReshape(tfd.Normal(LOC, SCALE), [2, 3])
    indexes = [1, (slice(None), 2), (Ellipsis, slice(1, None)), (None, 0, 1), (1, 2)]
    nested = BatchReshape(tfd.Normal(LOC.reshape(3, 2), 1.0), [2, 3])

    @jax.jit
    def slices(d, nested):
        sliced = [d[index] for index in indexes]
        return d.mean(), sliced, [s.mean() for s in sliced], nested[1, 1:].mean()

    full, sliced, means, nested_mean = slices(d, nested)
    for index, distribution, values in zip(indexes, sliced, means, strict=True):
        assert isinstance(distribution, BatchReshape)
        np.testing.assert_allclose(values, full[index])
    np.testing.assert_allclose(full, LOC.reshape(2, 3))
    np.testing.assert_allclose(nested_mean, LOC[4:])


def test_jit_vmap_grad():
    x = np.linspace(-1.0, 1.0, 6).reshape(2, 3)

    def log_prob(loc):
        return BatchReshape(tfd.Normal(loc, 1.0), [2, 3]).log_prob(x)

    locs = np.stack([LOC, LOC + 1.0])

    @jax.jit
    def everything(locs, loc):
        return (
            jax.vmap(log_prob)(locs),
            jax.grad(lambda loc: jnp.sum(log_prob(loc)))(loc),
            BatchReshape(tfd.Normal(loc, 1.0), [3, 2]),
        )

    batched, grad, built = everything(locs, LOC)
    np.testing.assert_allclose(batched[1], scipy.stats.norm(LOC.reshape(2, 3) + 1.0).logpdf(x), rtol=1e-12)
    np.testing.assert_allclose(grad, x.reshape(-1) - LOC, rtol=1e-12)
    assert isinstance(built, BatchReshape) and built.batch_shape == (3, 2)


def test_event_space_bijector_reshapes_batched_parameters():
    high = np.arange(1.0, 7.0)
    d = BatchReshape(tfd.Uniform(0.0, high), [3, 2])
    bijector = d.experimental_default_event_space_bijector()
    assert isinstance(bijector, BatchReshapeEventSpaceBijector)
    z = np.random.default_rng(0).normal(size=(4, 3, 2))
    y, log_det, x, whole_event_log_det = jax.jit(
        lambda b, z: (*b.forward_and_log_det(z, 0), b.inverse(b.forward(z)), b.forward_log_det_jacobian(z, 2))
    )(bijector, z)
    sigmoid = 1 / (1 + np.exp(-z))
    np.testing.assert_allclose(y, high.reshape(3, 2) * sigmoid, rtol=1e-12)
    np.testing.assert_allclose(log_det, np.log(high.reshape(3, 2) * sigmoid * (1 - sigmoid)), rtol=1e-12)
    np.testing.assert_allclose(x, z, rtol=1e-9)
    # Over the whole batch as one event: the log-dets sum.
    np.testing.assert_allclose(whole_event_log_det, log_det.sum((-2, -1)), rtol=1e-12)
    # Unbatched bijectors are used as they are.
    assert not isinstance(
        BatchReshape(tfd.Gamma(jnp.ones(6), 1.0), [2, 3]).experimental_default_event_space_bijector(),
        BatchReshapeEventSpaceBijector,
    )


@pytest.mark.parametrize("batch_shape", [[4, -1], [-1, -1], [5], [2, -2], "ab"])
def test_bad_batch_shape(batch_shape):
    with pytest.raises(ValueError, match="batch_shape"):
        BatchReshape(tfd.Normal(jnp.zeros(6), 1.0), batch_shape)
