"""Loss terms that layers add to the training objective (Keras' `add_loss`), as NNX variables.

A layer that contributes a term (a KL penalty on a latent distribution, a weight prior) holds a
`RegularizationLoss` variable and overwrites it with its term on every call, so after a forward pass
the model's state holds exactly the terms of that pass. The training loop adds
`regularization_loss(model)` to the data loss inside the function it differentiates; gradients reach
the parameters because the value is computed in the same trace.
"""

from __future__ import annotations

import jax
import jax.numpy as jnp
from flax import nnx


class RegularizationLoss(nnx.Variable):
    """A scalar loss term written by a layer on its last call (not trained, not a parameter).

    Create the variable in the layer's `__init__` and set it in `__call__`
    (`record_regularization_loss(self.kl, value)` or `self.kl[...] = value`), so the
    model's state keeps one structure from step to step. `probax.fit` adds the sum of all
    of them to each batch's mean data loss as recorded: scale a KL term in the layer (by
    `1 / num_examples`, TFP's `kl_weight`).

    Example:
      >>> v = RegularizationLoss(jnp.zeros(()))
      >>> isinstance(v, nnx.Variable)
      True

    """


def record_regularization_loss(variable: RegularizationLoss, value) -> None:
    """Store the scalar `value` in `variable`, keeping the variable's dtype (so jit caches stay valid).

    Example:
      >>> v = RegularizationLoss(jnp.zeros((), jnp.float32))
      >>> record_regularization_loss(v, 2.0)
      >>> float(v.get_value())
      2.0

    """
    value = jnp.asarray(value)
    if value.shape != ():
        raise ValueError(f"record_regularization_loss: value must be a scalar, got shape {value.shape}.")
    variable.set_value(value.astype(variable.get_value().dtype))


def regularization_loss(model: nnx.Module) -> jax.Array:
    """The sum of every `RegularizationLoss` in `model` (0 when there is none).

    Call it after the forward pass, inside the differentiated loss function:
    `loss = nll(dist, y) + regularization_loss(model)`.

    Example:
      >>> from probax.layers.kl_regularizer import KLDivergenceAddLoss
      >>> from probax.distributions import Normal
      >>> layer = KLDivergenceAddLoss(Normal(0., 1.), use_exact_kl=True)
      >>> _ = layer(Normal(1., 1.))
      >>> float(regularization_loss(layer))
      0.5

    """
    terms = jax.tree_util.tree_leaves(nnx.state(model, RegularizationLoss))
    # A weakly typed zero start keeps the terms' own precision (float32 stays float32 under x64).
    return sum((jnp.sum(term) for term in terms), start=jnp.asarray(0.0))
