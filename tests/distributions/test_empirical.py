import jax
import numpy as np
import pytest
import scipy.stats

from probax.distributions.empirical import Empirical

SAMPLES = np.array([[3.0, 1.0, 1.0, 2.0, 3.0, 0.5, 3.0, 1.0], [0.0, 2.0, 2.0, 5.0, 5.0, 7.0, 2.0, 5.0]])


def first_most_frequent(row):
    _values, first, counts = np.unique(row, return_index=True, return_counts=True)
    best = counts == counts.max()
    return row[first[best].min()]


def test_matches_numpy():
    d = Empirical(SAMPLES)
    x = np.array([[1.0], [2.0], [2.5]])
    out = jax.jit(lambda d, x: (d.prob(x), d.cdf(x), d.mean(), d.variance(), d.mode(), d.entropy()))(d, x)
    np.testing.assert_allclose(out[0], np.mean(x[..., None] == SAMPLES, -1))
    np.testing.assert_allclose(out[1], np.mean(x[..., None] >= SAMPLES, -1))
    np.testing.assert_allclose(out[2], SAMPLES.mean(-1), rtol=1e-12)
    np.testing.assert_allclose(out[3], SAMPLES.var(-1), rtol=1e-12)
    # Ties (3.0 and 1.0 both thrice; 2.0 and 5.0) go to the value seen first, as in TFP.
    np.testing.assert_array_equal(out[4], [first_most_frequent(r) for r in SAMPLES])
    entropy = [scipy.stats.entropy(np.unique(r, return_counts=True)[1]) for r in SAMPLES]
    np.testing.assert_allclose(out[5], entropy, rtol=1e-12)


def test_quantile_is_the_inverse_cdf():
    d = Empirical(SAMPLES)
    p = np.array([0.0, 0.1, 0.125, 0.3, 0.375, 0.5, 0.9, 1.0])
    expected = np.quantile(SAMPLES, p, axis=-1, method="inverted_cdf")
    np.testing.assert_array_equal(d.quantile(p[:, None]), expected)


def test_vector_events_integers_sampling_and_slicing():
    vectors = np.array([[0, 0], [0, 1], [0, 1], [1, 2]])
    d = Empirical(vectors, event_ndims=1)
    assert (d.batch_shape, d.event_shape, d.dtype) == ((), (2,), vectors.dtype)
    np.testing.assert_allclose(d.prob(np.array([[0, 1], [1, 2]])), [0.5, 0.25])
    np.testing.assert_allclose(d.cdf(np.array([0, 1])), 0.75)
    np.testing.assert_array_equal(d.mode(), [0, 1])
    batched = Empirical(SAMPLES)
    draws = np.asarray(batched.sample(4000, seed=0))
    assert draws.shape == (4000, 2)
    for b in range(2):
        values, counts = np.unique(SAMPLES[b], return_counts=True)
        observed = [(draws[:, b] == v).sum() for v in values]
        assert scipy.stats.chisquare(observed, 4000 * counts / counts.sum()).pvalue > 1e-3
    # Members are drawn independently of each other.
    assert abs(np.corrcoef(draws[:, 0], draws[:, 1])[0, 1]) < 5 / np.sqrt(4000)
    np.testing.assert_allclose(batched[1].mean(), SAMPLES[1].mean())
    with pytest.raises(ValueError, match="event_ndims"):
        Empirical(np.zeros(3), event_ndims=1)
