import jax
import jax.numpy as jnp
import numpy as np
import pytest
import scipy.special
import scipy.stats

from probax import bijectors as tfb
from probax.distributions.relaxed_one_hot_categorical import (
    ExpRelaxedOneHotCategorical,
    RelaxedOneHotCategorical,
)
from tests.distributions.multivariate_checks import check_transforms, monte_carlo_tolerance
from tests.distributions.oracle import ATOL, RTOL

TEMPERATURE = np.array([0.7, 2.0])
LOGITS = np.array([[0.3, -1.2, 2.0], [-0.5, 0.0, 1.0]])
RNG = np.random.default_rng(8)
# Points on the simplex away from its faces: (points, members, K).
POINTS = scipy.special.softmax(RNG.normal(size=(4, 2, 3)), axis=-1)


def _concrete_log_pdf(x, temperature, probs):
    """Maddison et al. (2017), eq. (2): (K-1)! t^(K-1) prod_k (p_k x_k^(-t-1)) / (sum_k p_k x_k^(-t))^K."""
    k = x.shape[-1]
    t = temperature[..., None]
    log_numerator = np.sum(np.log(probs) + (-t - 1) * np.log(x), axis=-1)
    log_denominator = k * np.log(np.sum(probs * x ** (-t), axis=-1))
    return scipy.special.gammaln(k) + (k - 1) * np.log(temperature) + log_numerator - log_denominator


@jax.jit
def _log_probs(temperature, logits, probs, x):
    return {
        "logits": RelaxedOneHotCategorical(temperature, logits=logits).log_prob(x),
        "probs": RelaxedOneHotCategorical(temperature, probs=probs).log_prob(x),
        "exp_relaxed": ExpRelaxedOneHotCategorical(temperature, logits=logits).log_prob(jnp.log(x)),
    }


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_against_concrete_formula(dtype):
    probs = scipy.special.softmax(LOGITS, -1)
    actual = _log_probs(*(a.astype(dtype) for a in (TEMPERATURE, LOGITS, probs, POINTS)))
    expected = _concrete_log_pdf(POINTS, TEMPERATURE, probs)
    # TFP's (and the paper's) log-space density is the simplex density times prod_k x_k.
    expected_log_space = expected + np.log(POINTS).sum(-1)
    for name, value in actual.items():
        assert value.dtype == dtype
        reference = expected_log_space if name == "exp_relaxed" else expected
        np.testing.assert_allclose(value, reference, rtol=RTOL[dtype], atol=ATOL[dtype], err_msg=name)


def _simplex_grid(half_width, num):
    """The images on the 3-simplex of a square grid of points of R^2, and the cell area."""
    z = np.linspace(-half_width, half_width, num)
    grid = np.stack(np.meshgrid(z, z, indexing="ij"), -1).reshape(-1, 2)
    return np.asarray(tfb.SoftmaxCentered().forward(grid)), (z[1] - z[0]) ** 2


def test_density_integrates_to_one_and_matches_sample_mean():
    # Through x = softmax([z, 0]): dx_1 dx_2 = x_1 x_2 x_3 dz. The integrand decays like exp(-t |z|),
    # below 1e-20 at the grid's edge for t = 0.7; the trapezoid rule on such smooth integrands
    # converges geometrically in the spacing.
    t = np.float64(0.7)
    x, cell = _simplex_grid(70.0, 1401)
    d = RelaxedOneHotCategorical(t, logits=LOGITS[0])

    @jax.jit
    def integrals(d, x):
        weight = jnp.exp(d.log_prob(x)) * jnp.prod(x, axis=-1)
        return jnp.sum(weight) * cell, jnp.sum(weight[:, None] * x, axis=0) * cell

    total, mean = (np.asarray(v) for v in integrals(d, x))
    np.testing.assert_allclose(total, 1.0, rtol=1e-9)
    draws = np.asarray(jax.jit(lambda d: d.sample(20_000, seed=jax.random.key(9)))(d))
    np.testing.assert_allclose(draws.sum(-1), 1.0, atol=1e-12)
    assert np.all(np.abs(draws.mean(0) - mean) < monte_carlo_tolerance(draws))


def test_two_classes_reduce_to_logistic_and_gradients():
    # K = 2: logit(X_1) = (l_1 - l_0 + G_1 - G_0) / t, with G_1 - G_0 ~ Logistic(0, 1).
    key = jax.random.key(10)

    def draws(logits):
        return ExpRelaxedOneHotCategorical(TEMPERATURE, logits=logits).sample(20_000, seed=key)

    logits = np.array([[0.0, 1.3], [0.4, -2.0]])
    y, jacobian = jax.jit(lambda p: (draws(p), jax.jacfwd(draws)(p)))(logits)
    y, jacobian = np.asarray(y), np.asarray(jacobian)
    np.testing.assert_allclose(scipy.special.logsumexp(y, axis=-1), 0.0, atol=1e-12)
    assert np.all(np.isfinite(jacobian))
    for member in range(2):
        difference = logits[member, 1] - logits[member, 0]
        logistic = scipy.stats.logistic(difference / TEMPERATURE[member], 1 / TEMPERATURE[member])
        assert scipy.stats.kstest(y[:, member, 1] - y[:, member, 0], logistic.cdf).pvalue > 1e-3
    # Pathwise: y_1 - y_0 moves one for one with l_1 - l_0, scaled by 1 / t.
    slope = jacobian[:, np.arange(2), 1, np.arange(2), 1] - jacobian[:, np.arange(2), 0, np.arange(2), 1]
    np.testing.assert_allclose(slope, np.broadcast_to(1 / TEMPERATURE, slope.shape), rtol=1e-12)


def test_support_validation_and_event_space():
    d = RelaxedOneHotCategorical(TEMPERATURE, logits=LOGITS)
    exp_d = ExpRelaxedOneHotCategorical(TEMPERATURE, logits=LOGITS)
    assert d.batch_shape == (2,) and d.event_shape == (3,) and d[1:].batch_shape == (1,)
    assert jax.eval_shape(lambda: d.sample(5, seed=0)).shape == (5, 2, 3)
    unconstrained = RNG.normal(size=(2, 2))
    d_bijector = d.experimental_default_event_space_bijector()
    exp_bijector = exp_d.experimental_default_event_space_bijector()
    assert isinstance(d_bijector, tfb.SoftmaxCentered)

    @jax.jit
    def log_probs(d, exp_d, outside, unconstrained):
        return (
            d.log_prob(outside),
            exp_d.log_prob(jnp.log(outside)),
            d.log_prob(d_bijector.forward(unconstrained)),
            exp_d.log_prob(exp_bijector.forward(unconstrained)),
        )

    outside = np.array([[0.5, 0.6, 0.1], [0.2, 0.2, 0.2]])
    off_simplex, off_log_simplex, on_simplex, on_log_simplex = log_probs(d, exp_d, outside, unconstrained)
    assert np.all(np.isneginf(off_simplex)) and np.all(np.isneginf(off_log_simplex))
    assert np.all(np.isfinite(on_simplex)) and np.all(np.isfinite(on_log_simplex))
    with pytest.raises(ValueError, match="temperature"):
        RelaxedOneHotCategorical(0.0, logits=LOGITS, validate_args=True)
    with pytest.raises(ValueError, match="probs"):
        ExpRelaxedOneHotCategorical(1.0, probs=[0.5, 0.6], validate_args=True)
    with pytest.raises(ValueError, match="logits"):
        RelaxedOneHotCategorical(1.0)


def test_jit_vmap_grad():
    params = {"temperature": TEMPERATURE, "logits": LOGITS}
    check_transforms(RelaxedOneHotCategorical, params, POINTS[0], differentiable=["temperature", "logits"])
