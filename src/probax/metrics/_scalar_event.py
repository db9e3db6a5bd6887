"""Viewing a predictive distribution as scalar-valued: what the univariate metrics need.

Regression heads often have event shape `(1,)` (`IndependentNormal(1)`, `MixtureNormal(k, [1])`).
The univariate metrics accept any distribution whose event holds one number: it is rewritten with a
scalar event (the unit event dimensions become batch dimensions and are dropped), and the
observations lose their trailing unit event dimensions.
"""

from __future__ import annotations

import math

import jax
import jax.numpy as jnp

from probax.distributions.batch_reshape import BatchReshape
from probax.distributions.distribution import Distribution
from probax.distributions.independent import Independent
from probax.distributions.mixture_same_family import MixtureSameFamily


def require_distribution(dist, owner: str) -> None:
    """TypeError naming `owner` unless `dist` is a probax Distribution."""
    if not isinstance(dist, Distribution):
        raise TypeError(f"{owner}: dist must be a probax Distribution, got {type(dist).__name__}.")


def scalar_distribution(dist: Distribution, owner: str) -> Distribution:
    """`dist` rewritten with event shape `()` and the same batch (ValueError if events hold several numbers).

    Example:
      >>> from probax.distributions import Normal
      >>> scalar_distribution(Independent(Normal(jnp.zeros([3, 1]), 1.), 1), "pit").event_shape
      ()

    """
    require_distribution(dist, owner)
    if dist.event_shape == ():
        return dist
    if math.prod(dist.event_shape) != 1:
        raise ValueError(f"{owner}: needs a distribution of scalar values (event_shape () or all ones), "
                         f"got event_shape {dist.event_shape}.")
    if isinstance(dist, Independent) and dist.distribution.event_shape == ():
        return BatchReshape(dist.distribution, dist.batch_shape)
    if isinstance(dist, MixtureSameFamily):
        components = scalar_distribution(dist.components_distribution, owner)
        return MixtureSameFamily(dist.mixture_distribution, components)
    raise ValueError(f"{owner}: cannot view {type(dist).__name__} with event_shape {dist.event_shape} as a "
                     "scalar distribution; give one with event_shape ().")


def scalar_observations(dist: Distribution, y, owner: str) -> jax.Array:
    """`y` without the trailing unit event dimensions of `dist`, as a floating array.

    Example:
      >>> from probax.distributions import Normal
      >>> scalar_observations(Independent(Normal(jnp.zeros([3, 1]), 1.), 1), jnp.ones((3, 1)), "pit").shape
      (3,)

    """
    y = jnp.asarray(y)
    if not jnp.issubdtype(y.dtype, jnp.floating):
        y = y.astype(jnp.result_type(float))
    event = dist.event_shape
    if event:
        if y.shape[y.ndim - len(event):] != event:
            raise ValueError(f"{owner}: y must end with the event shape {event}, got shape {y.shape}.")
        y = y.reshape(y.shape[: y.ndim - len(event)])
    return y

