"""Probabilistic layers: distribution heads (TFP's `tfp.layers` names) as Flax NNX modules.

A head maps the previous layer's output to a distribution; its maths is also a plain static method
(`IndependentNormal.new(params, event_shape)`) and `params_size` says how many outputs it reads.

Example:
  >>> import jax.numpy as jnp
  >>> from flax import nnx
  >>> from probax import layers as tfpl
  >>> model = nnx.Sequential(nnx.Linear(1, tfpl.IndependentNormal.params_size(1), rngs=nnx.Rngs(0)),
  ...                        tfpl.IndependentNormal(1))
  >>> model(jnp.zeros((3, 1))).event_shape
  (1,)

"""

from probax.layers.distribution_lambda import DistributionLambda
from probax.layers.independent_heads import (
    IndependentBernoulli,
    IndependentLogistic,
    IndependentNormal,
    IndependentPoisson,
)
from probax.layers.kl_regularizer import KLDivergenceAddLoss, KLDivergenceRegularizer, kl_divergence_loss
from probax.layers.mixture_heads import (
    CategoricalMixtureOfOneHotCategorical,
    MixtureLogistic,
    MixtureNormal,
    MixtureSameFamily,
)
from probax.layers.multivariate_heads import MultivariateNormalTriL, OneHotCategorical
from probax.layers.regularization_loss import RegularizationLoss, regularization_loss
from probax.layers.scale_transforms import FlooredSoftplus, softplus
from probax.layers.tensor_coercible import convert_to_tensor, tensor_coercible

__all__ = [
    "CategoricalMixtureOfOneHotCategorical",
    "DistributionLambda",
    "FlooredSoftplus",
    "IndependentBernoulli",
    "IndependentLogistic",
    "IndependentNormal",
    "IndependentPoisson",
    "KLDivergenceAddLoss",
    "KLDivergenceRegularizer",
    "MixtureLogistic",
    "MixtureNormal",
    "MixtureSameFamily",
    "MultivariateNormalTriL",
    "OneHotCategorical",
    "RegularizationLoss",
    "convert_to_tensor",
    "kl_divergence_loss",
    "regularization_loss",
    "softplus",
    "tensor_coercible",
]
