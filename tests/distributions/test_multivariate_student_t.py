"""MultivariateStudentTTriL specifics (the oracle table is in test_mvn_linear.py)."""

import numpy as np
import pytest

from probax.distributions import multivariate_student_t
from probax.distributions.multivariate_student_t import MultivariateStudentT, MultivariateStudentTTriL


def test_moments_undefined_for_small_df():
    # TFP: mean NaN for df <= 1; covariance infinite for 1 < df <= 2 and NaN for df <= 1.
    dist = MultivariateStudentTTriL(df=[0.8, 1.5, 4.0], loc=[1.0, 2.0], scale_tril=np.eye(2))
    mean, covariance = np.asarray(dist.mean()), np.asarray(dist.covariance())
    assert np.all(np.isnan(mean[0])) and mean[1:].tolist() == [[1.0, 2.0], [1.0, 2.0]]
    assert np.all(np.isnan(covariance[0])) and np.all(np.isinf(covariance[1]))
    np.testing.assert_allclose(covariance[2], 2.0 * np.eye(2))
    np.testing.assert_allclose(dist.mode(), [[1.0, 2.0]] * 3)
    with pytest.raises(ValueError, match="covariance is undefined"):
        MultivariateStudentTTriL(df=0.5, loc=[0.0], allow_nan_stats=False).covariance()


def test_numpyro_alias_and_scale():
    assert MultivariateStudentT is MultivariateStudentTTriL
    assert "MultivariateStudentT" in vars(multivariate_student_t)
    dist = MultivariateStudentT(df=3.0, loc=np.zeros(2), scale_tril=[[2.0, 5.0], [1.0, 1.0]])
    np.testing.assert_allclose(dist.scale, [[2.0, 0.0], [1.0, 1.0]])


def test_validate_args():
    with pytest.raises(ValueError, match="df"):
        MultivariateStudentTTriL(df=-1.0, loc=[0.0, 0.0], validate_args=True)
