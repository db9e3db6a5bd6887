import jax
import jax.numpy as jnp
import numpy as np
import pytest
import scipy.optimize
import scipy.special
import scipy.stats

from probax.distributions.categorical import Categorical
from probax.distributions.gamma import Gamma
from probax.distributions.independent import Independent
from probax.distributions.mixture_same_family import MixtureSameFamily, draw_broadcast, slice_part
from probax.distributions.multivariate_normal_diag import MultivariateNormalDiag
from probax.distributions.normal import Normal
from probax.distributions.von_mises import VonMises

# Batch of 2 mixtures of K = 3 normals; the weights are shared (mixture batch shape ()).
LOC = np.array([[-1.0, 0.5, 2.0], [0.0, 1.5, 3.0]])
SCALE = np.array([0.5, 1.0, 2.0])
LOGITS = np.array([0.2, -0.4, 0.7])
POINTS = np.array([[-3.0, -1.0], [-0.7, 0.2], [0.4, 1.1], [2.5, 3.3], [7.0, 9.0]])
RTOL = {np.float32: 2e-5, np.float64: 1e-10}
# A log near 0 (log cdf of a point far right) is known to a few eps absolute, not relative.
ATOL = {np.float32: 5e-7, np.float64: 1e-15}


def normal_mixture(loc=LOC, scale=SCALE, logits=LOGITS, **kwargs):
    return MixtureSameFamily(Categorical(logits=logits), Normal(loc, scale), **kwargs)


def scipy_normal_mixture(x, loc=LOC, scale=SCALE, logits=LOGITS):
    """Direct sums over components with scipy.stats; x broadcasts against the batch (2,)."""
    w = scipy.special.softmax(logits)
    z = np.asarray(x, np.float64)[..., None]
    component = scipy.stats.norm(loc, scale)
    mean = np.sum(w * loc, -1)
    second = np.sum(w * (scale**2 + loc**2), -1)
    return dict(
        log_prob=np.log(np.sum(w * component.pdf(z), -1)),
        cdf=np.sum(w * component.cdf(z), -1),
        log_cdf=np.log(np.sum(w * component.cdf(z), -1)),
        survival_function=np.sum(w * component.sf(z), -1),
        log_survival_function=np.log(np.sum(w * component.sf(z), -1)),
        mean=mean,
        variance=second - mean**2,
        stddev=np.sqrt(second - mean**2),
    )


POINTWISE = ("log_prob", "cdf", "log_cdf", "survival_function", "log_survival_function")


def _all_methods(dist, x):
    out = {m: getattr(dist, m)(x) for m in POINTWISE}
    return out | {m: getattr(dist, m)() for m in ("mean", "variance", "stddev")}


@pytest.mark.parametrize("dtype", [np.float32, np.float64], ids=["float32", "float64"])
def test_methods_match_direct_sums_over_components(dtype):
    params = [a.astype(dtype) for a in (LOC, SCALE, LOGITS)]
    actual = jax.jit(lambda p, x: _all_methods(normal_mixture(*p), x))(params, POINTS.astype(dtype))
    expected = scipy_normal_mixture(POINTS)
    for method, value in actual.items():
        assert value.dtype == dtype, method
        np.testing.assert_allclose(
            value, expected[method], rtol=RTOL[dtype], atol=ATOL[dtype], err_msg=method
        )


def test_shapes_follow_tfp_rules():
    d = normal_mixture()
    assert (d.batch_shape, d.event_shape, d.num_components) == ((2,), (), 3)
    assert d.sample((4, 5), seed=0).shape == (4, 5, 2)
    assert d.log_prob(np.zeros((6, 1))).shape == (6, 2)
    # A mixture batch larger than the components' batch broadcasts.
    wide = MixtureSameFamily(Categorical(logits=np.zeros((4, 1, 3))), Normal(LOC, SCALE))
    assert wide.batch_shape == (4, 2)
    assert wide.sample(3, seed=1).shape == (3, 4, 2)
    assert wide.mean().shape == (4, 2)


# ---------------------------------------------------------------------- quantile
GAMMA = dict(concentration=np.array([0.7, 3.0, 9.0]), rate=np.array([1.0, 2.0, 0.5]))
GAMMA_PROBS = np.array([0.2, 0.5, 0.3])
PROBABILITIES = np.array([1e-8, 1e-3, 0.1, 0.5, 0.9, 0.999, 1 - 1e-8])


def gamma_mixture(dtype=np.float64):
    return MixtureSameFamily(
        Categorical(probs=GAMMA_PROBS.astype(dtype)),
        Gamma(GAMMA["concentration"].astype(dtype), GAMMA["rate"].astype(dtype)),
    )


def scipy_gamma_mixture_quantile(p):
    component = scipy.stats.gamma(GAMMA["concentration"], scale=1 / GAMMA["rate"])

    def log_cdf_gap(x):
        return np.log(np.sum(GAMMA_PROBS * component.cdf(x))) - np.log(p)

    def log_sf_gap(x):
        return np.log1p(-p) - np.log(np.sum(GAMMA_PROBS * component.sf(x)))

    gap = log_cdf_gap if p <= 0.5 else log_sf_gap
    low, high = component.ppf(p).min(), component.ppf(p).max()
    return scipy.optimize.brentq(gap, low, high, xtol=1e-300, rtol=1e-15)


@pytest.mark.parametrize("dtype", [np.float32, np.float64], ids=["float32", "float64"])
def test_quantile_inverts_the_cdf(dtype):
    d = gamma_mixture(dtype)
    # 1 - 1e-8 is 1 in float32: use 1 - 1e-6 there.
    grid = PROBABILITIES if dtype == np.float64 else np.append(PROBABILITIES[:-1], 1 - 1e-6)
    p = np.concatenate([grid, [0.0, 1.0, -0.1]]).astype(dtype)
    q = np.asarray(jax.jit(lambda d, p: d.quantile(p))(d, p))
    assert q.dtype == dtype
    expected = np.array([scipy_gamma_mixture_quantile(v) for v in p[:7].astype(np.float64)])
    if dtype == np.float64:
        # The root search runs to machine precision, far inside the 1e-5 asked for.
        np.testing.assert_allclose(q[:7], expected, rtol=1e-10)
    else:
        # log F has slope ~1 / x here, so a float32 log cdf (error ~1e-7) pins x to ~1e-6 relative;
        # roots nearer 0 than float32 eps are resolved only to the root finder's absolute eps.
        np.testing.assert_allclose(q[:7], expected, rtol=2e-5, atol=2 * np.finfo(np.float32).eps)
    assert q[7] == 0 and q[8] == np.inf and np.isnan(q[9])


def test_quantile_without_component_quantiles_brackets_by_doubling():
    # VonMises has no quantile: the bracket comes from the expanding search on the mixture cdf.
    d = MixtureSameFamily(
        Categorical(probs=[0.4, 0.6]), VonMises(np.array([-1.0, 1.5]), np.array([2.0, 8.0]))
    )
    p = np.array([1e-6, 0.05, 0.5, 0.95, 1 - 1e-6])
    q = jax.jit(lambda d, p: d.quantile(p))(d, p)
    np.testing.assert_allclose(d.cdf(q), p, rtol=1e-9)


# ---------------------------------------------------------------------- sampling
def _assert_matches_mixture(draws, cdf, mean, variance, name):
    """KS test against the mixture's cdf and moments within 5 Monte Carlo standard errors."""
    n = len(draws)
    assert scipy.stats.kstest(draws, cdf).pvalue > 1e-3, name
    fourth = np.mean((draws - mean) ** 4)
    assert abs(draws.mean() - mean) < 5 * np.sqrt(variance / n), name
    assert abs(draws.var() - variance) < 5 * np.sqrt((fourth - variance**2) / n), name


def test_samples_from_either_path_follow_the_mixture():
    d = normal_mixture()
    n = 20_000
    gathered = np.asarray(jax.jit(lambda d: d.sample(n, seed=jax.random.key(11)))(d))

    def all_components(d, key):
        index = d._broadcast_mixture().sample(n, seed=jax.random.key(12))
        return d._sample_all_and_select(index, key)

    selected = np.asarray(jax.jit(all_components)(d, jax.random.key(13)))
    expected = scipy_normal_mixture(0.0)
    for draws, path in ((gathered, "gathered"), (selected, "all components")):
        for member in range(2):

            def cdf(x, member=member):
                return scipy_normal_mixture(x[:, None], LOC[member : member + 1])["cdf"][:, 0]

            _assert_matches_mixture(
                draws[:, member],
                cdf,
                expected["mean"][member],
                expected["variance"][member],
                f"{path}[{member}]",
            )


def test_draws_are_independent_across_widened_batch_dims():
    # Components with batch (1, K) under a mixture of batch (2,): members must not share draws.
    x = np.asarray(draw_broadcast(Normal(np.zeros((1, 3)), 1.0), (4000, 2, 3), jax.random.key(0)))
    correlation = np.corrcoef(x[:, 0, 0], x[:, 1, 0])[0, 1]
    assert abs(correlation) < 5 / np.sqrt(4000)
    d = MixtureSameFamily(Categorical(logits=np.zeros((2, 3))), Normal(LOC[:1], SCALE))
    index = d._broadcast_mixture().sample(4000, seed=1)
    draws = np.asarray(d._sample_all_and_select(index, jax.random.key(2)))
    assert draws.shape == (4000, 2)
    assert abs(np.corrcoef(draws[:, 0], draws[:, 1])[0, 1]) < 5 / np.sqrt(4000)


# ---------------------------------------------------------------------- reparameterization
def _central_differences(fn, params, step=1e-6):
    """d fn / d params[k][i] for every element, by central differences."""
    result = {}
    for key, value in params.items():
        columns = []
        for i in np.ndindex(value.shape):
            up, down = value.copy(), value.copy()
            up[i] += step
            down[i] -= step
            columns.append((fn({**params, key: up}) - fn({**params, key: down})) / (2 * step))
        result[key] = np.stack(columns, -1).reshape(columns[0].shape + value.shape)
    return result


def test_scalar_reparameterized_gradient_matches_the_quantile_map():
    params = dict(loc=LOC.copy(), scale=np.broadcast_to(SCALE, LOC.shape).copy(), logits=LOGITS.copy())
    key = jax.random.key(5)

    def draw(p):
        return normal_mixture(p["loc"], p["scale"], p["logits"], reparameterize=True).sample(2, seed=key)

    x, jacobian = jax.jit(lambda p: (draw(p), jax.jacfwd(draw)(p)))(params)
    x = np.asarray(x)

    # Common random numbers: u = F(x; theta) stays fixed while theta moves; x(theta) = Q(u; theta).
    def mixture_cdf(v, loc, scale, logits):
        return np.sum(
            scipy.special.softmax(logits) * scipy.stats.norm.cdf(np.asarray(v)[..., None], loc, scale), -1
        )

    u = mixture_cdf(x, **params)

    def quantile_map(p):
        out = np.empty_like(x)
        for s, b in np.ndindex(x.shape):

            def gap(v, s=s, b=b):
                return mixture_cdf(v, p["loc"][b], p["scale"][b], p["logits"]) - u[s, b]

            out[s, b] = scipy.optimize.brentq(gap, -20, 20, xtol=1e-14, rtol=1e-15)
        return out

    expected = _central_differences(quantile_map, params)
    for name in params:
        np.testing.assert_allclose(jacobian[name], expected[name], rtol=1e-5, atol=1e-7, err_msg=name)
    # Reverse mode goes through the same rule.
    grad = jax.grad(lambda p: jnp.sum(draw(p)))(params)
    np.testing.assert_allclose(grad["loc"], np.sum(jacobian["loc"], axis=(0, 1)), rtol=1e-10)


VECTOR_LOC = np.array([[-1.0, 0.5], [0.5, 2.0], [2.0, -1.5]])
VECTOR_SCALE = np.array([[0.6, 1.0], [1.2, 0.7], [0.8, 0.9]])


def _numpy_transform(x, loc, scale, logits):
    """The distributional transform (conditional cdfs of coordinates given the previous ones)."""
    w = scipy.special.softmax(logits)
    log_w = np.log(w)[:, None] + np.cumsum(scipy.stats.norm.logpdf(x[..., None, :], loc, scale), -1)
    log_w = np.concatenate([np.broadcast_to(np.log(w)[:, None], log_w[..., :1].shape), log_w[..., :-1]], -1)
    posterior = scipy.special.softmax(log_w, axis=-2)
    return np.sum(posterior * scipy.stats.norm.cdf(x[..., None, :], loc, scale), -2)


def _numpy_inverse_transform(u, loc, scale, logits):
    x = np.zeros(u.shape)
    for s in range(u.shape[0]):
        for i in range(u.shape[1]):

            def gap(v, s=s, i=i):
                trial = x[s].copy()
                trial[i] = v
                return _numpy_transform(trial, loc, scale, logits)[i] - u[s, i]

            x[s, i] = scipy.optimize.brentq(gap, -20, 20, xtol=1e-14, rtol=1e-15)
    return x


def test_vector_reparameterized_gradient_matches_the_inverse_transform():
    params = dict(loc=VECTOR_LOC.copy(), scale=VECTOR_SCALE.copy(), logits=LOGITS.copy())
    key = jax.random.key(8)

    def draw(p):
        components = Independent(Normal(p["loc"], p["scale"]), reinterpreted_batch_ndims=1)
        mixture = MixtureSameFamily(Categorical(logits=p["logits"]), components, reparameterize=True)
        return mixture.sample(2, seed=key)

    x, jacobian = jax.jit(lambda p: (draw(p), jax.jacfwd(draw)(p)))(params)
    x = np.asarray(x)
    u = _numpy_transform(x, **params)
    expected = _central_differences(lambda p: _numpy_inverse_transform(u, **p), params)
    for name in params:
        np.testing.assert_allclose(jacobian[name], expected[name], rtol=1e-5, atol=1e-7, err_msg=name)


def test_reparameterization_type_and_unsupported_components():
    assert normal_mixture().reparameterization_type.name == "NOT_REPARAMETERIZED"
    assert normal_mixture(reparameterize=True).reparameterization_type.name == "FULLY_REPARAMETERIZED"
    mvn = MultivariateNormalDiag(np.zeros((3, 2)), np.ones((3, 2)))
    with pytest.raises(NotImplementedError, match="Independent components"):
        MixtureSameFamily(Categorical(logits=LOGITS), mvn, reparameterize=True)


# ---------------------------------------------------------------------- vector events
def test_vector_components_moments_and_seed_shapes():
    loc = np.array([[[0.0, 1.0], [2.0, -1.0], [1.0, 1.0]], [[-2.0, 0.0], [0.5, 0.5], [3.0, 2.0]]])
    scale = np.array([[0.5, 1.0], [1.5, 0.7], [1.0, 2.0]])
    w = np.array([0.5, 0.2, 0.3])
    d = MixtureSameFamily(Categorical(probs=w), MultivariateNormalDiag(loc=loc, scale_diag=scale))
    assert (d.batch_shape, d.event_shape) == ((2,), (2,))
    x = np.array([[0.3, -0.2], [1.0, 2.0]])
    expected = np.log(
        [
            sum(
                w[k] * scipy.stats.multivariate_normal(loc[b, k], np.diag(scale[k] ** 2)).pdf(x[b])
                for k in range(3)
            )
            for b in range(2)
        ]
    )
    moments = jax.jit(lambda d: (d.log_prob(x), d.mean(), d.variance(), d.covariance()))(d)
    np.testing.assert_allclose(moments[0], expected, rtol=1e-12)
    # Moments that cancel to ~0 are compared with an absolute tolerance of a few float64 eps.
    second = np.einsum("k,bki,bkj->bij", w, loc, loc) + np.sum(
        w[:, None, None] * np.eye(2) * scale[:, None] ** 2, 0
    )
    mean = np.einsum("k,bki->bi", w, loc)
    covariance = second - mean[:, :, None] * mean[:, None, :]
    np.testing.assert_allclose(moments[1], mean, rtol=1e-12, atol=1e-14)
    np.testing.assert_allclose(
        moments[2], np.diagonal(covariance, axis1=-2, axis2=-1), rtol=1e-12, atol=1e-14
    )
    np.testing.assert_allclose(moments[3], covariance, rtol=1e-12, atol=1e-14)
    with pytest.raises(NotImplementedError, match="cdf"):
        d.cdf(x)

    # Seed 001: a factorial mixture of V variables, each a mixture of C diagonal normals in D dims.
    num_vars, num_components, dims = 4, 3, 2
    mu = np.random.default_rng(0).normal(size=(num_vars, num_components, dims))
    factorial_mog = Independent(
        MixtureSameFamily(
            mixture_distribution=Categorical(logits=jnp.zeros([num_vars, num_components])),
            components_distribution=MultivariateNormalDiag(loc=mu, scale_diag=[np.ones(dims)]),
        ),
        reinterpreted_batch_ndims=1,
    )
    assert (factorial_mog.batch_shape, factorial_mog.event_shape) == ((), (4, 2))
    samples = factorial_mog.sample(1000, seed=0)
    assert samples.shape == (1000, 4, 2)
    assert factorial_mog.log_prob(samples).shape == (1000,)
    assert factorial_mog.log_prob(np.zeros((4, 2))).shape == ()

    # Seed 002's mixture density network head: batch B of K-component normal mixtures.
    batch, k = 5, 3
    logits, mdn_loc, mdn_scale = (np.random.default_rng(1).normal(size=(batch, k)) for _ in range(3))
    mdn = MixtureSameFamily(Categorical(logits=logits), Normal(mdn_loc, np.exp(mdn_scale)))
    # TFP's Independent default reinterprets all but the first batch dim: none of (B,).
    default = Independent(mdn)
    assert (default.batch_shape, default.event_shape) == ((5,), ())
    assert default.log_prob(np.zeros(5)).shape == (5,)
    joint = Independent(mdn, reinterpreted_batch_ndims=1)
    assert (joint.batch_shape, joint.event_shape) == ((), (5,))
    y = np.linspace(-1, 1, 5)
    np.testing.assert_allclose(joint.log_prob(y), np.sum(mdn.log_prob(y)), rtol=1e-12)
    assert joint.sample(7, seed=0).shape == (7, 5)


def test_posterior_marginal_is_bayes_rule():
    d = normal_mixture()
    x = POINTS[:3]
    posterior = d.posterior_marginal(x)
    joint = scipy.special.softmax(LOGITS) * scipy.stats.norm.pdf(x[..., None], LOC, SCALE)
    np.testing.assert_allclose(posterior.probs_parameter(), joint / joint.sum(-1, keepdims=True), rtol=1e-12)
    np.testing.assert_array_equal(d.posterior_mode(x), np.argmax(joint, -1))


# ---------------------------------------------------------------------- slicing and transforms
def test_slicing_matches_the_sliced_parameters():
    d = normal_mixture()
    x = POINTS[:, :1]
    np.testing.assert_allclose(d[1].log_prob(x[:, 0]), normal_mixture(LOC[1]).log_prob(x[:, 0]), rtol=1e-12)
    np.testing.assert_allclose(d[1].log_prob(x[:, 0]), d.log_prob(x)[:, 1], rtol=1e-12)
    assert d[None, :1].batch_shape == (1, 1)
    per_member = MixtureSameFamily(Categorical(logits=np.stack([LOGITS, -LOGITS])), Normal(LOC, SCALE))
    np.testing.assert_allclose(per_member[1].mean(), per_member.mean()[1], rtol=1e-12)
    # A part with a unit dim where the batch is wider keeps broadcasting after slicing.
    assert slice_part(Normal(np.zeros((1, 3)), 1.0), (slice(0, 1), slice(None)), (4, 3)).batch_shape == (1, 3)


def test_jit_vmap_and_log_prob_gradients():
    params = dict(loc=LOC, scale=SCALE, logits=LOGITS)

    def total(p):
        return jnp.sum(normal_mixture(p["loc"], p["scale"], p["logits"]).log_prob(POINTS))

    returned = jax.jit(lambda p: normal_mixture(p["loc"], p["scale"], p["logits"]))(params)
    np.testing.assert_allclose(
        returned.log_prob(POINTS), scipy_normal_mixture(POINTS)["log_prob"], rtol=1e-12
    )
    stacked = {k: np.stack([v, v]) for k, v in params.items()}
    batched = jax.vmap(lambda p: normal_mixture(p["loc"], p["scale"], p["logits"]))(stacked)
    assert batched.batch_shape == (2, 2)
    gradient = jax.jit(jax.grad(total))(params)
    numeric = _central_differences(
        lambda p: np.asarray(jax.jit(total)(p)), {k: v.copy() for k, v in params.items()}
    )
    for name in params:
        np.testing.assert_allclose(gradient[name], numeric[name], rtol=1e-6, atol=1e-8, err_msg=name)


@pytest.mark.parametrize(
    "build, error, match",
    [
        (
            lambda: MixtureSameFamily(Categorical(logits=np.zeros(4)), Normal(LOC, SCALE)),
            ValueError,
            "4 classes",
        ),
        (lambda: MixtureSameFamily(Normal(0.0, 1.0), Normal(LOC, SCALE)), ValueError, "Categorical"),
        (
            lambda: MixtureSameFamily(Categorical(logits=LOGITS), Normal(0.0, 1.0)),
            ValueError,
            "batch dimension",
        ),
        (
            lambda: MixtureSameFamily(Categorical(logits=np.zeros((3, 3))), Normal(LOC, SCALE)),
            ValueError,
            "cannot be broadcast",
        ),
        (lambda: MixtureSameFamily(Categorical(logits=LOGITS), LOC), TypeError, "Distribution"),
        (lambda: normal_mixture().entropy(), NotImplementedError, "MixtureSameFamily.*entropy"),
    ],
    ids=["classes", "mixture-family", "no-components-axis", "batch", "not-a-distribution", "entropy"],
)
def test_errors_name_the_problem(build, error, match):
    with pytest.raises(error, match=match):
        build()


def test_quantile_gradient_is_implicit_and_matches_finite_differences():
    logits, scale = np.array([0.2, -0.4, 0.1]), np.array([0.5, 1.0, 2.0])
    base_loc = np.array([-1.0, 0.5, 3.0])
    p = np.array([0.05, 0.5, 0.93])

    def quantile(shift, scales):
        mixture = MixtureSameFamily(Categorical(logits=logits), Normal(base_loc + shift, scales))
        return mixture.quantile(p)

    d_shift, d_scale = jax.jit(jax.jacfwd(quantile, argnums=(0, 1)))(0.0, scale)
    # Shifting every component shifts every quantile by the same amount.
    np.testing.assert_allclose(d_shift, np.ones(3), rtol=1e-8)
    step = 1e-6
    bumps = np.eye(3) * step
    differences = [(quantile(0.0, scale + b) - quantile(0.0, scale - b)) / (2 * step) for b in bumps]
    fd = np.stack(differences, axis=-1)
    # Central differences of a root found to ~1e-15 relative, with step 1e-6: good to ~1e-8.
    np.testing.assert_allclose(d_scale, fd, rtol=1e-6, atol=1e-8)
