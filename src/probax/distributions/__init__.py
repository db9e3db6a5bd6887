"""Probability distributions with TensorFlow Probability's names and shape rules.

Example:
  >>> from probax import distributions as tfd
  >>> d = tfd.Normal(loc=0., scale=1.)
  >>> d.sample((2, 3), seed=0).shape
  (2, 3)

"""

from probax.distributions.bernoulli import Bernoulli
from probax.distributions.beta import Beta
from probax.distributions.beta_binomial import BetaBinomial
from probax.distributions.binomial import Binomial
from probax.distributions.categorical import Categorical
from probax.distributions.cauchy import Cauchy
from probax.distributions.chi2 import Chi2
from probax.distributions.deterministic import Deterministic
from probax.distributions.distribution import (
    FULLY_REPARAMETERIZED,
    NOT_REPARAMETERIZED,
    Distribution,
    ParameterProperties,
    ReparameterizationType,
)
from probax.distributions.exponential import Exponential
from probax.distributions.gamma import Gamma
from probax.distributions.geometric import Geometric
from probax.distributions.gumbel import Gumbel
from probax.distributions.half_cauchy import HalfCauchy
from probax.distributions.half_normal import HalfNormal
from probax.distributions.half_student_t import HalfStudentT
from probax.distributions.inverse_gamma import InverseGamma
from probax.distributions.inverse_gaussian import InverseGaussian
from probax.distributions.kl import RegisterKL, kl_divergence
from probax.distributions.kumaraswamy import Kumaraswamy
from probax.distributions.laplace import Laplace
from probax.distributions.log_normal import LogNormal
from probax.distributions.logistic import Logistic
from probax.distributions.logit_normal import LogitNormal
from probax.distributions.negative_binomial import NegativeBinomial
from probax.distributions.normal import Normal
from probax.distributions.pareto import Pareto
from probax.distributions.poisson import Poisson
from probax.distributions.student_t import StudentT
from probax.distributions.transformed_distribution import TransformedDistribution
from probax.distributions.truncated_normal import TruncatedNormal
from probax.distributions.uniform import Uniform
from probax.distributions.von_mises import VonMises
from probax.distributions.weibull import Weibull

__all__ = [
    "FULLY_REPARAMETERIZED",
    "NOT_REPARAMETERIZED",
    "Bernoulli",
    "Beta",
    "BetaBinomial",
    "Binomial",
    "Categorical",
    "Cauchy",
    "Chi2",
    "Deterministic",
    "Distribution",
    "Exponential",
    "Gamma",
    "Geometric",
    "Gumbel",
    "HalfCauchy",
    "HalfNormal",
    "HalfStudentT",
    "InverseGamma",
    "InverseGaussian",
    "Kumaraswamy",
    "Laplace",
    "LogNormal",
    "Logistic",
    "LogitNormal",
    "NegativeBinomial",
    "Normal",
    "ParameterProperties",
    "Pareto",
    "Poisson",
    "RegisterKL",
    "ReparameterizationType",
    "StudentT",
    "TransformedDistribution",
    "TruncatedNormal",
    "Uniform",
    "VonMises",
    "Weibull",
    "kl_divergence",
]
