"""DenseFlipout: a dense layer with a mean-field normal kernel and per-example Flipout perturbations."""

from __future__ import annotations

from typing import ClassVar

from probax.layers.variational_layer import VariationalDense


class DenseFlipout(VariationalDense):
    """`activation(inputs @ W_n + b)` with each example's `W_n ~ q(W)`, by Flipout (TFP's layer, in NNX).

    Flipout (Wen et al. 2018): `x @ loc + ((x * r) @ (scale * eps)) * s` with one `eps` draw and
    Rademacher signs `r`, `s` per example, so examples get decorrelated kernels (lower-variance
    gradients than `DenseReparameterization`) at about twice the cost. The kernel posterior must
    be a mean-field normal, `Independent(Normal)`. The divergence is recorded as in
    `DenseReparameterization` (use `kl_weight=1 / num_training_examples`); there is no single kernel
    draw, so `kernel_divergence_fn` receives None and the default needs an analytic KL.

    Args:
      in_features: size of the inputs' last dimension.
      units: output size.
      activation: function applied to the output (None: identity).
      **options: as `DenseReparameterization` (posteriors, priors, divergences, `kl_weight`,
        `dtype`, `rng_collection`, `rngs`); `kernel_posterior_tensor_fn` is unused.

    Example:
      >>> from flax import nnx
      >>> layer = DenseFlipout(3, 2, activation=jax.nn.relu, rngs=nnx.Rngs(0))
      >>> out = layer(jnp.ones((4, 3)))
      >>> out.shape, bool(jnp.all(out >= 0))
      ((4, 2), True)

    """

    _estimator: ClassVar[str] = "flipout"
