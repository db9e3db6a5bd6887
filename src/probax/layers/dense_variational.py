"""DenseVariational: TFP's dense layer with one distribution over its flattened kernel and bias.

TFP's `tfp.layers.DenseVariational(units, make_posterior_fn, make_prior_fn, kl_weight)` builds its
posterior and prior lazily from the input size; an NNX layer is built eagerly, so the probax layer
takes the input size first, as `nnx.Linear`:
`DenseVariational(in_features, units, posterior_mean_field, prior_trainable, kl_weight=1 / N, rngs=rngs)`.
"""

from __future__ import annotations

from collections.abc import Callable

import jax
import jax.numpy as jnp
from flax import nnx

from probax.layers.kl_regularizer import kl_divergence_loss
from probax.layers.regularization_loss import RegularizationLoss, record_regularization_loss
from probax.layers.variational_layer import positive_ints


class DenseVariational(nnx.Module):
    """`activation(inputs @ W + b)` with `[W, b]` drawn on each call from a posterior over all weights.

    `make_posterior_fn(kernel_size, bias_size, dtype, rngs=rngs)` and `make_prior_fn(...)` (same
    arguments) are called once and return modules whose call, with no arguments, returns a
    distribution over vectors of size `kernel_size + bias_size` (e.g. `posterior_mean_field`,
    `prior_trainable`). On each call the layer draws `w ~ q`, uses `w[:kernel_size]` as the kernel
    (reshaped `[in_features, units]`, row-major) and the rest as the bias, and records
    `kl_weight * KL[q || p]` in `regularization_term`: the analytic KL with `kl_use_exact=True`,
    else TFP's one-draw estimate `log q(w) - log p(w)` at the same `w`.

    The "1/N per example" rule: `probax.training.fit` averages the data loss over a batch and
    adds the recorded term, so `kl_weight=1 / num_training_examples` makes the loss the
    negative ELBO divided by N (Bayes by backprop, Blundell et al. 2015).

    Args:
      in_features: size of the inputs' last dimension.
      units: output size.
      make_posterior_fn: builder of the posterior module (trainable).
      make_prior_fn: builder of the prior module.
      kl_weight: multiplier of the KL term (None: 1).
      kl_use_exact: analytic KL instead of the one-draw Monte Carlo estimate.
      activation: function applied to the output (None: identity).
      use_bias: whether `bias_size` is `units` (True) or 0.
      dtype: parameter and computation dtype (inputs are cast to it).
      rng_collection: the stream of `rngs` forked for the weight draws.
      rngs: an `nnx.Rngs` (its `params` stream initializes random posteriors).

    Example:
      >>> from probax.layers.variational_defaults import posterior_mean_field, prior_trainable
      >>> layer = DenseVariational(1, 2, posterior_mean_field, prior_trainable, kl_weight=1 / 50,
      ...                          kl_use_exact=True, rngs=nnx.Rngs(0))
      >>> layer(jnp.ones((5, 1))).shape, layer.posterior().event_shape
      ((5, 2), (4,))

    """

    def __init__(self, in_features: int, units: int, make_posterior_fn: Callable[..., nnx.Module],
                 make_prior_fn: Callable[..., nnx.Module], kl_weight: float | None = None,
                 kl_use_exact: bool = False, activation: Callable[[jax.Array], jax.Array] | None = None,
                 use_bias: bool = True, *, dtype=jnp.float32, rng_collection: str = "sample", rngs: nnx.Rngs):
        owner = type(self).__name__
        self.in_features, self.units = positive_ints((in_features, units), ("in_features", "units"), owner)
        if not isinstance(rngs, nnx.Rngs):
            raise TypeError(f"{owner}: rngs must be an nnx.Rngs, got {type(rngs).__name__}.")
        for name, fn in (("make_posterior_fn", make_posterior_fn), ("make_prior_fn", make_prior_fn),
                         ("activation", activation or jnp.asarray)):
            if not callable(fn):
                raise TypeError(f"{owner}: {name} must be callable, got {type(fn).__name__}.")
        self.dtype = jnp.dtype(dtype)
        self.kernel_size = self.in_features * self.units
        self.bias_size = self.units if use_bias else 0
        self.kl_weight = None if kl_weight is None else float(kl_weight)
        self.kl_use_exact = bool(kl_use_exact)
        self.activation = activation
        self.posterior = make_posterior_fn(self.kernel_size, self.bias_size, self.dtype, rngs=rngs)
        self.prior = make_prior_fn(self.kernel_size, self.bias_size, self.dtype, rngs=rngs)
        self.rngs = rngs[rng_collection].fork()
        self.regularization_term = RegularizationLoss(jnp.zeros((), self.dtype))

    def __call__(self, inputs) -> jax.Array:
        """One stochastic forward pass; records the weighted KL in `regularization_term`."""
        x = jnp.asarray(inputs)
        if x.ndim == 0 or x.shape[-1] != self.in_features:
            raise ValueError(f"{type(self).__name__}: inputs must have last dimension {self.in_features}, "
                             f"got shape {x.shape}.")
        x = x.astype(self.dtype)
        posterior, prior = self.posterior(), self.prior()
        weights = posterior.sample(seed=self.rngs())
        size = self.kernel_size + self.bias_size
        if weights.shape != (size,):
            raise ValueError(f"{type(self).__name__}: the posterior must draw vectors of size {size} "
                             f"(kernel_size + bias_size), got draws of shape {weights.shape}.")
        record_regularization_loss(self.regularization_term, kl_divergence_loss(
            posterior, prior, self.kl_use_exact, test_points_fn=lambda _: weights, weight=self.kl_weight))
        kernel = weights[: self.kernel_size].reshape(self.in_features, self.units)
        outputs = jnp.einsum("...i,io->...o", x, kernel)
        if self.bias_size:
            outputs = outputs + weights[self.kernel_size:].reshape((1,) * (outputs.ndim - 1) + (self.units,))
        return outputs if self.activation is None else self.activation(outputs)
