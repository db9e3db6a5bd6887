"""Continuous ranked probability score: CRPS(F, y) = integral of (F(x) - 1{x >= y})^2 dx.

Closed forms for a Normal and a finite mixture of Normals (Grimit et al., 2006); otherwise the
sample estimate E|X - y| - E|X - X'| / 2 (the "fair" estimator: the second expectation averages
over distinct pairs of draws, computed from the sorted draws in O(n log n)).
"""

from __future__ import annotations

import math

import jax
import jax.numpy as jnp
from jax.scipy.special import ndtr

from probax._internal.prng import as_key
from probax.distributions.batch_reshape import BatchReshape
from probax.distributions.distribution import Distribution
from probax.distributions.independent import Independent
from probax.distributions.mixture_same_family import MixtureSameFamily
from probax.distributions.normal import Normal
from probax.metrics._scalar_event import scalar_distribution, scalar_observations

_INV_SQRT_2PI = 1.0 / math.sqrt(2.0 * math.pi)


def _expected_abs_normal(m, s):
    """E|Z| for Z ~ Normal(m, s^2): 2 s phi(m / s) + m (2 Phi(m / s) - 1)."""
    z = m / s
    return 2 * s * _INV_SQRT_2PI * jnp.exp(-0.5 * jnp.square(z)) + m * (2 * ndtr(z) - 1)


def _is_normal(dist: Distribution) -> bool:
    """True for a Normal seen through the wrappers that keep a scalar-event view of it."""
    while isinstance(dist, Independent | BatchReshape):
        dist = dist.distribution
    return isinstance(dist, Normal)


def _normal_mixture_parts(dist: Distribution):
    """(weights, locs, scales), component axis last and shaped `batch + [K]`, or None if not Normal(s)."""
    if _is_normal(dist):
        shape = (*dist.batch_shape, 1)
        return (jnp.ones(shape, dist.dtype), dist.mean().reshape(shape), dist.stddev().reshape(shape))
    if isinstance(dist, MixtureSameFamily) and _is_normal(dist.components_distribution):
        components = dist.components_distribution
        shape = components.batch_shape
        logits = dist.mixture_distribution.logits_parameter()
        logits = logits.reshape((1,) * (len(shape) - logits.ndim) + logits.shape)
        weights = jax.nn.softmax(jnp.broadcast_to(logits, shape), axis=-1)
        return weights, components.mean().reshape(shape), components.stddev().reshape(shape)
    return None


def _normal_mixture_crps(weights, locs, scales, y):
    """Closed-form CRPS of sum_k w_k N(mu_k, s_k^2) at `y` (all arguments broadcast; component axis last)."""
    y = y[..., None]
    first = jnp.sum(weights * _expected_abs_normal(y - locs, scales), axis=-1)
    pair_loc = locs[..., :, None] - locs[..., None, :]
    pair_scale = jnp.sqrt(jnp.square(scales[..., :, None]) + jnp.square(scales[..., None, :]))
    pair_weight = weights[..., :, None] * weights[..., None, :]
    second = jnp.sum(pair_weight * _expected_abs_normal(pair_loc, pair_scale), axis=(-2, -1))
    return first - 0.5 * second


def sample_crps(samples, y) -> jax.Array:
    """CRPS estimated from draws: mean_i |X_i - y| - (1/2) mean over pairs i != j of |X_i - X_j|.

    Args:
      samples: draws shaped `[n] + shape` (n >= 2), the first axis indexing draws.
      y: observations broadcasting with `shape`.

    Returns:
      The estimate, shaped like the broadcast of `shape` and `y`.

    Example:
      >>> round(float(sample_crps(jnp.array([0., 1.]), 0.)), 6)
      0.0

    """
    samples = jnp.asarray(samples)
    if samples.ndim == 0 or samples.shape[0] < 2:
        raise ValueError(
            f"sample_crps: samples need a leading axis of at least 2 draws, got shape {samples.shape}."
        )
    y = jnp.asarray(y, samples.dtype)
    n = samples.shape[0]
    shape = jnp.broadcast_shapes(samples.shape[1:], y.shape)
    samples = jnp.broadcast_to(samples, (n, *shape))
    y = jnp.broadcast_to(y, shape)
    to_observation = jnp.mean(jnp.abs(samples - y[None]), axis=0)
    ordered = jnp.sort(samples, axis=0)
    # sum_{i<j} |x_(j) - x_(i)| = sum_i (2i - n - 1) x_(i) with 1-based ranks i.
    ranks = (2 * jnp.arange(1, n + 1) - n - 1).astype(samples.dtype).reshape((n,) + (1,) * len(shape))
    mean_pair_distance = 2 * jnp.sum(ranks * ordered, axis=0) / (n * (n - 1))
    return to_observation - 0.5 * mean_pair_distance


def crps(dist: Distribution, y, num_samples: int = 1000, seed=None, reduce: bool = True) -> jax.Array:
    """Continuous ranked probability score of a scalar predictive distribution (lower is better).

    Exact for `Normal` and mixtures of Normals (including the `IndependentNormal(1)` and
    `MixtureNormal(k, [1])` heads); other distributions use `num_samples` draws (needs `seed`).

    Args:
      dist: predictive distribution whose event holds one number (event shape `()` or all ones).
      y: observations shaped `batch_shape + event_shape` (broadcasting).
      num_samples: draws for the sample estimate.
      seed: key or int for the sample estimate.
      reduce: return the mean over points; False returns one value per point.

    Returns:
      A scalar, or one value per point.

    Example:
      >>> round(float(crps(Normal(0., 1.), 0.)), 6)
      0.233695

    """
    scalar = scalar_distribution(dist, "crps")
    y = scalar_observations(dist, y, "crps")
    parts = _normal_mixture_parts(scalar)
    if parts is not None:
        weights, locs, scales = parts
        batch = jnp.broadcast_shapes(scalar.batch_shape, y.shape)
        full = batch + weights.shape[-1:]
        weights, locs, scales = (jnp.broadcast_to(p.reshape((1,) * (len(full) - p.ndim) + p.shape), full)
                                 for p in (weights, locs, scales))
        values = _normal_mixture_crps(weights, locs, scales, jnp.broadcast_to(y, batch).astype(locs.dtype))
    else:
        draws = scalar.sample(num_samples, seed=as_key(seed, "crps (sample estimate)"))
        values = sample_crps(draws, y)
    return jnp.mean(values) if reduce else values
