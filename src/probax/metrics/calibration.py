"""Calibration of scalar predictive distributions: probability integral transform and interval coverage."""

from __future__ import annotations

import jax
import jax.numpy as jnp

from probax.distributions.distribution import Distribution
from probax.metrics._scalar_event import scalar_distribution, scalar_observations


def pit(dist: Distribution, y) -> jax.Array:
    """Probability integral transform `F(y)`: uniform on [0, 1] when the predictions are calibrated.

    Args:
      dist: predictive distribution whose event holds one number (event shape `()` or all ones).
      y: observations shaped `batch_shape + event_shape` (broadcasting).

    Returns:
      One value in [0, 1] per point (for discrete distributions, the plain non-randomized cdf).

    Example:
      >>> from probax.distributions import Normal
      >>> pit(Normal(jnp.zeros(2), 1.), jnp.array([0., 10.])).round(3).tolist()
      [0.5, 1.0]

    """
    return scalar_distribution(dist, "pit").cdf(scalar_observations(dist, y, "pit"))


def coverage(dist: Distribution, y, level: float = 0.9, reduce: bool = True) -> jax.Array:
    """Fraction of observations inside the central `level` predictive interval.

    The interval runs from the `(1 - level) / 2` to the `(1 + level) / 2` quantile, so a calibrated
    model covers a fraction `level` of the points.

    Args:
      dist: predictive distribution whose event holds one number (needs `quantile`).
      y: observations shaped `batch_shape + event_shape` (broadcasting).
      level: the interval's probability, in (0, 1).
      reduce: return the fraction; False returns one boolean per point.

    Returns:
      A scalar in [0, 1], or booleans per point.

    Example:
      >>> from probax.distributions import Normal
      >>> float(coverage(Normal(jnp.zeros(4), 1.), jnp.array([0., 1., 2., -3.]), level=0.9))
      0.5

    """
    if not 0 < level < 1:
        raise ValueError(f"coverage: level must lie in (0, 1), got {level!r}.")
    scalar = scalar_distribution(dist, "coverage")
    y = scalar_observations(dist, y, "coverage")
    tail = (1 - level) / 2
    low, high = scalar.quantile(tail), scalar.quantile(1 - tail)
    y, low, high = jnp.broadcast_arrays(y, low, high)
    inside = (y >= low) & (y <= high)
    return jnp.mean(inside.astype(low.dtype)) if reduce else inside
