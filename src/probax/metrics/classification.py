"""Scores of probabilistic classifiers: expected calibration error, Brier score, reliability bins.

Accepted predictive distributions and labels:
- `Categorical` (integer labels), `Bernoulli` or `Independent(Bernoulli)` (0/1 labels, each
  coordinate one binary prediction);
- distributions over one-hot vectors, `OneHotCategorical` and mixtures of them (one-hot labels;
  the class probabilities are the distribution's mean).
"""

from __future__ import annotations

import jax
import jax.numpy as jnp

from probax.distributions.bernoulli import Bernoulli
from probax.distributions.categorical import Categorical
from probax.distributions.distribution import Distribution
from probax.distributions.independent import Independent
from probax.metrics._scalar_event import require_distribution


def class_probabilities(dist: Distribution, y, owner: str = "class_probabilities"):
    """Predicted class probabilities `[N, C]` and integer labels `[N]`, flattened over points.

    Args:
      dist: a classifier's predictive distribution (see the module docstring).
      y: labels (integers, 0/1, or one-hot vectors), broadcasting with the batch.
      owner: the metric named in errors.

    Returns:
      `(probs, labels)`; a binary prediction has C = 2 with probabilities `[1 - p, p]`.

    Example:
      >>> probs, labels = class_probabilities(Bernoulli(probs=jnp.array([0.2, 0.9])), jnp.array([0, 1]))
      >>> probs.round(3).tolist(), labels.tolist()
      ([[0.8, 0.2], [0.1, 0.9]], [0, 1])

    """
    require_distribution(dist, owner)
    y = jnp.asarray(y)
    if isinstance(dist, Independent) and isinstance(dist.distribution, Bernoulli):
        dist = dist.distribution
    if isinstance(dist, Categorical):
        probs, labels = dist.probs_parameter(), y
    elif isinstance(dist, Bernoulli):
        p = dist.probs_parameter()
        probs, labels = jnp.stack([1 - p, p], axis=-1), y
    elif len(dist.event_shape) == 1:
        if y.ndim == 0 or y.shape[-1] != dist.event_shape[0]:
            raise ValueError(f"{owner}: one-hot labels must end with {dist.event_shape[0]} classes, "
                             f"got shape {y.shape}.")
        probs, labels = dist.mean(), jnp.argmax(y, axis=-1)
    else:
        raise TypeError(f"{owner}: expected a Categorical, Bernoulli or one-hot distribution, "
                        f"got {type(dist).__name__} with event_shape {dist.event_shape}.")
    shape = jnp.broadcast_shapes(probs.shape[:-1], labels.shape)
    probs = jnp.broadcast_to(probs.reshape((1,) * (len(shape) + 1 - probs.ndim) + probs.shape),
                             shape + probs.shape[-1:])
    labels = jnp.broadcast_to(labels, shape).astype(jnp.int32)
    return probs.reshape(-1, probs.shape[-1]), labels.reshape(-1)


def calibration_bins(dist: Distribution, y, num_bins: int = 10):
    """Reliability-diagram data: per confidence bin, the mean confidence, the accuracy and the count.

    Confidence is the largest class probability; bins split [0, 1] into `num_bins` equal intervals
    `(i / num_bins, (i + 1) / num_bins]`. Empty bins report confidence and accuracy 0.

    Example:
      >>> conf, acc, count = calibration_bins(Bernoulli(probs=jnp.array([0.9, 0.9])), jnp.array([1, 0]), 2)
      >>> conf.round(3).tolist(), acc.tolist(), count.tolist()
      ([0.0, 0.9], [0.0, 0.5], [0, 2])

    """
    probs, labels = class_probabilities(dist, y, "calibration_bins")
    confidence, correct, bins = _confidence_correct_bins(probs, labels, num_bins)
    count = jax.ops.segment_sum(jnp.ones_like(bins), bins, num_segments=num_bins)
    total_confidence = jax.ops.segment_sum(confidence, bins, num_segments=num_bins)
    total_correct = jax.ops.segment_sum(correct, bins, num_segments=num_bins)
    denominator = jnp.maximum(count, 1).astype(confidence.dtype)
    return total_confidence / denominator, total_correct / denominator, count


def _confidence_correct_bins(probs, labels, num_bins: int):
    if isinstance(num_bins, bool) or not isinstance(num_bins, int) or num_bins < 1:
        raise ValueError(f"num_bins must be a positive int, got {num_bins!r}.")
    confidence = jnp.max(probs, axis=-1)
    correct = (jnp.argmax(probs, axis=-1) == labels).astype(probs.dtype)
    bins = jnp.clip(jnp.ceil(confidence * num_bins).astype(jnp.int32) - 1, 0, num_bins - 1)
    return confidence, correct, bins


def expected_calibration_error(dist: Distribution, y, num_bins: int = 10) -> jax.Array:
    """ECE = sum over confidence bins of (bin size / N) * |accuracy - mean confidence|.

    Args:
      dist: a classifier's predictive distribution (see the module docstring).
      y: labels.
      num_bins: equal-width confidence bins on [0, 1].

    Returns:
      A scalar in [0, 1].

    Example:
      >>> float(expected_calibration_error(Bernoulli(probs=jnp.array([0.9, 0.9])), jnp.array([1, 0])))
      0.4

    """
    probs, labels = class_probabilities(dist, y, "expected_calibration_error")
    confidence, correct, bins = _confidence_correct_bins(probs, labels, num_bins)
    gaps = jax.ops.segment_sum(correct - confidence, bins, num_segments=num_bins)
    return jnp.sum(jnp.abs(gaps)) / labels.shape[0]


def brier_score(dist: Distribution, y, reduce: bool = True) -> jax.Array:
    """Brier score: squared error of the predicted probabilities (lower is better).

    For C classes, `sum_c (p_c - 1{c = y})^2` (Brier's definition, in [0, 2]); for a binary
    prediction (Bernoulli), `(p - y)^2` (in [0, 1], scikit-learn's `brier_score_loss`).

    Args:
      dist: a classifier's predictive distribution (see the module docstring).
      y: labels.
      reduce: return the mean over points; False returns one value per (flattened) point.

    Example:
      >>> round(float(brier_score(Bernoulli(probs=jnp.array([0.9, 0.2])), jnp.array([1, 0]))), 6)
      0.025

    """
    probs, labels = class_probabilities(dist, y, "brier_score")
    one_hot = jax.nn.one_hot(labels, probs.shape[-1], dtype=probs.dtype)
    values = jnp.sum(jnp.square(probs - one_hot), axis=-1)
    if _is_binary(dist):
        values = values / 2  # both classes carry the same squared error
    return jnp.mean(values) if reduce else values


def _is_binary(dist: Distribution) -> bool:
    inner = dist.distribution if isinstance(dist, Independent) else dist
    return isinstance(inner, Bernoulli)
