"""Negative log-likelihood: the proper scoring rule the heads are trained with."""

from __future__ import annotations

import jax
import jax.numpy as jnp

from probax.distributions.distribution import Distribution
from probax.metrics._scalar_event import require_distribution


def nll(dist: Distribution, y, reduce: bool = True) -> jax.Array:
    """Negative log-likelihood `-dist.log_prob(y)`, averaged over every point by default.

    The training-loss form with Keras' argument order is `lambda y, dist: nll(dist, y)`.

    Args:
      dist: the predictive distribution (batch of points).
      y: observations shaped `batch_shape + event_shape` (broadcasting).
      reduce: return the mean; False returns one value per point.

    Returns:
      A scalar, or an array shaped like `dist.log_prob(y)`.

    Example:
      >>> from probax.distributions import Normal
      >>> round(float(nll(Normal(jnp.zeros(2), 1.), jnp.array([0., 1.]))), 6)
      1.168939

    """
    require_distribution(dist, "nll")
    values = -dist.log_prob(y)
    return jnp.mean(values) if reduce else values
