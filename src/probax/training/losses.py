"""The training loss: negative log-likelihood with Keras' argument order, plus layers' loss terms.

A probabilistic model returns a distribution, and its loss is Keras' `loss(y_true, y_pred)`
with `y_pred` that distribution: `nll(y, dist) = -dist.log_prob(y)`, one value per example.
`probax.training.fit` and `evaluate` average it over the batch (masking the padding of the
last batch), so the same function serves a hand-written loop as `jnp.mean(nll(y, model(x)))`.

Layers that contribute a term of their own to the training objective (the KL divergence of
a variational layer, a prior penalty of a head) record it during the forward pass in a
`RegularizationLoss` variable (defined in `probax.layers`); `fit` and `evaluate` add the sum
of all of them found in the model to the averaged data loss, as Keras adds `model.losses`.
"""

from __future__ import annotations

import jax

from probax.layers.regularization_loss import RegularizationLoss, regularization_loss
from probax.metrics import likelihood

__all__ = ["RegularizationLoss", "nll", "regularization_loss"]


def nll(y_true, y_pred) -> jax.Array:
    """Negative log-likelihood of the observations under the predicted distribution.

    Args:
      y_true: observed values, shaped like a draw from `y_pred`.
      y_pred: the probax distribution the model predicts.

    Returns:
      `-y_pred.log_prob(y_true)`: one value per example (the batch shape of `y_pred`); the
      training loop takes the mean.

    Raises:
      TypeError: when `y_pred` is not a distribution (the model's last layer returned something else).

    This is `probax.metrics.nll(dist, y, reduce=False)` with Keras' argument order.

    Example:
      >>> from probax.distributions.normal import Normal
      >>> values = nll(jnp.array([0., 1.]), Normal(loc=0., scale=1.))
      >>> [round(float(v), 4) for v in values]
      [0.9189, 1.4189]

    """
    return likelihood.nll(y_pred, y_true, reduce=False)
