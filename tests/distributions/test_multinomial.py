import jax
import numpy as np
import pytest
import scipy.special
import scipy.stats

from probax.distributions.multinomial import Multinomial
from tests.distributions.multivariate_checks import check_transforms, monte_carlo_tolerance
from tests.distributions.oracle import ATOL, RTOL

TOTAL_COUNT = np.array([7.0, 30.0])
PROBS = np.array([[0.2, 0.5, 0.3, 0.0], [0.05, 0.15, 0.6, 0.2]])
LOGITS = np.array([[0.3, -1.2, 2.0, 0.1], [-3.0, 0.0, 1.0, 0.5]])
COUNTS = np.array(
    [[[2.0, 3.0, 2.0, 0.0], [1.0, 10.0, 14.0, 5.0]], [[0.0, 7.0, 0.0, 0.0], [30.0, 0.0, 0.0, 0.0]]]
)


@jax.jit
def _methods(total_count, logits, probs, counts):
    results = {}
    for name, d in (
        ("logits", Multinomial(total_count, logits=logits)),
        ("probs", Multinomial(total_count, probs=probs)),
    ):
        results[name] = {
            "log_prob": d.log_prob(counts),
            "mean": d.mean(),
            "variance": d.variance(),
            "covariance": d.covariance(),
        }
    return results


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_against_scipy(dtype):
    actual = _methods(*(a.astype(dtype) for a in (TOTAL_COUNT, LOGITS, PROBS, COUNTS)))
    for name, probs in (("logits", scipy.special.softmax(LOGITS, -1)), ("probs", PROBS)):
        frozen = scipy.stats.multinomial(TOTAL_COUNT, probs)
        expected = {
            "log_prob": frozen.logpmf(COUNTS),
            "mean": frozen.mean(),
            "covariance": frozen.cov(),
            "variance": np.diagonal(frozen.cov(), axis1=-2, axis2=-1),
        }
        for method, value in actual[name].items():
            assert value.dtype == dtype
            np.testing.assert_allclose(
                value, expected[method], rtol=RTOL[dtype], atol=ATOL[dtype], err_msg=f"{name}.{method}"
            )


def test_support_and_validation():
    d = Multinomial(7.0, probs=PROBS[0])
    values = np.array(
        [
            [2.0, 3.0, 1.0, 0.0],
            [8.0, -1.0, 0.0, 0.0],
            [2.5, 2.5, 2.0, 0.0],
            [2.0, 3.0, 1.0, 1.0],
            [np.nan, 3.0, 2.0, 0.0],
        ]
    )
    log_prob = np.asarray(jax.jit(lambda d, x: d.log_prob(x))(d, values))
    # Wrong total, a negative count, fractional counts, a count in a class of probability 0; NaN stays NaN.
    assert np.all(np.isneginf(log_prob[:4])) and np.isnan(log_prob[4])
    with pytest.raises(ValueError, match="total_count"):
        Multinomial(-1.5, probs=PROBS[0], validate_args=True)
    with pytest.raises(ValueError, match="probs"):
        Multinomial(3.0, probs=[0.5, 0.6], validate_args=True)
    with pytest.raises(ValueError, match="logits"):
        Multinomial(3.0)
    with pytest.raises(NotImplementedError, match="discrete"):
        d.experimental_default_event_space_bijector()
    for method in ("entropy", "mode"):
        with pytest.raises(NotImplementedError, match="Multinomial"):
            getattr(d, method)()


def test_sampling_moments():
    num_draws = 20_000
    d = Multinomial(TOTAL_COUNT, probs=PROBS)
    x = np.asarray(jax.jit(lambda d: d.sample(num_draws, seed=jax.random.key(3)))(d))
    assert x.shape == (num_draws, 2, 4)
    np.testing.assert_array_equal(x.sum(-1), np.broadcast_to(TOTAL_COUNT, (num_draws, 2)))
    assert np.all(x == np.round(x)) and np.all(x[..., 0, 3] == 0)  # the class of probability 0 stays empty
    mean = np.asarray(d.mean())
    assert np.all(np.abs(x.mean(0) - mean) <= monte_carlo_tolerance(x))
    products = x[..., :, None] * x[..., None, :]
    second = np.asarray(d.covariance()) + mean[..., :, None] * mean[..., None, :]
    assert np.all(np.abs(products.mean(0) - second) <= monte_carlo_tolerance(products))


def test_large_total_count():
    # The binomial chain costs nothing per trial, and log_prob stays finite for huge counts.
    d = Multinomial(np.float32(1e9), logits=np.float32([0.0, 1.0, -1.0]))
    x, log_prob = jax.jit(lambda d, v: (d.sample(3, seed=0), d.log_prob(v)))(d, np.float32([3e8, 5e8, 2e8]))
    assert x.dtype == np.float32 and np.all(x.sum(-1) == 1e9)
    expected = scipy.stats.multinomial(10**9, scipy.special.softmax([0.0, 1.0, -1.0])).logpmf([3e8, 5e8, 2e8])
    # float32 holds these counts exactly; the log-pmf (about -7.8e7) sums terms of up to ~6e8 in size,
    # each good to a few float32 ulps, so some 1e-5 relative error is expected.
    np.testing.assert_allclose(log_prob, expected, rtol=1e-5)


def test_shapes_and_slicing():
    d = Multinomial(TOTAL_COUNT[:, None], logits=np.zeros((2, 3, 4)))
    assert d.batch_shape == (2, 3) and d.event_shape == (4,)
    assert jax.eval_shape(lambda: d.sample(5, seed=0)).shape == (5, 2, 3, 4)
    assert d[1].batch_shape == (3,)
    np.testing.assert_allclose(d[1].total_count, 30.0)
    np.testing.assert_allclose(d.probs_parameter(), 0.25)
    np.testing.assert_allclose(
        Multinomial(2.0, probs=PROBS[1]).logits_parameter(), np.log(PROBS[1]), rtol=1e-12
    )


def test_jit_vmap_grad():
    params = {"total_count": TOTAL_COUNT, "logits": LOGITS}

    def make(total_count, logits):
        return Multinomial(total_count, logits=logits)

    check_transforms(make, params, COUNTS[0], differentiable=["logits"])
    # Zero counts in a class of probability 0 keep the gradient finite.
    gradient = jax.jit(jax.grad(lambda p: Multinomial(7.0, probs=p).log_prob(COUNTS[0, 0])))(PROBS[0])
    assert np.all(np.isfinite(gradient))
