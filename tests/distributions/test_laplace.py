import itertools

import hypothesis.strategies as st
import jax
import jax.numpy as jnp
import numpy as np
import pytest
import scipy.integrate
import scipy.stats

from probax import distributions as tfd
from tests.distributions.oracle import OracleCase, oracle_suite

CASES = [
    OracleCase(
        name="laplace",
        make=tfd.Laplace,
        reference=lambda loc, scale: scipy.stats.laplace(loc, scale),
        params=dict(loc=np.array([0.0, -1.5, 300.0]), scale=np.array([1.0, 1e-3, 40.0])),
        expected_mode=lambda loc, scale: loc,
        wide=dict(
            loc=st.floats(-1e6, 1e6),
            scale=st.floats(1e-30, 1e30).filter(lambda s: s > 0),
        ),
        reparameterized_params=("loc", "scale"),
    ),
]

test_oracle, test_sampling, test_transforms, test_wide = oracle_suite(CASES)


def test_bad_scale_raises():
    with pytest.raises(ValueError, match="scale"):
        tfd.Laplace(0.0, 0.0, validate_args=True)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_far_tails_finite(dtype):
    d = tfd.Laplace(dtype(0.0), dtype(1.0))
    np.testing.assert_allclose(d.log_cdf(dtype(-1e30)), -1e30, rtol=1e-6)
    np.testing.assert_allclose(d.log_survival_function(dtype(1e30)), -1e30, rtol=1e-6)
    np.testing.assert_allclose(d.log_cdf(dtype(60.0)), -0.5 * np.exp(-60.0), rtol=1e-6)
    np.testing.assert_allclose(d.quantile(dtype(1e-30)), np.log(2e-30), rtol=1e-6)


def _kl_by_quadrature(p, q):
    def log_density(x, loc, scale):
        return -abs(x - loc) / scale - np.log(2 * scale)

    def integrand(x):
        log_p = log_density(x, *p)
        return np.exp(log_p) * (log_p - log_density(x, *q))

    # Split at both kinks so quad sees smooth pieces.
    cuts = sorted({p[0], q[0]})
    edges = [-np.inf, *cuts, np.inf]
    pieces = itertools.pairwise(edges)
    return sum(scipy.integrate.quad(integrand, a, b, epsabs=1e-13, epsrel=1e-12)[0] for a, b in pieces)


def test_kl_against_quadrature():
    p_loc, p_scale = np.array([0.0, 1.0, -2.0, 0.3]), np.array([1.0, 0.5, 3.0, 1.0])
    q_loc, q_scale = np.array([0.0, -1.0, 0.5, 0.3]), np.array([2.0, 1.5, 0.7, 1.0])
    actual = tfd.kl_divergence(tfd.Laplace(p_loc, p_scale), tfd.Laplace(q_loc, q_scale))
    expected = [
        _kl_by_quadrature((a, b), (c, d)) for a, b, c, d in zip(p_loc, p_scale, q_loc, q_scale, strict=True)
    ]
    assert actual.dtype == np.float64
    np.testing.assert_allclose(actual, expected, rtol=1e-8, atol=1e-12)
    assert float(actual[-1]) == 0.0


def test_kl_broadcasts_batch_ranks():
    p = tfd.Laplace(np.zeros((2, 1)), 1.0)
    q = tfd.Laplace(np.array([0.0, 1.0, 2.0]), 2.0)
    kl = tfd.kl_divergence(p, q)
    assert kl.shape == (2, 3)
    expected = [_kl_by_quadrature((0.0, 1.0), (m, 2.0)) for m in (0.0, 1.0, 2.0)]
    np.testing.assert_allclose(kl[1], expected, rtol=1e-8)
    assert np.all(np.isfinite(jax.grad(lambda s: jnp.sum(tfd.kl_divergence(tfd.Laplace(0.0, s), q)))(1.0)))
