"""MultivariateNormalFullCovariance specifics (shared maths: test_mvn_linear.py)."""

import numpy as np
import pytest

from probax.distributions.multivariate_normal_full_covariance import MultivariateNormalFullCovariance


def test_scale_tril_is_the_cholesky_factor_and_covariance_round_trips():
    covariance = np.array([[4.0, 1.2, 0.3], [1.2, 2.0, -0.4], [0.3, -0.4, 1.5]])
    dist = MultivariateNormalFullCovariance(covariance_matrix=covariance)
    np.testing.assert_allclose(dist.scale_tril, np.linalg.cholesky(covariance), rtol=1e-12)
    np.testing.assert_allclose(dist.covariance(), covariance, rtol=1e-12)


def test_validate_args():
    with pytest.raises(ValueError, match="covariance_matrix"):
        MultivariateNormalFullCovariance(covariance_matrix=[[1.0, 2.0], [2.0, 1.0]], validate_args=True)
