"""DenseLocalReparameterization: a dense layer whose pre-activations are drawn from their normal law."""

from __future__ import annotations

from typing import ClassVar

from probax.layers.variational_layer import VariationalDense


class DenseLocalReparameterization(VariationalDense):
    """`activation(z + b)`, `z ~ Normal(x @ loc, sqrt(x**2 @ scale**2))` (TFP's layer, in NNX).

    The local reparameterization trick (Kingma, Salimans & Welling 2015): with a mean-field
    normal kernel posterior, each pre-activation of `x @ W` is normal, so it is drawn directly,
    independently per example and unit (lower-variance gradients, one extra matrix product).
    The kernel posterior must be `Independent(Normal)`; `kernel_divergence_fn` receives None as
    the draw. Use `kl_weight=1 / num_training_examples` with `probax.training.fit`.

    Args:
      in_features: size of the inputs' last dimension.
      units: output size.
      activation: function applied to the output (None: identity).
      **options: as `DenseReparameterization`; `kernel_posterior_tensor_fn` is unused.

    Example:
      >>> from flax import nnx
      >>> layer = DenseLocalReparameterization(3, 2, rngs=nnx.Rngs(0))
      >>> layer(jnp.ones((4, 3))).shape
      (4, 2)

    """

    _estimator: ClassVar[str] = "local_reparameterization"
