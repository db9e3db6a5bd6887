"""Conv2DReparameterization: a 2-D convolution with a random kernel, one draw per call."""

from __future__ import annotations

from probax.layers.variational_layer import VariationalConv2D


class Conv2DReparameterization(VariationalConv2D):
    """`activation(conv(inputs, W) + b)` with `W ~ q(W)` drawn on each call (TFP's layer, in NNX).

    NHWC inputs and an HWIO kernel `[kh, kw, in_features, filters]`, as `flax.nnx.Conv`. The
    kernel's posterior, prior and divergence work as in `DenseReparameterization` (use
    `kl_weight=1 / num_training_examples` with `probax.training.fit`).

    Args:
      in_features: input channels.
      filters: output channels.
      kernel_size: an int or a pair.
      strides: an int or a pair (default 1).
      padding: "VALID" (default, as TFP) or "SAME".
      activation: function applied to the output (None: identity).
      **options: as `DenseReparameterization` (posteriors, priors, divergences, `kl_weight`,
        `dtype`, `rng_collection`, `rngs`).

    Example:
      >>> from flax import nnx
      >>> layer = Conv2DReparameterization(1, 2, kernel_size=3, strides=2, rngs=nnx.Rngs(0))
      >>> layer(jnp.ones((5, 9, 9, 1))).shape
      (5, 4, 4, 2)

    """
