"""The Multinomial distribution: class counts of `total_count` categorical draws."""

from __future__ import annotations

from dataclasses import dataclass

import jax
import jax.numpy as jnp

from probax.distributions import constraints
from probax.distributions.binomial import log_binomial_coefficient
from probax.distributions.categorical import Categorical
from probax.distributions.distribution import NOT_REPARAMETERIZED, Distribution, ParameterProperties
from probax.distributions.parameterization import exactly_one
from probax.distributions.simplex_covariance import SimplexCovarianceMixin


@dataclass(frozen=True)
class CountsSummingTo(constraints.IntegerInterval):
    """Vectors of non-negative integers (last axis) that sum to `upper`: one multinomial outcome.

    A subclass of `IntegerInterval` (each count lies in [0, upper]) so that it reads as a
    discrete support, which has no event-space bijector. `upper` has the batch's shape.
    """

    def check(self, x):
        """Membership of each vector `x` (NaN fails)."""
        counts = (x >= 0) & (x == jnp.floor(x))
        return jnp.all(counts, axis=-1) & (jnp.sum(x, axis=-1) == self.upper)

    def violated(self, x):
        """Where a vector without NaN is known not to be a valid outcome."""
        total = jnp.sum(x, axis=-1)
        # NaN != floor(NaN); such vectors are left to propagate NaN by the total's test.
        bad_count = jnp.any((x < 0) | (x != jnp.floor(x)), axis=-1)
        return (bad_count | (total != self.upper)) & ~jnp.isnan(total)


def counts_summing_to(total_count, description: str) -> CountsSummingTo:
    """The support of a multinomial-type family with `total_count` trials (one class axis)."""
    return CountsSummingTo(description, event_ndims=1, lower=0, upper=total_count)


def sample_multinomial(key: jax.Array, total_count: jax.Array, probs: jax.Array, shape: tuple[int, ...],
                       dtype) -> jax.Array:
    """Multinomial counts of shape `shape + [K]` by a chain of K - 1 binomial draws.

    Class k gets Binomial(n - (counts of classes before k), p_k / (p_k + ... + p_{K-1}))
    draws, so the cost does not grow with `total_count`.

    Args:
      key: a `jax.random` key.
      total_count: number of trials, broadcastable to `shape`.
      probs: class probabilities, broadcastable to `shape + [K]`.
      shape: the shape of the draws without the class axis.
      dtype: floating dtype of the counts.

    Returns:
      Counts shaped `shape + [K]`, summing to `total_count` along the last axis.

    Example:
      >>> key, probs = jax.random.key(0), jnp.array([0.2, 0.8])
      >>> sample_multinomial(key, jnp.array(5.0), probs, (3,), jnp.float32).sum(-1).tolist()
      [5.0, 5.0, 5.0]

    """
    num_classes = probs.shape[-1]
    probs = jnp.broadcast_to(probs, (*shape, num_classes)).astype(dtype)
    remaining_mass = jax.lax.cumsum(probs, axis=probs.ndim - 1, reverse=True)
    positive = remaining_mass > 0
    conditional = jnp.where(positive, probs / jnp.where(positive, remaining_mass, 1.0), 0.0)
    conditional = jnp.moveaxis(jnp.clip(conditional[..., :-1], 0.0, 1.0), -1, 0)

    def draw_class(remaining, key_and_probability):
        class_key, probability = key_and_probability
        count = jax.random.binomial(class_key, remaining, probability, shape, dtype)
        return remaining - count, count

    keys = jax.random.split(key, num_classes - 1)
    remaining = jnp.broadcast_to(total_count, shape).astype(dtype)
    last, counts = jax.lax.scan(draw_class, remaining, (keys, conditional))
    return jnp.concatenate([jnp.moveaxis(counts, 0, -1), last[..., None]], axis=-1)


class ClassProbabilitiesMixin:
    """Shape and accessors for families parameterized by class `logits` or `probs` (last axis).

    The host stores `self.logits` and `self.probs`, exactly one of them not None, with the
    K classes on the last axis (Multinomial, OneHotCategorical, the relaxed categoricals);
    the maths of one draw is Categorical's.
    """

    logits: jax.Array | None
    probs: jax.Array | None

    def _categorical(self) -> Categorical:
        """The Categorical distribution over class indices with the same parameters."""
        return Categorical(logits=self.logits, probs=self.probs)

    def _event_shape(self):
        return (self.logits if self.logits is not None else self.probs).shape[-1:]

    def logits_parameter(self) -> jax.Array:
        """Logits, whichever parameter was given (`log(probs)` from probabilities)."""
        return self._categorical().logits_parameter()

    def probs_parameter(self) -> jax.Array:
        """Probabilities, whichever parameter was given (`softmax(logits)` from logits)."""
        return self._categorical().probs_parameter()


class Multinomial(ClassProbabilitiesMixin, SimplexCovarianceMixin, Distribution):
    """Multinomial distribution: how many of `total_count` categorical draws fall in each class.

    P[X = x] = n! / prod_k x_k! * prod_k p_k**x_k for counts x_k >= 0 summing to
    n = `total_count`. Give exactly one of `logits` or `probs` (the class axis is last).

    Args:
      total_count: number of trials, a non-negative integer (stored as a float).
      logits: unnormalized log-probabilities of the classes, shaped `batch_shape + [K]`.
      probs: class probabilities (non-negative, summing to 1 along the last axis).
      validate_args: check parameters and values, raising `ValueError` on bad ones.
      allow_nan_stats: return NaN for undefined statistics instead of raising.
      name: a name for this distribution.

    Example:
      >>> d = Multinomial(total_count=4., probs=jnp.array([0.5, 0.25, 0.25]))
      >>> round(float(d.prob(jnp.array([2., 1., 1.]))), 6)  # 12 * 0.25 * 0.25 * 0.25
      0.1875
      >>> d.mean().tolist()
      [2.0, 1.0, 1.0]

    """

    reparameterization_type = NOT_REPARAMETERIZED

    def __init__(self, total_count, logits=None, probs=None, validate_args=False, allow_nan_stats=True,
                 name=None):
        exactly_one("Multinomial", logits=logits, probs=probs)
        super().__init__(total_count=total_count, logits=logits, probs=probs, validate_args=validate_args,
                         allow_nan_stats=allow_nan_stats, name=name)

    @classmethod
    def _parameter_properties(cls):
        return dict(
            total_count=ParameterProperties(constraint=constraints.nonnegative_integer),
            logits=ParameterProperties(event_ndims=1, constraint=constraints.real),
            probs=ParameterProperties(event_ndims=1, constraint=constraints.simplex),
        )

    def _support(self):
        return counts_summing_to(self.total_count, "counts (non-negative integers) summing to total_count")

    def _sample(self, shape, key):
        return sample_multinomial(key, self.total_count, self.probs_parameter(), shape, self.dtype)

    def _log_prob(self, x):
        log_probs = self._categorical()._log_probs()
        # A class with probability 0 contributes 0 when it has no counts (not 0 * -inf).
        unnormalized = jnp.sum(x * jnp.where(x == 0, 0.0, log_probs), axis=-1)
        # n! / prod x_k! as a product of binomial coefficients C(x_0 + ... + x_k, x_k): stable for large n.
        counts = jnp.clip(x, 0, None)
        log_coefficient = jnp.sum(log_binomial_coefficient(jnp.cumsum(counts, axis=-1), counts), axis=-1)
        return log_coefficient + unnormalized

    def _mean(self):
        return self.total_count[..., None] * self.probs_parameter()

    def _covariance_parts(self):
        return self.total_count, self.probs_parameter()
