import jax
import jax.numpy as jnp
import numpy as np
import pytest
import scipy.stats

from probax import distributions as tfd
from probax.distributions.independent import Independent
from probax.distributions.sample import Sample, SampleEventSpaceBijector

RNG = np.random.default_rng(1)
LOC = RNG.normal(size=(2,))
SCALE = RNG.uniform(0.5, 2.0, size=(2,))


def _sample(sample_shape, dtype=np.float64):
    return Sample(tfd.Normal(LOC.astype(dtype), SCALE.astype(dtype)), sample_shape)


# (inner batch, inner event given by a Categorical's K or None, sample_shape, batch_shape, event_shape)
SHAPE_CASES = {
    "scalar_int": ((), 5, (), (5,)),
    "batch_2d_sample": ((3,), (4, 5), (3,), (4, 5)),
    "empty_sample": ((3,), (), (3,), ()),
}


@pytest.mark.parametrize("case", SHAPE_CASES, ids=list(SHAPE_CASES))
def test_shapes_follow_tfp(case):
    inner_batch, sample_shape, batch_shape, event_shape = SHAPE_CASES[case]
    d = Sample(tfd.Normal(jnp.zeros(inner_batch), 1.0), sample_shape)
    assert d.batch_shape == batch_shape and d.event_shape == event_shape

    def shapes(d):
        out = {"mean": d.mean(), "entropy": d.entropy(), "covariance_free": d.variance()}
        for n in [(), (2,), (2, 3)]:
            draws = d.sample(n, seed=0)
            out[str(n)] = (draws, d.log_prob(draws))
        return out

    out = jax.eval_shape(shapes, d)
    for n in [(), (2,), (2, 3)]:
        draws, log_prob = out[str(n)]
        assert draws.shape == n + batch_shape + event_shape and log_prob.shape == n + batch_shape
    assert out["mean"].shape == out["covariance_free"].shape == batch_shape + event_shape
    assert out["entropy"].shape == batch_shape


def test_vector_inner_event_goes_last():
    # TFP: event_shape = sample_shape + inner event_shape; batch unchanged.
    inner = Independent(tfd.Normal(jnp.zeros((2, 3)), 1.0), 1)  # batch (2,), event (3,)
    d = Sample(inner, [4, 5])
    assert d.batch_shape == (2,) and d.event_shape == (4, 5, 3)
    draws = jax.eval_shape(lambda d: d.sample(6, seed=0), d)
    assert draws.shape == (6, 2, 4, 5, 3)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_values_are_sums_over_the_draws(dtype):
    d = _sample((3, 4), dtype)
    x = RNG.normal(size=(5, 2, 3, 4))
    oracle = scipy.stats.norm(LOC[:, None, None], SCALE[:, None, None])
    rtol = 1e-5 if dtype == np.float32 else 1e-12  # sums of 12 terms, each good to a few ulp

    @jax.jit
    def evaluate(d, x):
        return d.log_prob(x), d.log_cdf(x), d.entropy(), d.mean(), d.stddev(), d.mode(), d.covariance()

    log_prob, log_cdf, entropy, mean, stddev, mode, covariance = evaluate(d, x.astype(dtype))
    assert log_prob.dtype == dtype and log_prob.shape == (5, 2)
    np.testing.assert_allclose(log_prob, oracle.logpdf(x).sum((-2, -1)), rtol=rtol)
    np.testing.assert_allclose(log_cdf, oracle.logcdf(x).sum((-2, -1)), rtol=10 * rtol)
    np.testing.assert_allclose(entropy, 12 * scipy.stats.norm(LOC, SCALE).entropy(), rtol=rtol)
    np.testing.assert_allclose(mean, np.broadcast_to(LOC[:, None, None], (2, 3, 4)), rtol=rtol)
    np.testing.assert_allclose(mode, np.broadcast_to(LOC[:, None, None], (2, 3, 4)), rtol=rtol)
    np.testing.assert_allclose(stddev, np.broadcast_to(SCALE[:, None, None], (2, 3, 4)), rtol=rtol)
    assert covariance.shape == (2, 3, 4, 3, 4)
    for b in range(2):
        np.testing.assert_allclose(covariance[b].reshape(12, 12), SCALE[b] ** 2 * np.eye(12), rtol=rtol)
    with pytest.raises(NotImplementedError, match="Sample"):
        d.survival_function(x)


def test_draws_are_iid_and_laid_out_batch_then_sample():
    d = Sample(tfd.Normal(jnp.array([-5.0, 5.0]), 1.0), 400)
    draws = np.asarray(jax.jit(lambda d: d.sample(10, seed=2))(d))
    assert draws.shape == (10, 2, 400)
    # Batch member 0 has mean -5 and member 1 mean +5, whichever sample index we look at.
    np.testing.assert_array_less(np.abs(draws.mean(axis=(0, 2)) - np.array([-5.0, 5.0])), 5 / np.sqrt(4000))
    # The 400 draws of an event are independent: lag-1 correlation within MC error of 0.
    centered = draws - draws.mean(axis=-1, keepdims=True)
    lag1 = np.sum(centered[..., 1:] * centered[..., :-1]) / np.sum(centered**2)
    assert abs(lag1) < 5 / np.sqrt(centered[..., 1:].size)


def test_kl_is_count_times_inner_kl():
    p, q = _sample((3, 4)), Sample(tfd.Normal(0.5, 1.5), (3, 4))
    ratio = SCALE / 1.5
    expected = 12 * (0.5 * (((LOC - 0.5) / 1.5) ** 2 + ratio**2 - 1) - np.log(ratio))
    np.testing.assert_allclose(jax.jit(tfd.kl_divergence)(p, q), expected, rtol=1e-12)
    with pytest.raises(ValueError, match="sample shapes differ"):
        tfd.kl_divergence(p, Sample(tfd.Normal(0.5, 1.5), (4, 3)))


def test_jit_vmap_grad_and_slicing():
    x = RNG.normal(size=(2, 3))

    def log_prob(loc, scale, x):
        return Sample(tfd.Normal(loc, scale), 3).log_prob(x)

    @jax.jit
    def everything(loc, scale, x):
        return dict(
            # vmap over constructors (one scalar Normal each).
            batched=jax.vmap(log_prob)(loc, scale, x),
            grad_loc=jax.grad(lambda loc: jnp.sum(log_prob(loc, scale, x)))(loc),
            built=Sample(tfd.Normal(loc, 1.0), (3,)),
            sliced=Sample(tfd.Normal(loc, scale), 3)[1:].log_prob(x[1:]),
        )

    out = everything(LOC, SCALE, x)
    expected = scipy.stats.norm(LOC[:, None], SCALE[:, None]).logpdf(x).sum(-1)
    np.testing.assert_allclose(out["batched"], expected, rtol=1e-12)
    grad_loc = ((x - LOC[:, None]) / SCALE[:, None] ** 2).sum(-1)
    np.testing.assert_allclose(out["grad_loc"], grad_loc, rtol=1e-10)
    built = out["built"]
    assert isinstance(built, Sample) and built.event_shape == (3,) and built.batch_shape == (2,)
    sliced = _sample(3)[1:]
    assert sliced.batch_shape == (1,) and sliced.event_shape == (3,)
    np.testing.assert_allclose(out["sliced"], expected[1:], rtol=1e-12)


def test_event_space_bijector_keeps_batch_and_draws_apart():
    high = np.array([1.0, 10.0])
    d = Sample(tfd.Uniform(0.0, high), (3, 2))  # batch (2,), event (3, 2)
    bijector = d.experimental_default_event_space_bijector()
    assert isinstance(bijector, SampleEventSpaceBijector)
    z = RNG.normal(size=(7, 2, 3, 2))

    @jax.jit
    def round_trip(d, bijector, z):
        y, log_det = bijector.forward_and_log_det(z, event_ndims=2)
        return y, log_det, bijector.inverse_and_log_det(y, event_ndims=2), d.log_prob(y)

    y, log_det, (x, inverse_log_det), log_prob = round_trip(d, bijector, z)
    sigmoid = 1 / (1 + np.exp(-z))
    np.testing.assert_allclose(y, high[:, None, None] * sigmoid, rtol=1e-12)
    expected = np.log(high[:, None, None] * sigmoid * (1 - sigmoid)).sum((-2, -1))
    assert log_det.shape == (7, 2)
    np.testing.assert_allclose(log_det, expected, rtol=1e-12)
    np.testing.assert_allclose(x, z, rtol=1e-9)
    np.testing.assert_allclose(inverse_log_det, -expected, rtol=1e-9)
    assert bijector.experimental_batch_shape(2) == (2,)
    # log_prob of the pushed-forward density is finite and uses the right member's bounds.
    np.testing.assert_allclose(log_prob, np.broadcast_to(-6 * np.log(high), (7, 2)), rtol=1e-12)
    # Unbatched inner bijectors are used as they are.
    assert not isinstance(
        Sample(tfd.Gamma(2.0, 1.0), 3).experimental_default_event_space_bijector(), SampleEventSpaceBijector
    )


@pytest.mark.parametrize("sample_shape", [-1, (2, -3), (None,)])
def test_bad_sample_shape(sample_shape):
    with pytest.raises(ValueError, match="sample_shape"):
        Sample(tfd.Normal(0.0, 1.0), sample_shape)
