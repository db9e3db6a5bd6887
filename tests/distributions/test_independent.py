import jax
import jax.numpy as jnp
import numpy as np
import pytest
import scipy.special
import scipy.stats

from probax import distributions as tfd
from probax.distributions.independent import Independent

RNG = np.random.default_rng(0)
LOC = RNG.normal(size=(2, 3, 4))
SCALE = RNG.uniform(0.5, 2.0, size=(2, 3, 4))
X = RNG.normal(size=(5, 2, 3, 4))


def _normal(dtype=np.float64):
    return tfd.Normal(LOC.astype(dtype), SCALE.astype(dtype))


# ------------------------------------------------------------------ shapes (TFP's rules)
# (inner batch shape, reinterpreted_batch_ndims, expected batch_shape, expected event_shape)
SHAPE_CASES = {
    "seed001": ((3, 4), 1, (3,), (4,)),
    "none_reinterpreted": ((3, 4), 0, (3, 4), ()),
    "all_reinterpreted": ((3, 4), 2, (), (3, 4)),
    "default_rank3": ((2, 3, 4), None, (2,), (3, 4)),  # TFP: all but the first batch dim
    "default_rank1": ((3,), None, (3,), ()),
    "default_scalar": ((), None, (), ()),
}


@pytest.mark.parametrize("case", SHAPE_CASES, ids=list(SHAPE_CASES))
def test_shapes_follow_tfp(case):
    inner_batch, ndims, batch_shape, event_shape = SHAPE_CASES[case]
    d = Independent(tfd.Normal(jnp.zeros(inner_batch), 1.0), ndims)
    assert d.batch_shape == batch_shape and d.event_shape == event_shape

    def shapes(d):  # traced only (eval_shape): shapes without compiling
        out = {"mean": d.mean(), "entropy": d.entropy()}
        for sample_shape in [(), (5,), (2, 5)]:
            draws = d.sample(sample_shape, seed=0)
            out[str(sample_shape)] = (draws, d.log_prob(draws))
        return out

    out = jax.eval_shape(shapes, d)
    for sample_shape in [(), (5,), (2, 5)]:
        draws, log_prob = out[str(sample_shape)]
        assert draws.shape == sample_shape + batch_shape + event_shape
        assert log_prob.shape == sample_shape + batch_shape
    assert out["mean"].shape == batch_shape + event_shape
    assert out["entropy"].shape == batch_shape


def test_seed001_value_broadcasts_against_batch():
    d = Independent(tfd.Normal(jnp.zeros([3, 4]), 1.0), reinterpreted_batch_ndims=1)
    shapes = jax.eval_shape(lambda d: [d.log_prob(x) for x in (jnp.zeros(4), jnp.zeros((7, 1, 4)), 0.0)], d)
    # The last: a scalar broadcasts against the event, as in TFP.
    assert [s.shape for s in shapes] == [(3,), (7, 3), (3,)]
    with pytest.raises(ValueError, match="event_shape"):
        d.log_prob(jnp.zeros(5))


# ------------------------------------------------------------------ values against scipy
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_log_prob_and_cdf_are_sums_of_inner(dtype):
    d = Independent(_normal(dtype), reinterpreted_batch_ndims=2)
    oracle = scipy.stats.norm(LOC, SCALE)
    x = X.astype(dtype)
    rtol = 1e-5 if dtype == np.float32 else 1e-12  # a sum of 12 terms, each good to a few ulp
    log_prob, prob, log_cdf, cdf, entropy = jax.jit(
        lambda d, x: (d.log_prob(x), d.prob(x), d.log_cdf(x), d.cdf(x), d.entropy())
    )(d, x)
    assert log_prob.dtype == dtype and log_prob.shape == (5, 2)
    np.testing.assert_allclose(log_prob, oracle.logpdf(X).sum(axis=(-2, -1)), rtol=rtol)
    np.testing.assert_allclose(prob, np.exp(oracle.logpdf(X).sum(axis=(-2, -1))), rtol=10 * rtol)
    np.testing.assert_allclose(log_cdf, oracle.logcdf(X).sum(axis=(-2, -1)), rtol=10 * rtol)
    np.testing.assert_allclose(cdf, np.exp(oracle.logcdf(X).sum(axis=(-2, -1))), rtol=10 * rtol)
    np.testing.assert_allclose(entropy, oracle.entropy().sum(axis=(-2, -1)), rtol=rtol)
    for method in ["survival_function", "log_survival_function"]:
        with pytest.raises(NotImplementedError, match="Independent"):
            getattr(d, method)(x)


def test_summaries_are_the_inner_ones():
    d = Independent(_normal(), 1)
    mean, mode, stddev, variance = jax.jit(lambda d: (d.mean(), d.mode(), d.stddev(), d.variance()))(d)
    np.testing.assert_allclose(mean, LOC)
    np.testing.assert_allclose(mode, LOC)
    np.testing.assert_allclose(stddev, SCALE)
    np.testing.assert_allclose(variance, SCALE**2)
    assert d.reparameterization_type == tfd.FULLY_REPARAMETERIZED
    assert Independent(tfd.Categorical(logits=jnp.zeros((3, 2)))).reparameterization_type == (
        tfd.NOT_REPARAMETERIZED
    )


def test_categorical_inner_with_vector_events():
    logits = RNG.normal(size=(2, 3, 5))
    d = Independent(tfd.Categorical(logits=logits), 1)
    assert d.batch_shape == (2,) and d.event_shape == (3,) and d.dtype == jnp.int32
    labels = np.array([[0, 4, 2], [1, 1, 3]])
    log_prob, entropy, draws = jax.jit(lambda d: (d.log_prob(labels), d.entropy(), d.sample(4, seed=1)))(d)
    expected = np.take_along_axis(scipy.special.log_softmax(logits, -1), labels[..., None], -1)[..., 0]
    np.testing.assert_allclose(log_prob, expected.sum(-1), rtol=1e-12)
    probs = scipy.special.softmax(logits, -1)
    np.testing.assert_allclose(entropy, -(probs * np.log(probs)).sum(axis=(-2, -1)), rtol=1e-12)
    assert draws.shape == (4, 2, 3) and draws.dtype == jnp.int32


def test_quantile_needs_a_scalar_event():
    d0 = Independent(tfd.Normal(jnp.zeros(3), 1.0), 0)
    quantile = jax.jit(lambda d: d.quantile(0.975))(d0)
    np.testing.assert_allclose(quantile, np.full(3, scipy.stats.norm.ppf(0.975)), rtol=1e-12)
    with pytest.raises(NotImplementedError):
        Independent(tfd.Normal(jnp.zeros(3), 1.0), 1).quantile(0.5)


def test_covariance_is_block_diagonal():
    d = Independent(_normal(), 2)
    # Blocks that are themselves vectors: Independent of an Independent.
    nested = Independent(Independent(_normal(), 1), 1)
    assert nested.event_shape == (3, 4)
    cov, nested_cov = jax.jit(lambda d, nested: (d.covariance(), nested.covariance()))(d, nested)
    assert cov.shape == (2, 3, 4, 3, 4)
    for b in range(2):
        np.testing.assert_allclose(cov[b].reshape(12, 12), np.diag(SCALE[b].reshape(-1) ** 2))
    np.testing.assert_allclose(nested_cov, cov)


# ------------------------------------------------------------------ KL
def test_kl_is_the_inner_kl_summed():
    loc_q, scale_q = RNG.normal(size=(3, 4)), RNG.uniform(0.5, 2.0, size=(3, 4))
    p = Independent(_normal(), 1)
    q = Independent(tfd.Normal(loc_q, scale_q), 1)  # inner batch (3, 4) broadcasts with (2, 3, 4)
    ratio = SCALE / scale_q
    expected = 0.5 * (((LOC - loc_q) / scale_q) ** 2 + ratio**2 - 1) - np.log(ratio)
    kl = tfd.kl_divergence(p, q)
    assert kl.shape == (2, 3)
    np.testing.assert_allclose(kl, expected.sum(-1), rtol=1e-12)
    np.testing.assert_allclose(p.cross_entropy(q), p.entropy() + kl, rtol=1e-12)


def test_kl_rejects_different_reinterpreted_ndims():
    with pytest.raises(ValueError, match="reinterpreted_batch_ndims differ"):
        inner = tfd.Normal(jnp.zeros([3, 4]), 1.0)
        tfd.kl_divergence(Independent(inner, 1), Independent(inner, 2))
    with pytest.raises(ValueError, match="event shapes differ"):
        tfd.kl_divergence(
            Independent(tfd.Normal(jnp.zeros(3), 1.0), 1), Independent(tfd.Normal(jnp.zeros(4), 1.0), 1)
        )


# ------------------------------------------------------------------ transformations
def test_jit_vmap_grad_sample_and_return_from_jit():
    def log_prob(loc, scale, x):
        return Independent(tfd.Normal(loc, scale), 1).log_prob(x)

    def sample_sum(loc):
        return jnp.sum(Independent(tfd.Normal(loc, 1.0), 1).sample(seed=0))

    n = 2000

    @jax.jit
    def everything(loc, scale, x):
        return dict(
            batched=jax.vmap(log_prob)(loc, scale, x),  # one (3, 4) table per constructor
            grads=jax.grad(lambda loc, scale: jnp.sum(log_prob(loc, scale, x)), (0, 1))(loc, scale),
            grad_sample=jax.grad(sample_sum)(loc),
            draws=Independent(tfd.Normal(loc, scale), 2).sample(n, seed=3),
            built=Independent(tfd.Normal(loc, 1.0), 1),
        )

    out = everything(LOC, SCALE, X[0])
    np.testing.assert_allclose(out["batched"], scipy.stats.norm(LOC, SCALE).logpdf(X[0]).sum(-1), rtol=1e-12)
    # d/dloc sum log_prob = (x - loc) / scale**2, d/dscale = ((x - loc)**2 / scale**2 - 1) / scale.
    grad_loc, grad_scale = out["grads"]
    np.testing.assert_allclose(grad_loc, (X[0] - LOC) / SCALE**2, rtol=1e-10)
    np.testing.assert_allclose(grad_scale, ((X[0] - LOC) ** 2 / SCALE**2 - 1) / SCALE, rtol=1e-10)
    np.testing.assert_allclose(out["grad_sample"], np.ones_like(LOC))  # reparameterized: d draw / d loc = 1
    assert out["draws"].shape == (n, 2, 3, 4)
    assert np.all(np.abs(np.asarray(out["draws"]).mean(0) - LOC) < 5 * SCALE / np.sqrt(n))
    built = out["built"]
    assert isinstance(built, Independent) and built.batch_shape == (2, 3) and built.event_shape == (4,)


def test_slicing_keeps_the_event_whole():
    d = Independent(_normal(), 1)  # batch (2, 3), event (4,)
    full = scipy.stats.norm(LOC, SCALE).logpdf(X).sum(-1)
    cases = [  # (index, batch shape after slicing, the values at those members, their log_prob)
        (0, (3,), X[:, 0], full[:, 0]),
        ((slice(None), slice(1, None)), (2, 2), X[:, :, 1:], full[:, :, 1:]),
        ((Ellipsis, 2), (2,), X[:, :, 2], full[:, :, 2]),
        ((None, 1), (1, 3), X[:, None, 1], full[:, None, 1]),
    ]
    values = jax.jit(lambda d: [d[index].log_prob(x) for index, _, x, _ in cases])(d)
    for (index, batch_shape, _, expected), value in zip(cases, values, strict=True):
        sliced = d[index]
        assert isinstance(sliced, Independent)
        assert sliced.batch_shape == batch_shape and sliced.event_shape == (4,)
        np.testing.assert_allclose(value, expected, rtol=1e-12)
    with pytest.raises(ValueError, match="too many indices"):
        d[0, 0, 0]


def test_event_space_bijector_sums_over_the_new_event():
    concentration = RNG.uniform(1.0, 3.0, size=(3, 4))
    d = Independent(tfd.Gamma(concentration, 1.0), 1)
    # Batched bounds: each coordinate is mapped onto its own interval.
    low, high = np.zeros((3, 4)), np.arange(1.0, 13.0).reshape(3, 4)
    uniform = Independent(tfd.Uniform(low, high), 1)
    z = RNG.normal(size=(3, 4))

    @jax.jit
    def evaluate(d, uniform, z):
        bijector = d.experimental_default_event_space_bijector()
        y, log_det = bijector.forward_and_log_det(z, event_ndims=len(d.event_shape))
        to_interval = uniform.experimental_default_event_space_bijector()
        return y, log_det, to_interval.forward_and_log_det(jnp.zeros(4), event_ndims=1)

    y, log_det, (y_uniform, log_det_uniform) = evaluate(d, uniform, z)
    np.testing.assert_allclose(y, np.logaddexp(0, z), rtol=1e-12)  # softplus onto the positive reals
    assert log_det.shape == (3,)
    np.testing.assert_allclose(log_det, -np.logaddexp(0, -z).sum(-1), rtol=1e-12)
    np.testing.assert_allclose(y_uniform, high / 2, rtol=1e-12)
    np.testing.assert_allclose(log_det_uniform, np.log(high / 4).sum(-1), rtol=1e-12)


def test_rank_promotion_is_never_implicit():
    # conftest sets jax_numpy_rank_promotion='raise'; values of lower rank than batch + event work.
    with jax.numpy_rank_promotion("raise"):
        d = Independent(tfd.Normal(jnp.zeros([3, 4]), jnp.ones(4)), 1)
        shapes = jax.eval_shape(lambda d: (d.log_prob(jnp.ones(4)), d.covariance(), d.entropy()), d)
        assert [s.shape for s in shapes] == [(3,), (3, 4, 4), (3,)]


# ------------------------------------------------------------------ errors
@pytest.mark.parametrize("ndims", [3, -1, 1.0, True])
def test_bad_reinterpreted_batch_ndims(ndims):
    with pytest.raises(ValueError, match="reinterpreted_batch_ndims"):
        Independent(tfd.Normal(jnp.zeros([3, 4]), 1.0), ndims)


def test_distribution_must_be_a_distribution():
    with pytest.raises(TypeError, match="Distribution"):
        Independent(jnp.zeros(3), 1)


def test_copy_and_parameters_round_trip():
    d = Independent(_normal(), 1)
    assert d.copy(reinterpreted_batch_ndims=2).event_shape == (3, 4)
    assert type(d)(**d.parameters).event_shape == d.event_shape
