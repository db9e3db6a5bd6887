import jax
import jax.numpy as jnp
import numpy as np
import pytest
import scipy.integrate
import scipy.stats

from probax import bijectors as tfb
from probax import distributions as tfd

X = np.array([0.05, 0.3, 1.0, 2.5, 9.0])


def test_normal_through_exp_is_log_normal():
    loc, scale = 0.3, 0.8
    td = tfd.TransformedDistribution(tfd.Normal(loc, scale), tfb.Exp())
    oracle = scipy.stats.lognorm(scale, scale=np.exp(loc))
    np.testing.assert_allclose(td.log_prob(X), oracle.logpdf(X), rtol=1e-10)
    np.testing.assert_allclose(td.prob(X), oracle.pdf(X), rtol=1e-10)
    np.testing.assert_allclose(td.cdf(X), oracle.cdf(X), rtol=1e-10)
    np.testing.assert_allclose(td.log_cdf(X), oracle.logcdf(X), rtol=1e-10)
    np.testing.assert_allclose(td.survival_function(X), oracle.sf(X), rtol=1e-10)
    np.testing.assert_allclose(td.log_survival_function(X), oracle.logsf(X), rtol=1e-10)
    p = np.array([0.01, 0.3, 0.5, 0.9])
    np.testing.assert_allclose(td.quantile(p), oracle.ppf(p), rtol=1e-10)
    np.testing.assert_allclose(td.log_prob(X), tfd.LogNormal(loc, scale).log_prob(X), rtol=1e-10)
    draws = np.asarray(td.sample(20_000, seed=0))
    assert scipy.stats.kstest(draws, oracle.cdf).pvalue > 1e-3


def test_float32_dtype_follows_the_base():
    td = tfd.TransformedDistribution(tfd.Normal(np.float32(0.0), np.float32(1.0)), tfb.Exp())
    assert td.dtype == jnp.float32
    assert td.log_prob(np.float32(1.0)).dtype == jnp.float32
    assert td.sample(2, seed=0).dtype == jnp.float32


def test_decreasing_bijector_flips_cdf_and_quantile():
    td = tfd.TransformedDistribution(tfd.Normal(1.0, 1.0), tfb.Scale(-2.0))
    oracle = scipy.stats.norm(-2.0, 2.0)
    x = np.array([-5.0, -2.0, 0.5])
    np.testing.assert_allclose(td.cdf(x), oracle.cdf(x), rtol=1e-10)
    np.testing.assert_allclose(td.survival_function(x), oracle.sf(x), rtol=1e-10)
    np.testing.assert_allclose(td.quantile(np.array([0.1, 0.7])), oracle.ppf([0.1, 0.7]), rtol=1e-10)
    np.testing.assert_allclose(td.mean(), -2.0)
    np.testing.assert_allclose(td.entropy(), oracle.entropy(), rtol=1e-10)


def test_chain_of_three_integrates_to_one_in_1d():
    bijector = tfb.Chain([tfb.Shift(0.5), tfb.Exp(), tfb.Scale(0.7)])  # y = exp(0.7 x) + 0.5
    td = tfd.TransformedDistribution(tfd.Normal(-0.2, 1.3), bijector)
    density = jax.jit(td.prob)
    total, _ = scipy.integrate.quad(lambda y: float(density(y)), 0.5, np.inf, epsabs=1e-12, limit=200)
    np.testing.assert_allclose(total, 1.0, rtol=1e-7)
    # And the probability of an interval matches the base distribution's.
    mass, _ = scipy.integrate.quad(lambda y: float(density(y)), 1.0, 2.0, epsabs=1e-12)
    x = (np.log(np.array([1.0, 2.0]) - 0.5)) / 0.7
    np.testing.assert_allclose(mass, np.diff(scipy.stats.norm(-0.2, 1.3).cdf(x))[0], rtol=1e-7)


def test_chain_of_three_in_2d_by_monte_carlo():
    bijector = tfb.Chain([tfb.Shift(jnp.array([1.0, -1.0])), tfb.Exp(), tfb.Scale(jnp.array([0.5, 0.3]))])
    td = tfd.TransformedDistribution(tfd.Normal(0.0, 1.0), bijector, event_shape=[2])
    assert td.event_shape == (2,) and td.batch_shape == ()
    # Importance sampling from a wide proposal on the support (y1 > 1, y2 > -1): E_q[p/q] = 1.
    n = 400_000
    proposal = scipy.stats.gamma(1.2, scale=1.5)
    rng = np.random.default_rng(0)
    offsets = proposal.rvs(size=(n, 2), random_state=rng)
    y = offsets + np.array([1.0, -1.0])
    weights = np.exp(np.asarray(jax.jit(td.log_prob)(y)) - proposal.logpdf(offsets).sum(-1))
    standard_error = weights.std() / np.sqrt(n)
    assert abs(weights.mean() - 1.0) < 5 * standard_error
    # The probability of a box from the density agrees with the sampler's frequency.
    draws = np.asarray(td.sample(n, seed=1))
    inside = np.all((draws > [1.5, -0.5]) & (draws < [2.5, 0.5]), axis=-1)
    in_box = np.all((y > [1.5, -0.5]) & (y < [2.5, 0.5]), axis=-1)
    box_mass = np.mean(weights * in_box)
    tolerance = 5 * np.sqrt(np.var(weights * in_box) / n + box_mass * (1 - box_mass) / n)
    assert abs(inside.mean() - box_mass) < tolerance


def test_sample_and_log_prob_agree_with_log_prob():
    td = tfd.TransformedDistribution(tfd.Normal(0.0, 1.0), tfb.Chain([tfb.Exp(), tfb.Scale(2.0)]))
    y, log_prob = td.sample_and_log_prob(7, seed=3)
    np.testing.assert_allclose(log_prob, td.log_prob(y), rtol=1e-6)
    y2, _ = td.experimental_sample_and_log_prob(7, seed=3)
    np.testing.assert_allclose(y2, y)


def test_batch_from_the_bijector_gets_independent_draws():
    td = tfd.TransformedDistribution(
        tfd.Normal(jnp.zeros(2), 1.0), tfb.Scale(jnp.array([[1.0], [2.0], [3.0]]))
    )
    assert td.batch_shape == (3, 2)
    draws = td.sample(4, seed=0)
    assert draws.shape == (4, 3, 2)
    assert not np.allclose(draws[:, 0] * 2, draws[:, 1])
    assert td.log_prob(jnp.ones((4, 3, 2))).shape == (4, 3, 2)


def test_jit_vmap_grad_and_return_from_jit():
    def make(loc, scale):
        return tfd.TransformedDistribution(tfd.Normal(loc, 1.0), tfb.Chain([tfb.Exp(), tfb.Scale(scale)]))

    td = make(0.2, 1.5)
    eager = td.log_prob(X)
    np.testing.assert_allclose(jax.jit(lambda d, x: d.log_prob(x))(td, X), eager, rtol=1e-12)
    np.testing.assert_allclose(jax.jit(make)(0.2, 1.5).log_prob(X), eager, rtol=1e-12)
    batched = jax.vmap(make)(jnp.array([0.2, 0.2]), jnp.array([1.5, 1.5]))
    np.testing.assert_allclose(batched.log_prob(X[:, None]), np.stack([eager, eager], 1), rtol=1e-12)
    grads = jax.grad(lambda loc, scale: jnp.sum(make(loc, scale).log_prob(X)), argnums=(0, 1))(0.2, 1.5)
    assert all(np.isfinite(g) for g in grads)

    # Reparameterized draws: d E[Y] / d loc for Y = exp(scale X) with X ~ N(loc, 1).
    def mean_draw(loc):
        return jnp.mean(make(loc, 1.0).sample(50_000, seed=2))

    np.testing.assert_allclose(jax.grad(mean_draw)(0.2), np.exp(0.2 + 0.5), rtol=0.02)


def test_conditional_bijector_kwargs():
    from tests.bijectors.test_chain import _AddCondition

    td = tfd.TransformedDistribution(tfd.Normal(0.0, 1.0), tfb.Chain([_AddCondition("a"), tfb.Exp()]))
    y = np.array([2.5, 3.0])
    lp = td.log_prob(y, bijector_kwargs={"conditional_input": 2.0})
    np.testing.assert_allclose(lp, tfd.LogNormal(0.0, 1.0).log_prob(y - 2.0), rtol=1e-6)
    fixed = tfd.TransformedDistribution(
        tfd.Normal(0.0, 1.0),
        tfb.Chain([_AddCondition("a"), tfb.Exp()]),
        bijector_kwargs={"conditional_input": 2.0},
    )
    np.testing.assert_allclose(fixed.log_prob(y), lp, rtol=1e-6)
    assert np.all(fixed.sample(100, seed=0) > 2.0)


def test_clear_errors():
    with pytest.raises(ValueError, match="wrap the base in Independent"):
        tfd.TransformedDistribution(tfd.Normal(0.0, 1.0), _vector_bijector())
    with pytest.raises(TypeError, match="bijector must be a Bijector"):
        tfd.TransformedDistribution(tfd.Normal(0.0, 1.0), np.exp)
    with pytest.raises(NotImplementedError, match="affine"):
        tfd.TransformedDistribution(tfd.Normal(0.0, 1.0), tfb.Exp()).mean()
    with pytest.raises(ValueError, match="needs a scalar base"):
        tfd.TransformedDistribution(tfd.Normal(jnp.zeros(2), 1.0), tfb.Exp(), event_shape=[2])


def _vector_bijector():
    from probax.bijectors.bijector import Bijector

    class _Sum(Bijector):
        def __init__(self):
            super().__init__(forward_min_event_ndims=1)

    return _Sum()
