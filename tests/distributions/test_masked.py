import jax
import jax.numpy as jnp
import numpy as np
import pytest
import scipy.stats

from probax import distributions as tfd
from probax.distributions.independent import Independent
from probax.distributions.masked import Masked, MaskedEventSpaceBijector, fixed_sample

LOC = np.array([-1.0, 0.0, 2.0])
MASK = np.array([[True, False, True], [False, True, True]])  # batch (2, 3) with the inner (3,)


def _masked(dtype=np.float64):
    return Masked(tfd.Normal(LOC.astype(dtype), 1.0), MASK)


def test_shapes_follow_tfp():
    d = _masked()
    assert d.batch_shape == (2, 3) and d.event_shape == ()

    def shapes(d):
        draws = d.sample((4, 5), seed=0)
        return draws, d.log_prob(draws), d.mean(), d.entropy()

    draws, log_prob, mean, entropy = jax.eval_shape(shapes, d)
    assert draws.shape == log_prob.shape == (4, 5, 2, 3)
    assert mean.shape == entropy.shape == (2, 3)
    vector = Masked(Independent(tfd.Normal(jnp.zeros((3, 2)), 1.0), 1), MASK)
    assert vector.batch_shape == (2, 3) and vector.event_shape == (2,)
    assert jax.eval_shape(lambda d: d.sample(4, seed=0), vector).shape == (4, 2, 3, 2)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_values_where_valid_and_neutral_values_elsewhere(dtype):
    d = _masked(dtype)
    x = np.array([[0.3], [-2.0]])  # broadcasts against (2, 3)
    oracle = scipy.stats.norm(LOC, 1.0)
    rtol = 2e-6 if dtype == np.float32 else 1e-12
    # Log-probabilities near 0 (the far tail of log_cdf / log_sf) are good to the dtype's eps in
    # absolute terms only; that is the inner family's accuracy, tested in its own module.
    atol = float(np.finfo(dtype).eps)

    @jax.jit
    def evaluate(d, x):
        return dict(
            log_prob=d.log_prob(x),
            prob=d.prob(x),
            cdf=d.cdf(x),
            log_cdf=d.log_cdf(x),
            survival_function=d.survival_function(x),
            log_survival_function=d.log_survival_function(x),
            quantile=d.quantile(0.2),
            mean=d.mean(),
            mode=d.mode(),
            variance=d.variance(),
            stddev=d.stddev(),
            entropy=d.entropy(),
        )

    values = evaluate(d, x.astype(dtype))
    safe = np.broadcast_to(jax.jit(fixed_sample)(tfd.Normal(LOC.astype(dtype), 1.0)), (2, 3))
    expected_valid = dict(
        log_prob=oracle.logpdf(x),
        prob=oracle.pdf(x),
        cdf=oracle.cdf(x),
        log_cdf=oracle.logcdf(x),
        survival_function=oracle.sf(x),
        log_survival_function=oracle.logsf(x),
        quantile=oracle.ppf(0.2),
        mean=oracle.mean(),
        mode=oracle.mean(),
        variance=oracle.var(),
        stddev=oracle.std(),
        entropy=oracle.entropy(),
    )
    # TFP's values for invalid members.
    expected_invalid = dict(
        log_prob=0.0,
        prob=1.0,
        cdf=1.0,
        log_cdf=0.0,
        survival_function=0.0,
        log_survival_function=-np.inf,
        quantile=safe,
        mean=safe,
        mode=safe,
        variance=0.0,
        stddev=0.0,
        entropy=0.0,
    )
    for name, value in values.items():
        assert value.shape == (2, 3) and value.dtype == dtype, name
        valid = np.broadcast_to(expected_valid[name], (2, 3))
        invalid = np.broadcast_to(expected_invalid[name], (2, 3))
        np.testing.assert_allclose(value, np.where(MASK, valid, invalid), rtol=rtol, atol=atol, err_msg=name)


def test_invalid_values_never_reach_the_inner_distribution():
    d = Masked(tfd.HalfNormal(jnp.array([2.0, 3.0])), jnp.array([True, False]))
    x = jnp.array([1.5, -1.0])  # -1 is outside the HalfNormal's support, at a masked member
    log_prob, grad = jax.jit(jax.value_and_grad(lambda x: jnp.sum(d.log_prob(x))))(x)
    np.testing.assert_allclose(log_prob, scipy.stats.halfnorm(scale=2.0).logpdf(1.5), rtol=1e-12)
    np.testing.assert_allclose(grad, [-1.5 / 2.0**2, 0.0], rtol=1e-12)  # d/dx log pdf = -x / scale**2


def test_samples_are_safe_where_invalid_and_fresh_where_valid():
    d = _masked()
    draws, safe = jax.jit(lambda d: (d.sample(2000, seed=5), fixed_sample(d.distribution)))(d)
    draws, safe = np.asarray(draws), np.broadcast_to(safe, (2000, 2, 3))
    np.testing.assert_array_equal(draws[:, ~MASK], safe[:, ~MASK])
    valid = draws[:, MASK]
    np.testing.assert_array_less(
        np.abs(valid.mean(0) - np.broadcast_to(LOC, (2, 3))[MASK]), 5 / np.sqrt(2000)
    )
    # The two valid members that share parameters (column 2) are drawn independently.
    assert abs(np.corrcoef(draws[:, 0, 2], draws[:, 1, 2])[0, 1]) < 5 / np.sqrt(2000)


def test_kl_follows_tfp():
    p = Masked(tfd.Normal(0.0, 1.0), jnp.array([True, False, True, False]))
    q = Masked(tfd.Normal(1.0, 2.0), jnp.array([True, False, False, True]))
    inner = 0.5 * ((1 / 2) ** 2 + (1 / 2) ** 2 - 1) - np.log(1 / 2)
    np.testing.assert_allclose(tfd.kl_divergence(p, q), [inner, 0.0, np.nan, np.nan], rtol=1e-12)
    strict = Masked(tfd.Normal(0.0, 1.0), jnp.array([True, False, True, False]), allow_nan_stats=False)
    with pytest.raises(ValueError, match="masks agree"):
        tfd.kl_divergence(strict, q)


def test_slicing_jit_vmap_grad():
    d = _masked()
    indexes = [1, (slice(None), 2), (Ellipsis, slice(1, None)), (None, 0)]
    full, distributions, sliced = jax.jit(
        lambda d: (d.log_prob(0.5), [d[i] for i in indexes], [d[i].log_prob(0.5) for i in indexes])
    )(d)
    assert all(isinstance(s, Masked) for s in distributions)
    for index, values in zip(indexes, sliced, strict=True):
        np.testing.assert_allclose(values, full[index], rtol=1e-12)
    x = np.array([0.1, 0.7, -0.3])

    def total(loc, mask):
        return jnp.sum(Masked(tfd.Normal(loc, 1.0), mask).log_prob(x))

    grads = jax.jit(jax.vmap(jax.grad(total), in_axes=(None, 0)))(jnp.asarray(LOC), MASK)
    np.testing.assert_allclose(grads, np.where(MASK, x - LOC, 0.0), rtol=1e-12)
    built = jax.jit(lambda mask: Masked(tfd.Normal(LOC, 1.0), mask))(MASK)
    assert isinstance(built, Masked) and built.batch_shape == (2, 3)


def test_event_space_bijector_skips_invalid_members():
    d = Masked(tfd.HalfNormal(jnp.array([2.0, 3.0])), jnp.array([True, False]))
    z = jnp.array([0.4, 100.0])

    @jax.jit
    def evaluate(d):
        bijector = d.experimental_default_event_space_bijector()
        return (
            bijector,
            bijector.forward_and_log_det(z),
            bijector.inverse_and_log_det(jnp.array([np.logaddexp(0, 0.4), 7.0])),
            fixed_sample(d.distribution)[1],
            bijector.forward_log_det_jacobian(z, 1),
        )

    bijector, (y, log_det), (x, inverse_log_det), safe, whole_log_det = evaluate(d)
    assert isinstance(bijector, MaskedEventSpaceBijector)
    np.testing.assert_allclose(y, [np.logaddexp(0, 0.4), safe], rtol=1e-12)
    np.testing.assert_allclose(log_det, [-np.logaddexp(0, -0.4), 0.0], rtol=1e-12)
    np.testing.assert_allclose(x, [0.4, 0.0], rtol=1e-12)
    np.testing.assert_allclose(inverse_log_det, -log_det, rtol=1e-12)
    np.testing.assert_allclose(whole_log_det, log_det.sum(), rtol=1e-12)


def test_errors():
    inner = tfd.Normal(jnp.zeros(3), 1.0)
    with pytest.raises(ValueError, match="boolean"):
        Masked(inner, jnp.ones(3))
    with pytest.raises(ValueError, match="validity_mask"):
        Masked(inner, jnp.ones(4, bool))
    with pytest.raises(ValueError, match="safe_sample_fn"):
        Masked(inner, jnp.ones(3, bool), safe_sample_fn=0.0)
    with pytest.raises(TypeError, match="Distribution"):
        Masked(jnp.zeros(3), jnp.ones(3, bool))
