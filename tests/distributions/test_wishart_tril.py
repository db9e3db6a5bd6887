import jax
import jax.numpy as jnp
import numpy as np
import pytest
import scipy.stats

from probax.distributions.wishart_tril import WishartTriL

SCALE_TRIL = np.array([
    [[2.0, 0, 0], [0.5, 1, 0], [-0.3, 0.2, 0.7]],
    [[1.0, 0, 0], [-0.8, 0.6, 0], [0.1, 0.4, 1.5]],
])
DF = np.array([3.5, 7.0])


def _references():
    return [scipy.stats.wishart(df, s @ s.T) for df, s in zip(DF, SCALE_TRIL, strict=True)]


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_matches_scipy(dtype):
    dist = WishartTriL(DF.astype(dtype), SCALE_TRIL.astype(dtype))
    assert dist.batch_shape == (2,) and dist.event_shape == (3, 3)
    refs = _references()
    x = np.stack([r.rvs(4, random_state=i) for i, r in enumerate(refs)], 1)  # (4, 2, 3, 3)
    rtol = 1e-10 if dtype == np.float64 else 2e-5
    expected = np.stack([r.logpdf(np.moveaxis(x[:, j], 0, -1)) for j, r in enumerate(refs)], 1)
    actual = jax.jit(lambda d, v: d.log_prob(v))(dist, x.astype(dtype))
    assert actual.dtype == dtype
    np.testing.assert_allclose(actual, expected, rtol=rtol)
    for method in ("mean", "var", "entropy"):
        expected = np.stack([np.asarray(getattr(r, method)(), np.float64) for r in refs])
        actual = getattr(dist, "variance" if method == "var" else method)()
        np.testing.assert_allclose(actual, expected, rtol=rtol, err_msg=method)
    # The mode exists for df >= d + 1 (the second member); below that it is NaN, as in TFP.
    np.testing.assert_allclose(dist.mode()[1], refs[1].mode(), rtol=rtol)
    assert np.isnan(np.asarray(dist.mode()[0])).all()


def test_cholesky_input_output_and_bijector():
    dist = WishartTriL(DF, SCALE_TRIL, input_output_cholesky=True)
    matrix = WishartTriL(DF, SCALE_TRIL)
    L = np.asarray(dist.sample(5, seed=1))
    np.testing.assert_array_equal(np.triu(L, 1), 0.0)
    X = L @ np.swapaxes(L, -1, -2)
    np.testing.assert_allclose(dist.log_prob(L), matrix.log_prob(X), rtol=1e-10)
    np.testing.assert_allclose(dist.mean(), np.sqrt(DF)[:, None, None] * SCALE_TRIL, rtol=1e-12)
    for d in (dist, matrix):
        bijector = d.experimental_default_event_space_bijector()
        y = bijector.forward(jax.random.normal(jax.random.key(2), (4, 2, 6)))
        assert np.all(np.isfinite(d.log_prob(y)))


def test_bartlett_samples_match_the_law():
    dist = WishartTriL(DF, SCALE_TRIL)
    n = 20_000
    x = np.asarray(jax.jit(lambda k: dist.sample(n, seed=k))(jax.random.key(3)))
    assert x.shape == (n, 2, 3, 3)
    np.testing.assert_array_equal(x, np.swapaxes(x, -1, -2))
    # a^T X a / a^T scale a ~ chi-square(df) for any fixed a.
    a = np.array([0.3, -1.0, 0.5])
    for j, s in enumerate(SCALE_TRIL):
        statistic = np.einsum("i,nij,j->n", a, x[:, j], a) / (a @ s @ s.T @ a)
        assert scipy.stats.kstest(statistic, scipy.stats.chi2(DF[j]).cdf).pvalue > 1e-3
    standard_error = np.sqrt(np.asarray(dist.variance()) / n)
    assert np.all(np.abs(x.mean(0) - np.asarray(dist.mean())) < 5 * standard_error)


def test_reparameterized_sample_gradient():
    # d E[X] / d df = scale: the average gradient of the draws within Monte Carlo error.
    s = SCALE_TRIL[1]

    def mean_entry(df):
        return jnp.mean(WishartTriL(df, s).sample(4000, seed=jax.random.key(5))[:, 2, 2])

    gradient = jax.jit(jax.grad(mean_entry))(7.0)
    scale = s @ s.T
    # The gradient of each draw is X_22 / df-like, with standard deviation about sqrt(2 / df) scale_22.
    assert abs(gradient - scale[2, 2]) < 5 * np.sqrt(2 / 7.0) * scale[2, 2] / np.sqrt(4000)


def test_validation_and_gradients():
    with pytest.raises(ValueError, match="df"):
        WishartTriL(1.5, SCALE_TRIL[0], validate_args=True)
    with pytest.raises(ValueError, match="square"):
        WishartTriL(4.0, np.ones((3, 2)))
    with pytest.raises(ValueError, match="support"):
        WishartTriL(4.0, SCALE_TRIL[0], validate_args=True).log_prob(-np.eye(3))
    x = np.asarray(WishartTriL(DF, SCALE_TRIL).sample(seed=0))
    grad = jax.grad(lambda df: jnp.sum(WishartTriL(df, SCALE_TRIL).log_prob(x)))(DF)
    step = 1e-6
    def logpdf(df, j):
        return scipy.stats.wishart(df, SCALE_TRIL[j] @ SCALE_TRIL[j].T).logpdf(x[j])

    numeric = np.array([(logpdf(DF[j] + step, j) - logpdf(DF[j] - step, j)) / (2 * step) for j in range(2)])
    np.testing.assert_allclose(grad, numeric, rtol=1e-6)
    batched = jax.vmap(lambda df: WishartTriL(df, SCALE_TRIL))(np.stack([DF, DF]))
    assert batched.batch_shape == (2, 2)
    assert WishartTriL(DF, SCALE_TRIL)[1].batch_shape == ()
