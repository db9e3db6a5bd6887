"""Conv2DFlipout: a 2-D convolution with a mean-field normal kernel and per-example Flipout perturbations."""

from __future__ import annotations

from typing import ClassVar

from probax.layers.variational_layer import VariationalConv2D


class Conv2DFlipout(VariationalConv2D):
    """`activation(conv(x, W_n) + b)` with each example's `W_n ~ q(W)`, by Flipout (TFP's layer, in NNX).

    `conv(x, loc) + conv(x * r, scale * eps) * s` with one `eps` draw and Rademacher signs per
    example and channel (`r` over input channels, `s` over filters, shared across positions, as
    TFP). The kernel posterior must be `Independent(Normal)`; see `DenseFlipout`.

    Args:
      in_features: input channels.
      filters: output channels.
      kernel_size: an int or a pair.
      strides: an int or a pair (default 1).
      padding: "VALID" (default, as TFP) or "SAME".
      activation: function applied to the output (None: identity).
      **options: as `DenseReparameterization`; `kernel_posterior_tensor_fn` is unused.

    Example:
      >>> from flax import nnx
      >>> layer = Conv2DFlipout(3, 8, kernel_size=(3, 3), padding="SAME", rngs=nnx.Rngs(0))
      >>> layer(jnp.ones((2, 6, 6, 3))).shape
      (2, 6, 6, 8)

    """

    _estimator: ClassVar[str] = "flipout"
