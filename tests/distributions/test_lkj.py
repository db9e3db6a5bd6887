import jax
import jax.numpy as jnp
import numpy as np
import pytest
import scipy.special
import scipy.stats

from probax.bijectors import Chain, CholeskyOuterProduct, CorrelationCholesky
from probax.distributions.lkj import LKJ


def _correlation_2x2(r):
    r = np.asarray(r)
    return np.stack([np.stack([np.ones_like(r), r], -1), np.stack([r, np.ones_like(r)], -1)], -2)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_dimension_two_is_a_scaled_beta(dtype):
    # For d = 2 the correlation r is 2 Beta(eta, eta) - 1: density (1 - r^2)^(eta - 1) / B(1/2, eta).
    eta = np.array([0.4, 1.0, 2.5, 30.0], dtype)
    r = np.linspace(-0.95, 0.95, 7)[:, None]
    actual = LKJ(2, eta).log_prob(_correlation_2x2(r).astype(dtype))
    expected = scipy.stats.beta.logpdf((1 + r) / 2, eta, eta) - np.log(2)
    assert actual.dtype == dtype and actual.shape == (7, 4)
    np.testing.assert_allclose(actual, expected, rtol=1e-6 if dtype == np.float64 else 2e-5, atol=1e-5)


def test_dimension_three_normalizes_by_quadrature():
    # Integrate over (r01, r02, partial correlation p12|0) in the cube: r12 = r01 r02 + p sqrt(...),
    # |dr12/dp| = sqrt((1 - r01^2)(1 - r02^2)). That square root is the weight of Gauss-Jacobi(1/2, 1/2)
    # nodes on the r01 and r02 axes, so the rest of the integrand, (1 - r^2)^(eta - 1) per axis, is a
    # polynomial for integer eta and has (1 - t^2)^(5/2) ends for eta = 3.5 (error far below 1e-6).
    outer_nodes, outer_weights = scipy.special.roots_jacobi(40, 0.5, 0.5)
    nodes, weights = np.polynomial.legendre.leggauss(40)
    a, b, p = np.meshgrid(outer_nodes, outer_nodes, nodes, indexing="ij")
    w = (outer_weights[:, None, None] * outer_weights[None, :, None] * weights[None, None, :]).ravel()
    a, b, p = a.ravel(), b.ravel(), p.ravel()
    jacobian = np.sqrt((1 - a**2) * (1 - b**2))
    c = a * b + p * jacobian
    matrices = np.stack([np.stack([np.ones_like(a), a, b], -1), np.stack([a, np.ones_like(a), c], -1),
                         np.stack([b, c, np.ones_like(a)], -1)], -2)
    eta = np.array([1.0, 2.0, 3.5])
    log_prob = jax.jit(lambda m: LKJ(3, eta).log_prob(m[:, None]))(matrices)
    totals = np.sum(w[:, None] * np.exp(np.asarray(log_prob)), axis=0)
    np.testing.assert_allclose(totals, 1.0, rtol=1e-6)
    # eta = 1 is uniform on the 3 x 3 elliptope, whose volume is pi^2 / 2.
    np.testing.assert_allclose(log_prob[0, 0], -np.log(np.pi**2 / 2), rtol=1e-12)


def test_samples_are_correlation_matrices_with_beta_marginals():
    d, eta = 4, np.array([0.5, 3.0])
    dist = LKJ(d, eta)
    x = np.asarray(jax.jit(lambda k: dist.sample(20_000, seed=k))(jax.random.key(1)))
    assert x.shape == (20_000, 2, d, d)
    np.testing.assert_array_equal(x, np.swapaxes(x, -1, -2))
    np.testing.assert_array_equal(np.diagonal(x, 0, -2, -1), 1.0)
    assert np.all(np.linalg.eigvalsh(x) > 0)
    # Each off-diagonal entry is 2 Beta(a, a) - 1 with a = eta - 1 + d / 2.
    for j, e in enumerate(eta):
        a = e - 1 + d / 2
        for row, col in [(0, 1), (1, 3), (0, 3)]:
            pvalue = scipy.stats.kstest(x[:, j, row, col], scipy.stats.beta(a, a, loc=-1, scale=2).cdf).pvalue
            assert pvalue > 1e-3
    np.testing.assert_allclose(dist.variance()[:, 0, 1], 1 / (2 * eta + d - 1), rtol=1e-12)
    np.testing.assert_array_equal(dist.mean(), np.broadcast_to(np.eye(d), (2, d, d)))
    assert np.all(np.isfinite(dist.log_prob(x[:5])))


def test_cholesky_input_output():
    dist = LKJ(3, 2.0, input_output_cholesky=True)
    L = np.asarray(dist.sample(6, seed=3))
    np.testing.assert_array_equal(np.triu(L, 1), 0.0)
    np.testing.assert_allclose(np.sum(L**2, -1), 1.0, rtol=1e-14)
    C = L @ np.swapaxes(L, -1, -2)
    # log_prob takes the factor and returns the density of the matrix.
    np.testing.assert_allclose(dist.log_prob(L), LKJ(3, 2.0).log_prob(C), rtol=1e-12)
    assert isinstance(dist.experimental_default_event_space_bijector(), CorrelationCholesky)


def test_event_space_bijector_lands_in_the_support():
    dist = LKJ(4, np.array([1.5, 0.7]))
    bijector = dist.experimental_default_event_space_bijector()
    assert isinstance(bijector, Chain) and isinstance(bijector.bijectors[0], CholeskyOuterProduct)
    x = jax.random.normal(jax.random.key(0), (5, 2, 6)) * 2
    y = bijector.forward(x)
    assert y.shape == (5, 2, 4, 4)
    assert np.all(np.isfinite(dist.log_prob(y)))
    np.testing.assert_allclose(bijector.inverse(y), x, rtol=1e-9, atol=1e-9)


def test_outside_support_and_validation():
    dist = LKJ(2, 2.0)
    bad = np.array([[[1.0, 1.2], [1.2, 1.0]], [[1.0, 0.2], [0.3, 1.0]], [[2.0, 0.0], [0.0, 1.0]]])
    assert np.all(np.isneginf(dist.log_prob(bad)))
    with pytest.raises(ValueError, match="concentration"):
        LKJ(2, 0.0, validate_args=True)
    with pytest.raises(ValueError, match="support"):
        LKJ(2, 2.0, validate_args=True).log_prob(bad[0])
    with pytest.raises(ValueError, match="dimension"):
        LKJ(0, 2.0)
    with pytest.raises(ValueError, match="event_shape"):
        dist.log_prob(np.eye(3))


def test_jit_vmap_grad_and_slicing():
    eta = np.array([0.8, 2.0, 5.0])
    r = _correlation_2x2(np.array([0.3, -0.6, 0.1]))
    eager = LKJ(2, eta).log_prob(r)
    np.testing.assert_allclose(jax.jit(lambda e, x: LKJ(2, e).log_prob(x))(eta, r), eager, rtol=1e-12)
    returned = jax.jit(lambda e: LKJ(2, e))(eta)
    assert returned.dimension == 2 and returned.batch_shape == (3,)
    batched = jax.vmap(lambda e: LKJ(2, e))(np.stack([eta, eta]))
    assert batched.batch_shape == (2, 3) and batched.event_shape == (2, 2)
    np.testing.assert_allclose(batched.log_prob(r), np.stack([eager, eager]), rtol=1e-12)
    assert LKJ(2, eta)[1:].batch_shape == (2,)
    # d/d eta of log_prob = log det - d log c / d eta, against the scipy Beta density's derivative.
    grad = jax.grad(lambda e: jnp.sum(LKJ(2, e).log_prob(r)))(eta)
    step = 1e-6
    rr = np.array([0.3, -0.6, 0.1])
    numeric = (scipy.stats.beta.logpdf((1 + rr) / 2, eta + step, eta + step)
               - scipy.stats.beta.logpdf((1 + rr) / 2, eta - step, eta - step)) / (2 * step)
    np.testing.assert_allclose(grad, numeric, rtol=1e-6)
