import jax
import jax.numpy as jnp
import numpy as np
import scipy.special
import scipy.stats

from probax.distributions.inflated import Inflated
from probax.distributions.log_normal import LogNormal
from probax.distributions.normal import Normal
from probax.distributions.poisson import Poisson

RATE = np.array([0.5, 3.0])
P = 0.3


def test_zero_inflated_poisson_matches_scipy():
    d = Inflated(Poisson(RATE), inflated_loc_logits=scipy.special.logit(P))
    k = np.arange(6.0)[:, None]
    out = jax.jit(lambda d, k: (d.log_prob(k), d.cdf(k), d.mean(), d.variance()))(d, k)
    pois = scipy.stats.poisson(RATE)
    np.testing.assert_allclose(out[0], np.log(P * (k == 0) + (1 - P) * pois.pmf(k)), rtol=1e-12)
    np.testing.assert_allclose(out[1], P + (1 - P) * pois.cdf(k), rtol=1e-12)
    mean = (1 - P) * RATE
    np.testing.assert_allclose(out[2], mean, rtol=1e-12)
    np.testing.assert_allclose(out[3], (1 - P) * (RATE + RATE**2) - mean**2, rtol=1e-12)
    draws = np.asarray(d.sample(20_000, seed=0))
    for b in range(2):
        values = np.arange(4.0)
        observed = [(draws[:, b] == v).sum() for v in values] + [(draws[:, b] >= 4).sum()]
        expected = np.exp(out[0][:4, b]).tolist()
        expected = 20_000 * np.array([*expected, 1 - sum(expected)])
        assert scipy.stats.chisquare(observed, expected).pvalue > 1e-3
    np.testing.assert_allclose(d[1].mean(), out[2][1])


def test_continuous_inflation_is_censored_with_finite_gradients():
    d = Inflated(Normal(1.0, 2.0), inflated_loc_probs=P)
    x = np.array([0.0, 1.5])
    np.testing.assert_allclose(d.log_prob(x), [np.log(P), np.log(1 - P) + scipy.stats.norm(1, 2).logpdf(1.5)])

    def total(scale):
        return jnp.sum(Inflated(LogNormal(0.0, scale), inflated_loc_probs=P).log_prob(jnp.array([0.0, 2.0])))

    gradient = jax.grad(total)(1.5)
    assert np.isfinite(gradient)
    np.testing.assert_allclose(gradient, (total(1.5 + 1e-6) - total(1.5 - 1e-6)) / 2e-6, rtol=1e-6)
