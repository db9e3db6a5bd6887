"""Tiny NNX models returning probax distributions, shared by the training tests."""

import jax
import jax.numpy as jnp
from flax import nnx

from probax.distributions.independent import Independent
from probax.distributions.normal import Normal
from probax.training.losses import RegularizationLoss


class LinearNormal(nnx.Module):
    """y | x ~ Normal(a x + b, softplus(s)): a linear mean and one learned scale."""

    def __init__(self, rngs, features: int = 1, dropout: float = 0.0):
        self.features = features
        self.dropout_rate = dropout
        self.linear = nnx.Linear(features, 1, rngs=rngs)
        self.raw_scale = nnx.Param(jnp.zeros(()))
        self.dropout = nnx.Dropout(dropout, rngs=rngs)

    def __call__(self, x):
        loc = self.linear(self.dropout(x))
        return Independent(Normal(loc, jax.nn.softplus(self.raw_scale[...])), reinterpreted_batch_ndims=1)

    def get_config(self):
        return {"features": self.features, "dropout": self.dropout_rate}


class Location(nnx.Module):
    """y ~ Normal(w, 1) whatever x, with an optional ridge penalty `penalty / 2 * w**2` on w."""

    def __init__(self, start: float = 0.0, penalty: float = 0.0):
        self.w = nnx.Param(jnp.asarray(start, jnp.float64))
        self.penalty = penalty
        self.regularization = RegularizationLoss(jnp.zeros((), jnp.float64))

    def __call__(self, x):
        self.regularization[...] = 0.5 * self.penalty * self.w[...] ** 2
        return Normal(self.w[...] * x[:, 0], jnp.ones((), jnp.float64))
