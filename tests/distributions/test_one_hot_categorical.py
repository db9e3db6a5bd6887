import jax
import numpy as np
import pytest
import scipy.special
import scipy.stats

from probax.distributions.categorical import Categorical
from probax.distributions.kl import kl_divergence
from probax.distributions.one_hot_categorical import OneHotCategorical
from tests.distributions.multivariate_checks import check_transforms
from tests.distributions.oracle import ATOL, RTOL

PROBS = np.array([[0.2, 0.5, 0.3, 0.0], [0.05, 0.15, 0.6, 0.2]])
LOGITS = np.array([[0.3, -1.2, 2.0, 0.1], [-3.0, 0.0, 1.0, 0.5]])
ONE_HOT = np.eye(4)[:, None, :]  # every class, against both members: (4, 1, 4)


@jax.jit
def _methods(logits, probs, values):
    results = {}
    for name, d in (("logits", OneHotCategorical(logits=logits)), ("probs", OneHotCategorical(probs=probs))):
        results[name] = {
            "log_prob": d.log_prob(values),
            "mean": d.mean(),
            "variance": d.variance(),
            "covariance": d.covariance(),
            "entropy": d.entropy(),
            "mode": d.mode(),
        }
    return results


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_against_scipy(dtype):
    actual = _methods(LOGITS.astype(dtype), PROBS.astype(dtype), ONE_HOT.astype(dtype))
    for name, probs in (("logits", scipy.special.softmax(LOGITS, -1)), ("probs", PROBS)):
        frozen = scipy.stats.multinomial(1, probs)
        expected = {
            "log_prob": frozen.logpmf(ONE_HOT),
            "mean": frozen.mean(),
            "covariance": frozen.cov(),
            "variance": np.diagonal(frozen.cov(), axis1=-2, axis2=-1),
            "entropy": frozen.entropy(),
            "mode": np.eye(4)[np.argmax(probs, -1)],
        }
        for method, value in actual[name].items():
            assert value.dtype == (np.int32 if method == "mode" else dtype), method
            np.testing.assert_allclose(
                value, expected[method], rtol=RTOL[dtype], atol=ATOL[dtype], err_msg=f"{name}.{method}"
            )


def test_support_and_validation():
    d = OneHotCategorical(probs=PROBS[0])
    values = np.array([[1, 1, 0, 0], [0, 0, 0, 0], [0.5, 0.5, 0, 0], [0, 0, 2, -1], [np.nan, 0, 0, 0]])
    log_prob = np.asarray(jax.jit(lambda d, x: d.log_prob(x))(d, values))
    assert np.all(np.isneginf(log_prob[:4])) and np.isnan(log_prob[4])
    # Integer one-hot vectors are accepted as they are.
    np.testing.assert_allclose(d.log_prob(np.array([0, 1, 0, 0], np.int32)), np.log(0.5), rtol=1e-12)
    with pytest.raises(ValueError, match="probs"):
        OneHotCategorical(probs=[0.5, 0.6], validate_args=True)
    with pytest.raises(ValueError, match="support"):
        OneHotCategorical(probs=PROBS[0], validate_args=True).log_prob(values[0])
    with pytest.raises(NotImplementedError, match="discrete"):
        d.experimental_default_event_space_bijector()


def test_sampling_frequencies():
    num_draws = 20_000
    d = OneHotCategorical(logits=LOGITS)
    x = np.asarray(jax.jit(lambda d: d.sample(num_draws, seed=jax.random.key(4)))(d))
    assert x.shape == (num_draws, 2, 4) and x.dtype == np.int32
    assert np.all(x.sum(-1) == 1) and np.all((x == 0) | (x == 1))
    expected = num_draws * scipy.special.softmax(LOGITS, -1)
    for member in range(2):
        statistic = np.sum((x[:, member].sum(0) - expected[member]) ** 2 / expected[member])
        assert scipy.stats.chi2.sf(statistic, 3) > 1e-3
    assert (
        jax.eval_shape(lambda: OneHotCategorical(logits=LOGITS, dtype=np.int64).sample(seed=0)).dtype
        == np.int64
    )


def test_kl_matches_categorical_and_exact_sum():
    q_logits = np.array([1.0, 0.0, -0.5, 0.2])

    @jax.jit
    def kls(p_logits, p_probs, q_logits):
        return (
            kl_divergence(OneHotCategorical(logits=p_logits), OneHotCategorical(logits=q_logits)),
            kl_divergence(Categorical(logits=p_logits), Categorical(logits=q_logits)),
            kl_divergence(OneHotCategorical(probs=p_probs), OneHotCategorical(logits=q_logits)),
        )

    one_hot, categorical, from_probs = kls(LOGITS, PROBS, q_logits)
    q_probs = scipy.special.softmax(q_logits)
    np.testing.assert_allclose(one_hot, categorical, rtol=1e-15)
    np.testing.assert_allclose(
        one_hot, scipy.special.rel_entr(scipy.special.softmax(LOGITS, -1), q_probs).sum(-1), rtol=1e-12
    )
    # A class of probability 0 under p contributes nothing.
    np.testing.assert_allclose(from_probs, scipy.special.rel_entr(PROBS, q_probs).sum(-1), rtol=1e-12)


def test_shapes_and_slicing():
    d = OneHotCategorical(logits=np.zeros((2, 3, 5)))
    assert d.batch_shape == (2, 3) and d.event_shape == (5,) and d.dtype == np.int32
    assert jax.eval_shape(lambda: d.sample(4, seed=0)).shape == (4, 2, 3, 5)
    assert d[0, 1:].batch_shape == (2,)
    np.testing.assert_allclose(
        OneHotCategorical(probs=PROBS[1]).logits_parameter(), np.log(PROBS[1]), rtol=1e-12
    )


def test_jit_vmap_grad():
    check_transforms(
        lambda logits: OneHotCategorical(logits=logits),
        {"logits": LOGITS},
        np.eye(4)[[2, 0]],
        differentiable=["logits"],
    )
