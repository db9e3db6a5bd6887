"""Probability distributions with TensorFlow Probability's names and shape rules.

Example:
  >>> from probax import distributions as tfd
  >>> d = tfd.Normal(loc=0., scale=1.)
  >>> d.sample((2, 3), seed=0).shape
  (2, 3)

"""

from probax.distributions.bernoulli import Bernoulli
from probax.distributions.distribution import (
    FULLY_REPARAMETERIZED,
    NOT_REPARAMETERIZED,
    Distribution,
    ParameterProperties,
    ReparameterizationType,
)
from probax.distributions.kl import RegisterKL, kl_divergence
from probax.distributions.normal import Normal

__all__ = [
    "FULLY_REPARAMETERIZED",
    "NOT_REPARAMETERIZED",
    "Bernoulli",
    "Distribution",
    "Normal",
    "ParameterProperties",
    "RegisterKL",
    "ReparameterizationType",
    "kl_divergence",
]
