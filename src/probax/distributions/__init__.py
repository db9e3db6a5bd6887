"""Probability distributions with TensorFlow Probability's names and shape rules.

Example:
  >>> from probax import distributions as tfd
  >>> d = tfd.Normal(loc=0., scale=1.)
  >>> d.sample((2, 3), seed=0).shape
  (2, 3)

"""

from probax.distributions.batch_broadcast import BatchBroadcast
from probax.distributions.batch_reshape import BatchReshape
from probax.distributions.bernoulli import Bernoulli
from probax.distributions.beta import Beta
from probax.distributions.beta_binomial import BetaBinomial
from probax.distributions.binomial import Binomial
from probax.distributions.categorical import Categorical
from probax.distributions.cauchy import Cauchy
from probax.distributions.chi2 import Chi2
from probax.distributions.cholesky_lkj import CholeskyLKJ
from probax.distributions.deterministic import Deterministic
from probax.distributions.dirichlet import Dirichlet
from probax.distributions.dirichlet_multinomial import DirichletMultinomial
from probax.distributions.distribution import (
    FULLY_REPARAMETERIZED,
    NOT_REPARAMETERIZED,
    Distribution,
    ParameterProperties,
    ReparameterizationType,
)
from probax.distributions.empirical import Empirical
from probax.distributions.exponential import Exponential
from probax.distributions.finite_discrete import FiniteDiscrete
from probax.distributions.gamma import Gamma
from probax.distributions.geometric import Geometric
from probax.distributions.gumbel import Gumbel
from probax.distributions.half_cauchy import HalfCauchy
from probax.distributions.half_normal import HalfNormal
from probax.distributions.half_student_t import HalfStudentT
from probax.distributions.independent import Independent
from probax.distributions.inflated import Inflated
from probax.distributions.inverse_gamma import InverseGamma
from probax.distributions.inverse_gaussian import InverseGaussian
from probax.distributions.joint_distribution import JointDistribution, Root
from probax.distributions.joint_distribution_coroutine import JointDistributionCoroutine
from probax.distributions.joint_distribution_named import JointDistributionNamed
from probax.distributions.joint_distribution_pinned import JointDistributionPinned
from probax.distributions.joint_distribution_sequential import JointDistributionSequential
from probax.distributions.kl import RegisterKL, kl_divergence
from probax.distributions.kumaraswamy import Kumaraswamy
from probax.distributions.laplace import Laplace
from probax.distributions.lkj import LKJ
from probax.distributions.log_normal import LogNormal
from probax.distributions.logistic import Logistic
from probax.distributions.logit_normal import LogitNormal
from probax.distributions.masked import Masked
from probax.distributions.mixture import Mixture
from probax.distributions.mixture_same_family import MixtureSameFamily
from probax.distributions.multinomial import Multinomial
from probax.distributions.multivariate_normal_diag import MultivariateNormalDiag
from probax.distributions.multivariate_normal_diag_plus_low_rank import MultivariateNormalDiagPlusLowRank
from probax.distributions.multivariate_normal_full_covariance import MultivariateNormalFullCovariance
from probax.distributions.multivariate_normal_tril import MultivariateNormalTriL
from probax.distributions.multivariate_student_t import MultivariateStudentT, MultivariateStudentTTriL
from probax.distributions.negative_binomial import NegativeBinomial
from probax.distributions.normal import Normal
from probax.distributions.one_hot_categorical import OneHotCategorical
from probax.distributions.pareto import Pareto
from probax.distributions.poisson import Poisson
from probax.distributions.quantized_distribution import QuantizedDistribution
from probax.distributions.relaxed_bernoulli import RelaxedBernoulli
from probax.distributions.relaxed_one_hot_categorical import (
    ExpRelaxedOneHotCategorical,
    RelaxedOneHotCategorical,
)
from probax.distributions.sample import Sample
from probax.distributions.student_t import StudentT
from probax.distributions.transformed_distribution import TransformedDistribution
from probax.distributions.truncated_normal import TruncatedNormal
from probax.distributions.uniform import Uniform
from probax.distributions.von_mises import VonMises
from probax.distributions.von_mises_fisher import VonMisesFisher
from probax.distributions.weibull import Weibull
from probax.distributions.wishart_tril import WishartTriL

__all__ = [
    "FULLY_REPARAMETERIZED",
    "LKJ",
    "NOT_REPARAMETERIZED",
    "BatchBroadcast",
    "BatchReshape",
    "Bernoulli",
    "Beta",
    "BetaBinomial",
    "Binomial",
    "Categorical",
    "Cauchy",
    "Chi2",
    "CholeskyLKJ",
    "Deterministic",
    "Dirichlet",
    "DirichletMultinomial",
    "Distribution",
    "Empirical",
    "ExpRelaxedOneHotCategorical",
    "Exponential",
    "FiniteDiscrete",
    "Gamma",
    "Geometric",
    "Gumbel",
    "HalfCauchy",
    "HalfNormal",
    "HalfStudentT",
    "Independent",
    "Inflated",
    "InverseGamma",
    "InverseGaussian",
    "JointDistribution",
    "JointDistributionCoroutine",
    "JointDistributionNamed",
    "JointDistributionPinned",
    "JointDistributionSequential",
    "Kumaraswamy",
    "Laplace",
    "LogNormal",
    "Logistic",
    "LogitNormal",
    "Masked",
    "Mixture",
    "MixtureSameFamily",
    "Multinomial",
    "MultivariateNormalDiag",
    "MultivariateNormalDiagPlusLowRank",
    "MultivariateNormalFullCovariance",
    "MultivariateNormalTriL",
    "MultivariateStudentT",
    "MultivariateStudentTTriL",
    "NegativeBinomial",
    "Normal",
    "OneHotCategorical",
    "ParameterProperties",
    "Pareto",
    "Poisson",
    "QuantizedDistribution",
    "RegisterKL",
    "RelaxedBernoulli",
    "RelaxedOneHotCategorical",
    "ReparameterizationType",
    "Root",
    "Sample",
    "StudentT",
    "TransformedDistribution",
    "TruncatedNormal",
    "Uniform",
    "VonMises",
    "VonMisesFisher",
    "Weibull",
    "WishartTriL",
    "kl_divergence",
]
