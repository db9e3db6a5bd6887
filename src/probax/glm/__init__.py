"""Generalized linear models with TFP's `tfp.glm` names: families, Fisher scoring, sparse fits.

Example:
  >>> import numpy as np
  >>> from probax import glm
  >>> x = np.array([[1.0, 0.0], [1.0, 1.0], [1.0, 2.0], [1.0, 3.0]])
  >>> w, r, is_converged, num_iter = glm.fit(x, np.array([1.0, 2.0, 4.0, 8.0]), glm.Poisson())
  >>> bool(is_converged)
  True

"""

from probax.glm.convergence import convergence_criteria_small_relative_norm_weights_change
from probax.glm.families import (
    Bernoulli,
    BernoulliNormalCDF,
    Binomial,
    GammaExp,
    GammaSoftplus,
    LogNormal,
    LogNormalSoftplus,
    NegativeBinomial,
    NegativeBinomialSoftplus,
    Normal,
    NormalReciprocal,
    Poisson,
    PoissonSoftplus,
)
from probax.glm.family import CustomExponentialFamily, ExponentialFamily
from probax.glm.fit import FitResult, compute_predicted_linear_response, fit, fit_one_step
from probax.glm.fit_sparse import FitSparseResult, fit_sparse, fit_sparse_one_step
from probax.glm.fit_sparse_path import FitSparsePathResult, fit_sparse_path, largest_useful_l1_regularizer
from probax.glm.summary import CoefficientStatistics, Summary, coefficient_statistics, summary

__all__ = [
    "Bernoulli",
    "BernoulliNormalCDF",
    "Binomial",
    "CoefficientStatistics",
    "CustomExponentialFamily",
    "ExponentialFamily",
    "FitResult",
    "FitSparsePathResult",
    "FitSparseResult",
    "GammaExp",
    "GammaSoftplus",
    "LogNormal",
    "LogNormalSoftplus",
    "NegativeBinomial",
    "NegativeBinomialSoftplus",
    "Normal",
    "NormalReciprocal",
    "Poisson",
    "PoissonSoftplus",
    "Summary",
    "coefficient_statistics",
    "compute_predicted_linear_response",
    "convergence_criteria_small_relative_norm_weights_change",
    "fit",
    "fit_one_step",
    "fit_sparse",
    "fit_sparse_one_step",
    "fit_sparse_path",
    "largest_useful_l1_regularizer",
    "summary",
]
