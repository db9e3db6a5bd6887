import jax
import numpy as np
import pytest
import scipy.stats

from probax.distributions.categorical import Categorical
from probax.distributions.gumbel import Gumbel
from probax.distributions.laplace import Laplace
from probax.distributions.mixture import Mixture
from probax.distributions.normal import Normal

WEIGHTS = np.array([0.2, 0.5, 0.3])
LOC = np.array([-1.0, 2.0])  # batch of 2


def make(dtype=np.float64):
    loc = LOC.astype(dtype)
    return Mixture(
        Categorical(probs=WEIGHTS.astype(dtype)),
        [Normal(loc, dtype(1.0)), Laplace(loc + 1, dtype(0.5)), Gumbel(loc - 1, dtype(2.0))],
    )


def scipy_components():
    return [scipy.stats.norm(LOC, 1.0), scipy.stats.laplace(LOC + 1, 0.5), scipy.stats.gumbel_r(LOC - 1, 2.0)]


@pytest.mark.parametrize("dtype", [np.float32, np.float64], ids=["float32", "float64"])
def test_methods_match_direct_sums_over_components(dtype):
    x = np.array([[-2.0, 0.0], [0.5, 1.5], [3.0, 6.0]])
    out = jax.jit(
        lambda d, x: (
            d.log_prob(x),
            d.cdf(x),
            d.log_survival_function(x),
            d.mean(),
            d.variance(),
            d.entropy_lower_bound(),
        )
    )(make(dtype), x.astype(dtype))
    comps = scipy_components()
    mean = sum(w * c.mean() for w, c in zip(WEIGHTS, comps, strict=True))
    expected = (
        np.log(sum(w * c.pdf(x) for w, c in zip(WEIGHTS, comps, strict=True))),
        sum(w * c.cdf(x) for w, c in zip(WEIGHTS, comps, strict=True)),
        np.log(sum(w * c.sf(x) for w, c in zip(WEIGHTS, comps, strict=True))),
        mean,
        sum(w * (c.var() + c.mean() ** 2) for w, c in zip(WEIGHTS, comps, strict=True)) - mean**2,
        sum(w * c.entropy() for w, c in zip(WEIGHTS, comps, strict=True)),
    )
    rtol = 2e-5 if dtype == np.float32 else 1e-10
    for actual, wanted in zip(out, expected, strict=True):
        assert actual.dtype == dtype
        np.testing.assert_allclose(actual, wanted, rtol=rtol)


def test_sampling_quantile_and_slicing():
    d = make()
    draws = np.asarray(jax.jit(lambda d: d.sample(20_000, seed=3))(d))
    assert draws.shape == (20_000, 2)
    comps = scipy_components()
    for b in range(2):

        def cdf(x, b=b):
            return sum(w * c.cdf(x[:, None])[:, b] for w, c in zip(WEIGHTS, comps, strict=True))

        assert scipy.stats.kstest(draws[:, b], cdf).pvalue > 1e-3
    p = np.array([1e-6, 0.3, 0.99])
    np.testing.assert_allclose(d.cdf(d.quantile(p[:, None])), np.broadcast_to(p[:, None], (3, 2)), rtol=1e-9)
    np.testing.assert_allclose(d[1].mean(), d.mean()[1], rtol=1e-12)
    assert jax.jit(lambda d: d)(d).batch_shape == (2,)


def test_errors():
    with pytest.raises(ValueError, match="batch_shape"):
        Mixture(Categorical(probs=[0.5, 0.5]), [Normal(0.0, 1.0), Normal(np.zeros(2), 1.0)])
    with pytest.raises(ValueError, match="3 classes"):
        Mixture(Categorical(probs=WEIGHTS), [Normal(0.0, 1.0), Normal(1.0, 1.0)])
