import jax
import jax.numpy as jnp
import numpy as np
import pytest
import scipy.stats

from probax.bijectors import CorrelationCholesky
from probax.distributions.cholesky_lkj import CholeskyLKJ
from probax.distributions.lkj import LKJ


def _strict_lower(m):
    rows, cols = np.tril_indices(m.shape[-1], -1)
    return m[..., rows, cols]


@pytest.mark.parametrize("d", [3, 4])
def test_density_is_the_lkj_density_carried_to_the_factor(d):
    # Both densities, pulled back to the unconstrained x of CorrelationCholesky, must agree:
    # log p_L(L(x)) + log|dL/dx| = log p_C(C(x)) + log|dC/dx| (Jacobians by autodiff).
    bijector = CorrelationCholesky()
    eta = 1.7
    x = jax.random.normal(jax.random.key(d), (d * (d - 1) // 2,), jnp.float64)

    def both(x):
        factor = bijector.forward(x)
        correlation = factor @ factor.T
        log_det_factor = jnp.linalg.slogdet(jax.jacobian(lambda t: _strict_lower(bijector.forward(t)))(x))[1]
        log_det_corr = jnp.linalg.slogdet(jax.jacobian(
            lambda t: _strict_lower(bijector.forward(t) @ bijector.forward(t).T))(x))[1]
        return (CholeskyLKJ(d, eta).log_prob(factor) + log_det_factor,
                LKJ(d, eta).log_prob(correlation) + log_det_corr)

    via_factor, via_matrix = jax.jit(both)(x)
    np.testing.assert_allclose(via_factor, via_matrix, rtol=1e-10)


def test_samples_are_unit_row_factors_with_lkj_marginals():
    d, eta = 3, np.array([[0.6], [2.0]])
    dist = CholeskyLKJ(d, eta)
    assert dist.batch_shape == (2, 1) and dist.event_shape == (d, d)
    L = np.asarray(jax.jit(lambda k: dist.sample(10_000, seed=k))(jax.random.key(4)))
    assert L.shape == (10_000, 2, 1, d, d)
    np.testing.assert_array_equal(np.triu(L, 1), 0.0)
    np.testing.assert_allclose(np.sum(L**2, -1), 1.0, rtol=1e-14)
    assert np.all(np.diagonal(L, 0, -2, -1) > 0)
    # C = L L^T has C_01 = L_10, distributed as 2 Beta(a, a) - 1 with a = eta - 1 + d / 2.
    for j in range(2):
        a = eta[j, 0] - 1 + d / 2
        reference = scipy.stats.beta(a, a, loc=-1, scale=2)
        assert scipy.stats.kstest(L[:, j, 0, 1, 0], reference.cdf).pvalue > 1e-3
        c12 = np.sum(L[:, j, 0, 1] * L[:, j, 0, 2], -1)
        assert scipy.stats.kstest(c12, reference.cdf).pvalue > 1e-3


def test_float32_log_prob_and_outside_support():
    dist32 = CholeskyLKJ(3, np.float32(2.5))
    L = np.asarray(dist32.sample(4, seed=0))
    assert L.dtype == np.float32
    lp32 = dist32.log_prob(L)
    assert lp32.dtype == np.float32
    np.testing.assert_allclose(lp32, CholeskyLKJ(3, 2.5).log_prob(L.astype(np.float64)), rtol=1e-5)
    not_unit = np.array([[1.0, 0.0], [0.5, 0.5]])
    upper = np.array([[1.0, 0.1], [0.0, 1.0]])
    assert np.all(np.isneginf(CholeskyLKJ(2, 2.0).log_prob(np.stack([not_unit, upper]))))
    with pytest.raises(ValueError, match="support"):
        CholeskyLKJ(2, 2.0, validate_args=True).log_prob(not_unit)
    with pytest.raises(ValueError, match="concentration"):
        CholeskyLKJ(2, -1.0, validate_args=True)
    with pytest.raises(NotImplementedError, match="CholeskyLKJ"):
        CholeskyLKJ(2, 2.0).mean()


def test_bijector_jit_vmap_and_gradient():
    dist = CholeskyLKJ(3, np.array([1.0, 4.0]))
    bijector = dist.experimental_default_event_space_bijector()
    assert isinstance(bijector, CorrelationCholesky)
    y = bijector.forward(jax.random.normal(jax.random.key(1), (2, 3)))
    lp = jax.jit(lambda d, y: d.log_prob(y))(dist, y)
    assert lp.shape == (2,) and np.all(np.isfinite(lp))
    batched = jax.vmap(lambda e: CholeskyLKJ(3, e))(np.array([1.0, 4.0]))
    np.testing.assert_allclose(batched.log_prob(y), lp, rtol=1e-12)
    grad = jax.grad(lambda e: jnp.sum(CholeskyLKJ(3, e).log_prob(y)))(np.array([1.0, 4.0]))
    step = 1e-6
    numeric = (CholeskyLKJ(3, np.array([1.0, 4.0]) + step).log_prob(y)
               - CholeskyLKJ(3, np.array([1.0, 4.0]) - step).log_prob(y)) / (2 * step)
    np.testing.assert_allclose(grad, numeric, rtol=1e-6)
