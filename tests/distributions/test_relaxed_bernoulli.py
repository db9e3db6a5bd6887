import jax
import numpy as np
import pytest
import scipy.integrate
import scipy.special
import scipy.stats

from probax import bijectors as tfb
from probax.distributions.relaxed_bernoulli import RelaxedBernoulli
from tests.distributions.multivariate_checks import check_transforms
from tests.distributions.oracle import ATOL, RTOL

TEMPERATURE = np.array([0.6, 1.0, 2.5])
LOGITS = np.array([0.4, -1.5, 2.0])
VALUES = np.array([[0.01, 0.3, 0.5], [0.5, 0.9, 0.999], [0.2, 0.02, 0.7]])  # (points, members)
PROBABILITIES = np.array([1e-4, 0.3, 0.9])


def _concrete_log_pdf(y, temperature, logits):
    """Maddison et al. (2017), eq. for the binary Concrete density, as printed."""
    alpha = np.exp(logits)
    numerator = temperature * alpha * y ** (-temperature - 1) * (1 - y) ** (-temperature - 1)
    return np.log(numerator / (alpha * y ** (-temperature) + (1 - y) ** (-temperature)) ** 2)


def _logistic_of_logit(temperature, logits):
    """logit(Y) is Logistic(logits / t, 1 / t)."""
    return scipy.stats.logistic(logits / temperature, 1 / temperature)


@jax.jit
def _methods(temperature, logits, values, probabilities):
    d = RelaxedBernoulli(temperature, logits=logits)
    return {
        "log_prob": d.log_prob(values),
        "cdf": d.cdf(values),
        "log_cdf": d.log_cdf(values),
        "survival_function": d.survival_function(values),
        "log_survival_function": d.log_survival_function(values),
        "quantile": d.quantile(probabilities),
    }


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_against_concrete_formula_and_logistic(dtype):
    actual = _methods(*(a.astype(dtype) for a in (TEMPERATURE, LOGITS, VALUES, PROBABILITIES[:, None])))
    logistic = _logistic_of_logit(TEMPERATURE, LOGITS)
    z = scipy.special.logit(VALUES)
    expected = {
        "log_prob": _concrete_log_pdf(VALUES, TEMPERATURE, LOGITS),
        "cdf": logistic.cdf(z),
        "log_cdf": logistic.logcdf(z),
        "survival_function": logistic.sf(z),
        "log_survival_function": logistic.logsf(z),
        "quantile": scipy.special.expit(logistic.ppf(PROBABILITIES[:, None])),
    }
    for method, value in actual.items():
        assert value.dtype == dtype
        np.testing.assert_allclose(
            value, expected[method], rtol=RTOL[dtype], atol=ATOL[dtype], err_msg=method
        )


def test_density_integrates_to_one():
    prob = jax.jit(lambda t, logits, y: RelaxedBernoulli(t, logits=logits).prob(y))
    for t, logits in zip(TEMPERATURE, LOGITS, strict=True):
        # t < 1 has an integrable y**(t - 1) singularity at an end: quad's extrapolation handles it.
        total, error = scipy.integrate.quad(
            lambda y, t=t, logits=logits: float(prob(t, logits, y)), 0, 1, limit=200
        )
        assert abs(total - 1) < max(10 * error, 1e-9)


def test_endpoints_take_the_limits():
    t = np.array([0.5, 1.0, 2.0])
    d = RelaxedBernoulli(t, logits=np.full(3, 0.7))

    @jax.jit
    def log_probs_and_gradient(d, y):
        def total(t):
            return RelaxedBernoulli(t, logits=0.7).log_prob(y[:, 0]).sum()

        return d.log_prob(y), jax.grad(total)(1.0)

    y = np.array([[0.0], [1.0], [-0.1], [1.5], [0.3]])
    log_prob, gradient = log_probs_and_gradient(d, y)
    log_prob = np.asarray(log_prob)
    # Near 0 the density is t exp(-logits) y**(t - 1): infinite, t exp(-logits), or 0 (mirrored at 1).
    np.testing.assert_allclose(log_prob[:2, 1], [-0.7, 0.7], rtol=1e-12)
    assert np.all(np.isposinf(log_prob[:2, 0])) and np.all(np.isneginf(log_prob[:2, 2]))
    assert np.all(np.isneginf(log_prob[2:4]))
    assert np.isfinite(gradient)


def test_sampling_and_reparameterization():
    key = jax.random.key(6)

    def draws(params):
        return RelaxedBernoulli(params[0], logits=params[1]).sample(20_000, seed=key)

    params = np.stack([TEMPERATURE, LOGITS])
    x, jacobian = jax.jit(lambda p: (draws(p), jax.jacfwd(draws)(p)))(params)
    x, jacobian = np.asarray(x), np.asarray(jacobian)
    for member in range(3):
        logit_member = _logistic_of_logit(TEMPERATURE[member], LOGITS[member])
        assert scipy.stats.kstest(scipy.special.logit(x[:, member]), logit_member.cdf).pvalue > 1e-3
    # Implicit reparameterization: dx/dθ = -(dF/dθ)(x) / p(x), by central differences of scipy's cdf.
    sample = x[:200]
    density = np.exp(_concrete_log_pdf(sample, TEMPERATURE, LOGITS))
    for row in range(2):
        step = np.zeros_like(params)
        step[row] = 1e-6
        up, down = (_logistic_of_logit(*(params + s)).cdf(scipy.special.logit(sample)) for s in (step, -step))
        expected = -(up - down) / 2e-6 / density
        actual = jacobian[:200, np.arange(3), row, np.arange(3)]
        np.testing.assert_allclose(actual, expected, rtol=1e-4, atol=1e-9)


def test_parameters_validation_and_event_space():
    probs = scipy.special.expit(LOGITS)
    by_probs = RelaxedBernoulli(TEMPERATURE, probs=probs)
    np.testing.assert_allclose(
        by_probs.log_prob(VALUES), RelaxedBernoulli(TEMPERATURE, logits=LOGITS).log_prob(VALUES), rtol=1e-12
    )
    assert by_probs[1:].batch_shape == (2,)
    assert jax.eval_shape(lambda: by_probs.sample((4, 2), seed=0)).shape == (4, 2, 3)
    with pytest.raises(ValueError, match="temperature"):
        RelaxedBernoulli(-1.0, logits=0.0, validate_args=True)
    with pytest.raises(ValueError, match="probs"):
        RelaxedBernoulli(1.0, probs=1.5, validate_args=True)
    assert isinstance(by_probs.experimental_default_event_space_bijector(), tfb.Sigmoid)


def test_jit_vmap_grad():
    check_transforms(
        lambda temperature, logits: RelaxedBernoulli(temperature, logits=logits),
        {"temperature": TEMPERATURE, "logits": LOGITS},
        VALUES[0],
        differentiable=["temperature", "logits"],
    )
