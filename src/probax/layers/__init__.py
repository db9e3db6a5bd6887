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

from probax.layers.conv_flipout import Conv2DFlipout
from probax.layers.conv_reparameterization import Conv2DReparameterization
from probax.layers.dense_flipout import DenseFlipout
from probax.layers.dense_local_reparameterization import DenseLocalReparameterization
from probax.layers.dense_reparameterization import DenseReparameterization
from probax.layers.dense_variational import DenseVariational
from probax.layers.distribution_lambda import DistributionLambda
from probax.layers.independent_heads import (
    IndependentBernoulli,
    IndependentLogistic,
    IndependentNormal,
    IndependentPoisson,
)
from probax.layers.kl_regularizer import KLDivergenceAddLoss, KLDivergenceRegularizer, kl_divergence_loss
from probax.layers.mc_dropout import MCDropout
from probax.layers.mixture_heads import (
    CategoricalMixtureOfOneHotCategorical,
    MixtureLogistic,
    MixtureNormal,
    MixtureSameFamily,
)
from probax.layers.monte_carlo_predictions import predict_samples
from probax.layers.multivariate_heads import MultivariateNormalTriL, OneHotCategorical
from probax.layers.regularization_loss import RegularizationLoss, regularization_loss
from probax.layers.scale_transforms import FlooredSoftplus, softplus
from probax.layers.tensor_coercible import convert_to_tensor, tensor_coercible
from probax.layers.variational_defaults import (
    DeterministicPosterior,
    MeanFieldNormal,
    NormalPrior,
    default_mean_field_normal_fn,
    default_multivariate_normal_fn,
    posterior_mean_field,
    prior_trainable,
)
from probax.layers.variational_layer import VariationalLayer, default_divergence_fn

__all__ = [
    "CategoricalMixtureOfOneHotCategorical",
    "Conv2DFlipout",
    "Conv2DReparameterization",
    "DenseFlipout",
    "DenseLocalReparameterization",
    "DenseReparameterization",
    "DenseVariational",
    "DeterministicPosterior",
    "DistributionLambda",
    "FlooredSoftplus",
    "IndependentBernoulli",
    "IndependentLogistic",
    "IndependentNormal",
    "IndependentPoisson",
    "KLDivergenceAddLoss",
    "KLDivergenceRegularizer",
    "MCDropout",
    "MeanFieldNormal",
    "MixtureLogistic",
    "MixtureNormal",
    "MixtureSameFamily",
    "MultivariateNormalTriL",
    "NormalPrior",
    "OneHotCategorical",
    "RegularizationLoss",
    "VariationalLayer",
    "convert_to_tensor",
    "default_divergence_fn",
    "default_mean_field_normal_fn",
    "default_multivariate_normal_fn",
    "kl_divergence_loss",
    "posterior_mean_field",
    "predict_samples",
    "prior_trainable",
    "regularization_loss",
    "softplus",
    "tensor_coercible",
]
