"""MultivariateNormalTriL specifics (the shared maths are tested in test_mvn_linear.py)."""

import numpy as np
import pytest
import scipy.stats

from probax.distributions.multivariate_normal_tril import MultivariateNormalTriL


def test_upper_triangle_is_ignored_and_identity_default():
    tril = np.array([[2.0, 0.0], [1.0, 0.5]])
    junk = tril + np.array([[0.0, 7.0], [0.0, 0.0]])
    x = np.array([0.3, -1.2])
    expected = scipy.stats.multivariate_normal([0, 0], tril @ tril.T).logpdf(x)
    np.testing.assert_allclose(MultivariateNormalTriL(scale_tril=junk).log_prob(x), expected, rtol=1e-12)
    np.testing.assert_allclose(MultivariateNormalTriL(loc=[0.0, 0.0]).covariance(), np.eye(2))


def test_float32_stays_float32():
    dist = MultivariateNormalTriL(np.zeros(2, np.float32), np.eye(2, dtype=np.float32))
    assert dist.log_prob(np.zeros(2, np.float32)).dtype == np.float32
    assert dist.sample(2, seed=0).dtype == np.float32


def test_validate_args():
    with pytest.raises(ValueError, match="scale_tril"):
        MultivariateNormalTriL(scale_tril=[[1.0, 0.0], [1.0, 0.0]], validate_args=True)
    with pytest.raises(ValueError, match="square"):
        MultivariateNormalTriL(scale_tril=np.ones((2, 3)))
