"""The shared machinery of TFP's variational layers (`Dense*`, `Conv2D*`) as one NNX base class.

A `VariationalLayer` holds a posterior and a prior module for its kernel and for its bias (see
`variational_defaults`), a forked RNG stream and a `RegularizationLoss`. Each call draws the
kernel's contribution with the subclass's estimator (`variational_estimators`), adds the bias
(`bias_posterior_tensor_fn` of its posterior; a point estimate by default), applies the
activation, and records `kl_weight * (kernel divergence + bias divergence)`.

The KL term and the "1/N per example" rule: `probax.training.fit` minimizes, per batch,
`mean(nll) + sum(RegularizationLoss)`. The negative ELBO of N training examples is
`sum(nll) + KL[q || p]`, so the layers must record `KL / N`: pass `kl_weight=1 / N` (or, TFP's
way, `kernel_divergence_fn=lambda q, p, _: kl_divergence(q, p) / N`). The fitted loss is then
the negative ELBO divided by N, an unbiased estimate of it on every batch. A hand-written loop
does the same: `jnp.mean(nll(y, model(x))) + regularization_loss(model)`, after the forward pass.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import ClassVar

import jax
import jax.numpy as jnp
from flax import nnx

from probax.distributions.distribution import Distribution
from probax.distributions.kl import kl_divergence
from probax.layers.regularization_loss import RegularizationLoss, record_regularization_loss
from probax.layers.tensor_coercible import ConvertToTensorFn, validate_convert_to_tensor_fn
from probax.layers.variational_defaults import (
    WeightDistributionFn,
    default_mean_field_normal_fn,
    default_multivariate_normal_fn,
)
from probax.layers.variational_estimators import (
    flipout_output,
    local_reparameterization_output,
    mean_field_normal_parts,
    posterior_tensor,
    reparameterization_output,
)

DivergenceFn = Callable[[Distribution, Distribution, jax.Array | None], jax.Array]

DEFAULT_KERNEL_POSTERIOR_FN = default_mean_field_normal_fn()
DEFAULT_BIAS_POSTERIOR_FN = default_mean_field_normal_fn(is_singular=True)


def default_divergence_fn(posterior: Distribution, prior: Distribution, posterior_tensor: jax.Array | None):
    """`KL[posterior || prior]`: analytic when registered, else `log q(w) - log p(w)` at the layer's draw.

    Args:
      posterior: the weights' posterior.
      prior: the weights' prior.
      posterior_tensor: the weights the layer used (None for estimators with no single draw,
        Flipout and local reparameterization, which then need an analytic KL).

    Example:
      >>> from probax.distributions import Normal
      >>> float(default_divergence_fn(Normal(1., 1.), Normal(0., 1.), None))
      0.5

    """
    try:
        return kl_divergence(posterior, prior)
    except NotImplementedError as err:
        if posterior_tensor is None:
            raise NotImplementedError(
                f"No analytic KL[{type(posterior).__name__} || {type(prior).__name__}] and no single "
                "weight draw to estimate it with (Flipout / local reparameterization): pass a "
                "divergence_fn.") from err
        return posterior.log_prob(posterior_tensor) - prior.log_prob(posterior_tensor)


class VariationalLayer(nnx.Module):
    """Base of the variational `Dense*` and `Conv2D*` layers; subclasses define the estimator and the map.

    Subclasses define `_apply(x, kernel)` (the deterministic layer's linear map) and choose the
    estimator of the kernel's contribution, `_estimator`: "reparameterization" (one kernel draw
    per call), "flipout" or "local_reparameterization" (see `variational_estimators`).

    Args:
      kernel_shape: shape of the kernel (input channels second to last, outputs last).
      activation: function applied to the output (None: identity).
      kernel_posterior_fn: `fn(dtype, shape, rngs) -> module`, called once; the module's call
        returns the kernel posterior. Default: TFP's mean-field normal.
      kernel_posterior_tensor_fn: how the estimator turns the posterior into a kernel ("sample",
        "mean", ... or a callable, see `convert_to_tensor_fn`); used by Reparameterization.
      kernel_prior_fn: `fn(dtype, shape, rngs) -> module` for the prior (None: no kernel KL).
        Default: fixed standard normal.
      kernel_divergence_fn: `fn(q, p, kernel_draw) -> scalar`; default `default_divergence_fn`.
      bias_posterior_fn: as `kernel_posterior_fn` for the bias (None: no bias). Default: a
        trainable point mass (TFP's `default_mean_field_normal_fn(is_singular=True)`).
      bias_posterior_tensor_fn: how the bias posterior becomes the bias.
      bias_prior_fn: prior of the bias (None, the default: no bias KL).
      bias_divergence_fn: `fn(q, p, bias_draw) -> scalar`.
      kl_weight: multiplies the recorded divergence; `1 / num_training_examples` for `fit`.
      dtype: parameter and computation dtype (inputs are cast to it).
      rng_collection: the stream of `rngs` forked for the weight noise (parameters are
        initialized from the `params` stream).
      rngs: an `nnx.Rngs`.

    Example:
      >>> from probax.layers.dense_reparameterization import DenseReparameterization
      >>> layer = DenseReparameterization(3, 2, kl_weight=0.01, rngs=nnx.Rngs(0))
      >>> isinstance(layer, VariationalLayer), layer(jnp.ones((5, 3))).shape
      (True, (5, 2))

    """

    _estimator: ClassVar[str] = "reparameterization"

    def __init__(
        self,
        kernel_shape: tuple[int, ...],
        activation: Callable[[jax.Array], jax.Array] | None = None,
        *,
        kernel_posterior_fn: WeightDistributionFn = DEFAULT_KERNEL_POSTERIOR_FN,
        kernel_posterior_tensor_fn: ConvertToTensorFn = "sample",
        kernel_prior_fn: WeightDistributionFn | None = default_multivariate_normal_fn,
        kernel_divergence_fn: DivergenceFn | None = default_divergence_fn,
        bias_posterior_fn: WeightDistributionFn | None = DEFAULT_BIAS_POSTERIOR_FN,
        bias_posterior_tensor_fn: ConvertToTensorFn = "sample",
        bias_prior_fn: WeightDistributionFn | None = None,
        bias_divergence_fn: DivergenceFn | None = default_divergence_fn,
        kl_weight: float | None = None,
        dtype=jnp.float32,
        rng_collection: str = "sample",
        rngs: nnx.Rngs,
    ):
        owner = type(self).__name__
        if not isinstance(rngs, nnx.Rngs):
            raise TypeError(f"{owner}: rngs must be an nnx.Rngs, got {type(rngs).__name__}.")
        if activation is not None and not callable(activation):
            raise TypeError(f"{owner}: activation must be callable or None, got {type(activation).__name__}.")
        if not jnp.issubdtype(dtype, jnp.floating):
            raise TypeError(f"{owner}: dtype must be a floating dtype, got {dtype!r}.")
        if any(s < 1 for s in kernel_shape):
            raise ValueError(f"{owner}: kernel sizes must be positive, got kernel shape {kernel_shape}.")
        self.kernel_shape = tuple(kernel_shape)
        self.units = kernel_shape[-1]
        self.activation = activation
        self.dtype = jnp.dtype(dtype)
        self.kernel_posterior_tensor_fn = validate_convert_to_tensor_fn(kernel_posterior_tensor_fn)
        self.bias_posterior_tensor_fn = validate_convert_to_tensor_fn(bias_posterior_tensor_fn)
        self.kernel_divergence_fn = kernel_divergence_fn
        self.bias_divergence_fn = bias_divergence_fn
        self.kl_weight = None if kl_weight is None else float(kl_weight)

        def build(fn, shape):
            return None if fn is None else fn(self.dtype, shape, rngs)

        self.kernel_posterior = build(kernel_posterior_fn, self.kernel_shape)
        self.kernel_prior = build(kernel_prior_fn, self.kernel_shape)
        self.bias_posterior = build(bias_posterior_fn, (self.units,))
        self.bias_prior = build(bias_prior_fn, (self.units,))
        if self.kernel_posterior is None:
            raise ValueError(f"{owner}: kernel_posterior_fn must build a posterior, got None.")
        self.rngs = rngs[rng_collection].fork()
        self.regularization_term = RegularizationLoss(jnp.zeros((), self.dtype))

    def _apply(self, x: jax.Array, kernel: jax.Array) -> jax.Array:
        raise NotImplementedError(f"{type(self).__name__} must define _apply(x, kernel).")

    def _kernel_output(self, x: jax.Array, posterior: Distribution, key: jax.Array):
        """`(output, kernel draw or None)` by the class's `_estimator`."""
        if self._estimator == "reparameterization":
            return reparameterization_output(self._apply, x, posterior, self.kernel_posterior_tensor_fn, key)
        loc, scale = mean_field_normal_parts(posterior, type(self).__name__)
        if self._estimator == "flipout":
            return flipout_output(self._apply, x, loc, scale, key, len(self.kernel_shape) - 2), None
        return local_reparameterization_output(self._apply, x, loc, scale, key), None

    def _check_inputs(self, inputs) -> jax.Array:
        x = jnp.asarray(inputs)
        if x.ndim == 0 or x.shape[-1] != self.kernel_shape[-2]:
            raise ValueError(f"{type(self).__name__}: inputs must have last dimension "
                             f"{self.kernel_shape[-2]} (the layer's input size), got shape {x.shape}.")
        return x.astype(self.dtype)

    def __call__(self, inputs) -> jax.Array:
        """One stochastic forward pass; records the weighted divergence in `regularization_term`."""
        x = self._check_inputs(inputs)
        kernel_key, bias_key = jax.random.split(self.rngs())
        kernel_q = self.kernel_posterior()
        outputs, kernel_draw = self._kernel_output(x, kernel_q, kernel_key)
        divergence = _divergence(self.kernel_divergence_fn, kernel_q, self.kernel_prior, kernel_draw)
        if self.bias_posterior is not None:
            bias_q = self.bias_posterior()
            bias = posterior_tensor(bias_q, self.bias_posterior_tensor_fn, bias_key)
            outputs = outputs + bias.reshape((1,) * (outputs.ndim - 1) + bias.shape)
            divergence = divergence + _divergence(self.bias_divergence_fn, bias_q, self.bias_prior, bias)
        if self.kl_weight is not None:
            divergence = self.kl_weight * divergence
        record_regularization_loss(self.regularization_term, divergence)
        return outputs if self.activation is None else self.activation(outputs)


def _divergence(divergence_fn: DivergenceFn | None, posterior: Distribution, prior_module, draw) -> jax.Array:
    """`sum(divergence_fn(q, p, draw))`, or 0 without a prior or a divergence function."""
    if divergence_fn is None or prior_module is None:
        return jnp.zeros((), posterior.dtype)
    return jnp.sum(divergence_fn(posterior, prior_module(), draw))


class VariationalDense(VariationalLayer):
    """Base of the dense variational layers: kernel `[in_features, units]`, output `inputs @ kernel + bias`.

    Args:
      in_features: size of the inputs' last dimension.
      units: size of the outputs' last dimension.
      activation: function applied to the output (None: identity).
      **options: the keyword arguments of `VariationalLayer` (posteriors, priors, divergences,
        `kl_weight`, `dtype`, `rngs`).

    Example:
      >>> from probax.layers.dense_flipout import DenseFlipout
      >>> isinstance(DenseFlipout(3, 2, rngs=nnx.Rngs(0)), VariationalDense)
      True

    """

    def __init__(self, in_features: int, units: int, activation=None, **options):
        super().__init__(positive_ints((in_features, units), ("in_features", "units"), type(self).__name__),
                         activation, **options)

    def _apply(self, x, kernel):
        return jnp.einsum("...i,io->...o", x, kernel)


def positive_ints(values, names, owner: str) -> tuple[int, ...]:
    """`values` as a tuple after checking each is a positive int (a `ValueError` naming it otherwise).

    Example:
      >>> positive_ints((3, 2), ("in_features", "units"), "DenseFlipout")
      (3, 2)

    """
    for value, name in zip(values, names, strict=True):
        if isinstance(value, bool) or not isinstance(value, int) or value < 1:
            raise ValueError(f"{owner}: {name} must be a positive int, got {value!r}.")
    return tuple(values)


def _pair(value, name: str, owner: str) -> tuple[int, int]:
    pair = (value, value) if isinstance(value, int) and not isinstance(value, bool) else tuple(value)
    if len(pair) != 2:
        raise ValueError(f"{owner}: {name} must be an int or a pair of ints, got {value!r}.")
    return positive_ints(pair, (name, name), owner)


class VariationalConv2D(VariationalLayer):
    """Base of the 2-D convolutional variational layers (NHWC inputs, HWIO kernel, as Flax).

    Args:
      in_features: input channels (the inputs' last dimension).
      filters: output channels.
      kernel_size: an int or a pair `(height, width)`.
      strides: an int or a pair.
      padding: "VALID" (TFP's default) or "SAME" (case-insensitive).
      activation: function applied to the output (None: identity).
      **options: the keyword arguments of `VariationalLayer`.

    Inputs are `[..., height, width, in_features]`; any leading dimensions are batch dimensions.

    Example:
      >>> from probax.layers.conv_reparameterization import Conv2DReparameterization
      >>> layer = Conv2DReparameterization(3, 4, 3, padding="same", rngs=nnx.Rngs(0))
      >>> layer(jnp.ones((2, 8, 8, 3))).shape
      (2, 8, 8, 4)

    """

    def __init__(self, in_features: int, filters: int, kernel_size, strides=1, padding: str = "VALID",
                 activation=None, **options):
        owner = type(self).__name__
        in_features, filters = positive_ints((in_features, filters), ("in_features", "filters"), owner)
        height, width = _pair(kernel_size, "kernel_size", owner)
        self.strides = _pair(strides, "strides", owner)
        if not isinstance(padding, str) or padding.upper() not in ("SAME", "VALID"):
            raise ValueError(f"{owner}: padding must be 'SAME' or 'VALID', got {padding!r}.")
        self.padding = padding.upper()
        super().__init__((height, width, in_features, filters), activation, **options)

    def _check_inputs(self, inputs) -> jax.Array:
        x = super()._check_inputs(inputs)
        if x.ndim < 3:
            raise ValueError(f"{type(self).__name__}: inputs must be [..., height, width, channels], "
                             f"got shape {x.shape}.")
        return x

    def _apply(self, x, kernel):
        batch_shape = x.shape[:-3]
        images = x.reshape((-1, *x.shape[-3:]))
        out = jax.lax.conv_general_dilated(images, kernel, self.strides, self.padding,
                                           dimension_numbers=("NHWC", "HWIO", "NHWC"))
        return out.reshape(batch_shape + out.shape[1:])
