"""MultivariateNormalDiagPlusLowRank specifics (shared maths: test_mvn_linear.py)."""

import jax
import jax.numpy as jnp
import numpy as np
import pytest
import scipy.stats

from probax.distributions.multivariate_normal_diag_plus_low_rank import MultivariateNormalDiagPlusLowRank


def test_matches_tfp_legacy_defaults():
    # scale_diag=None is the identity and scale_perturb_diag=None is ones: S = I + U U^T.
    factor = np.array([[1.0, 0.5], [0.0, 1.0], [2.0, -1.0]])
    scale = np.eye(3) + factor @ factor.T
    dist = MultivariateNormalDiagPlusLowRank(loc=np.zeros(3), scale_perturb_factor=factor)
    np.testing.assert_allclose(dist.covariance(), scale @ scale.T, rtol=1e-12)
    x = np.array([0.5, -1.0, 2.0])
    expected = scipy.stats.multivariate_normal(np.zeros(3), scale @ scale.T).logpdf(x)
    np.testing.assert_allclose(dist.log_prob(x), expected, rtol=1e-12)
    np.testing.assert_allclose(dist.scale_tril, np.linalg.cholesky(scale @ scale.T), rtol=1e-10)


def test_log_prob_never_factors_a_d_by_d_matrix():
    d, r = 64, 2
    dist = MultivariateNormalDiagPlusLowRank(jnp.zeros(d), jnp.ones(d), jnp.ones((d, r)), jnp.ones(r))
    text = jax.jit(lambda m: m.log_prob(jnp.zeros((3, d)))).lower(dist).as_text()
    assert f"{d}x{d}x" not in text


def test_argument_errors():
    with pytest.raises(ValueError, match="scale_perturb_diag` needs"):
        MultivariateNormalDiagPlusLowRank(scale_diag=np.ones(3), scale_perturb_diag=np.ones(2))
    with pytest.raises(ValueError, match="event size"):
        MultivariateNormalDiagPlusLowRank(scale_perturb_factor=np.ones((3, 2)), scale_perturb_diag=np.ones(3))
