"""DenseReparameterization: a dense layer with a random kernel, one draw per call (Bayes by backprop)."""

from __future__ import annotations

from probax.layers.variational_layer import VariationalDense


class DenseReparameterization(VariationalDense):
    """`activation(inputs @ W + b)` with `W ~ q(W)` drawn afresh on each call (TFP's layer, in NNX).

    The reparameterization estimator (Kingma & Welling 2014; Blundell et al. 2015): one kernel
    draw shared by the batch, so gradients reach the posterior's `loc` and scale through the
    draw. Each call records `kl_weight * KL[q || p]` in `regularization_term`, which
    `probax.training.fit` adds to the loss: use `kl_weight=1 / num_training_examples`.

    Args:
      in_features: size of the inputs' last dimension (NNX layers are built eagerly).
      units: output size.
      activation: function applied to the output (None: identity).
      kernel_posterior_fn: `fn(dtype, shape, rngs) -> module` returning the posterior when
        called; default `default_mean_field_normal_fn()` (TFP's initialization).
      kernel_posterior_tensor_fn: how the posterior becomes the kernel: "sample" (default),
        "mean", ... or a callable.
      kernel_prior_fn: builder of the prior (default: fixed standard normal; None: no KL).
      kernel_divergence_fn: `fn(q, p, kernel_draw)`; default analytic KL when registered.
      bias_posterior_fn: default a point estimate (None: no bias).
      bias_posterior_tensor_fn: how the bias posterior becomes the bias.
      bias_prior_fn: default None (no bias KL).
      bias_divergence_fn: `fn(q, p, bias_draw)`.
      kl_weight: multiplier of the recorded divergence.
      dtype: parameter and computation dtype (default float32).
      rng_collection: stream of `rngs` for the weight noise (default "sample").
      rngs: an `nnx.Rngs`.

    Example:
      >>> from flax import nnx
      >>> layer = DenseReparameterization(3, 2, kl_weight=1 / 100, rngs=nnx.Rngs(0))
      >>> y1, y2 = layer(jnp.ones((4, 3))), layer(jnp.ones((4, 3)))
      >>> y1.shape, bool(jnp.all(y1 != y2)), layer.regularization_term.get_value().shape
      ((4, 2), True, ())

    """
