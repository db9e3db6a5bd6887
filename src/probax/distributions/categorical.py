"""The Categorical distribution over class indices {0, ..., K-1}."""

from __future__ import annotations

import jax
import jax.numpy as jnp

from probax._internal import threefry
from probax.distributions import constraints
from probax.distributions.distribution import NOT_REPARAMETERIZED, Distribution, ParameterProperties
from probax.distributions.kl import RegisterKL
from probax.distributions.parameterization import exactly_one


def _gather_last(table, index):
    """`table[..., index]` per batch member: `table` has one more (trailing) axis than `index`.

    `index` must already lie in range (callers clip it), so the gather skips bounds handling.
    """
    shape = jnp.broadcast_shapes(table.shape[:-1], index.shape)
    if all(d == 1 for d in table.shape[:-1]):
        # One shared table (a single distribution): a plain lookup, no per-value table copy.
        return jnp.broadcast_to(table.reshape(-1).at[index].get(mode="promise_in_bounds"), shape)
    table = jnp.broadcast_to(table, (*shape, table.shape[-1]))
    index = jnp.broadcast_to(index, shape)[..., None]
    return jnp.take_along_axis(table, index, axis=-1, mode="promise_in_bounds")[..., 0]


class Categorical(Distribution):
    """Categorical distribution over the class indices `0, ..., K-1`.

    P[X = k] = softmax(logits)[k] = probs[k], with `K = logits.shape[-1]`. The last
    axis of the parameter indexes the classes; the leading axes are the batch.

    Args:
      logits: unnormalized log-probabilities, shaped `batch_shape + [K]`.
      probs: probabilities (non-negative, summing to 1 along the last axis).
      dtype: integer dtype of samples and of the mode (int32 by default, as in TFP).
      force_probs_to_zero_outside_support: accepted for TFP compatibility; probax always
        gives `-inf` log-probability to values that are not class indices.
      validate_args: check parameters and values, raising `ValueError` on bad ones.
      allow_nan_stats: return NaN for undefined statistics instead of raising.
      name: a name for this distribution.

    Example:
      >>> d = Categorical(probs=[0.2, 0.5, 0.3])
      >>> round(float(d.prob(1)), 6)
      0.5
      >>> int(d.mode())
      1

    """

    reparameterization_type = NOT_REPARAMETERIZED
    _static_names = ("dtype", "force_probs_to_zero_outside_support")

    def __init__(self, logits=None, probs=None, dtype=jnp.int32, force_probs_to_zero_outside_support=False,
                 validate_args=False, allow_nan_stats=True, name=None):
        exactly_one("Categorical", logits=logits, probs=probs)
        super().__init__(logits=logits, probs=probs, dtype=dtype,
                         force_probs_to_zero_outside_support=bool(force_probs_to_zero_outside_support),
                         validate_args=validate_args, allow_nan_stats=allow_nan_stats, name=name)

    @classmethod
    def _parameter_properties(cls):
        return dict(
            logits=ParameterProperties(event_ndims=1, constraint=constraints.real),
            probs=ParameterProperties(event_ndims=1, constraint=constraints.simplex),
        )

    @property
    def num_categories(self) -> int:
        """The number of classes K."""
        return (self.logits if self.logits is not None else self.probs).shape[-1]

    def _support(self):
        return constraints.integer_interval(
            0, self.num_categories - 1, f"a class index in [0, {self.num_categories - 1}]"
        )

    def logits_parameter(self):
        """Logits, whichever parameter was given (`log(probs)` from probabilities)."""
        return self.logits if self.logits is not None else self._log_probs()

    def probs_parameter(self):
        """Probabilities, whichever parameter was given (`softmax(logits)` from logits)."""
        return self.probs if self.probs is not None else jax.nn.softmax(self.logits, axis=-1)

    def _log_probs(self):
        """Normalized log-probabilities, shaped like the parameter."""
        if self.logits is not None:
            return jax.nn.log_softmax(self.logits, axis=-1)
        positive = self.probs > 0
        # Double where: a zero probability gets log 0 = -inf without an infinite gradient.
        log_probs = jnp.where(positive, jnp.log(jnp.where(positive, self.probs, 1.0)), -jnp.inf)
        return jax.nn.log_softmax(log_probs, axis=-1)

    def _value_as_array(self, value):
        # Integer class labels stay integers: no float round trip and no NaN to look for.
        value = jnp.asarray(value)
        return value if jnp.issubdtype(value.dtype, jnp.integer) else super()._value_as_array(value)

    def _index(self, x):
        """Class index of `x` clipped into range (values outside are masked by the caller)."""
        if jnp.issubdtype(x.dtype, jnp.integer):
            return jnp.clip(x, 0, self.num_categories - 1)
        return jnp.clip(jnp.nan_to_num(x), 0, self.num_categories - 1).astype(jnp.int32)

    def _sample(self, shape, key):
        # Inverse cdf: one uniform per draw, located among the cumulative probabilities by
        # binary search, instead of the Gumbel-max trick's K random numbers per draw. Class
        # probabilities are resolved to the uniform's precision (2**-24 in float32).
        cumulative = jnp.cumsum(self.probs_parameter(), axis=-1)
        num_classes = cumulative.shape[-1]
        members = cumulative.reshape(-1, num_classes)  # one row per batch member
        u = threefry.uniform(key, shape, cumulative.dtype).reshape(-1, members.shape[0])

        def locate(row, draws):
            return jnp.searchsorted(row, draws * row[-1], side="right")

        index = jax.vmap(locate, in_axes=(0, 1), out_axes=1)(members, u)
        return jnp.minimum(index, num_classes - 1).reshape(shape).astype(self.dtype)

    def _log_prob(self, x):
        log_prob = _gather_last(self._log_probs(), self._index(x))
        if jnp.issubdtype(x.dtype, jnp.integer):
            return log_prob
        return jnp.where(jnp.isnan(x), jnp.nan, log_prob)

    def _log_cdf(self, x):
        log_probs = self._log_probs()
        log_cdf = jax.lax.cumlogsumexp(log_probs, axis=log_probs.ndim - 1)
        k = jnp.floor(x)
        value = _gather_last(log_cdf, self._index(k))
        return jnp.where(k < 0, -jnp.inf, jnp.where(k >= self.num_categories - 1, 0.0, value))

    def _log_survival_function(self, x):
        log_probs = self._log_probs()
        # log P[X >= j]; the survival function at k is its value at j = k + 1.
        log_tail = jax.lax.cumlogsumexp(log_probs, axis=log_probs.ndim - 1, reverse=True)
        k = jnp.floor(x)
        value = _gather_last(log_tail, self._index(k + 1))
        return jnp.where(k < 0, 0.0, jnp.where(k >= self.num_categories - 1, -jnp.inf, value))

    def _quantile(self, p):
        log_probs = self._log_probs()
        cdf = jnp.exp(jax.lax.cumlogsumexp(log_probs, axis=log_probs.ndim - 1))
        below = jnp.sum(cdf < p[..., None], axis=-1)
        return jnp.minimum(below, self.num_categories - 1).astype(log_probs.dtype)

    def _classes(self, like):
        """0, ..., K-1 along the last axis, with the rank of `like`."""
        return jnp.arange(self.num_categories, dtype=like.dtype).reshape((1,) * (like.ndim - 1) + (-1,))

    def _mean(self):
        probs = jnp.exp(self._log_probs())
        return jnp.sum(probs * self._classes(probs), axis=-1)

    def _variance(self):
        probs = jnp.exp(self._log_probs())
        classes = self._classes(probs)
        mean = jnp.sum(probs * classes, axis=-1)
        return jnp.sum(probs * jnp.square(classes - mean[..., None]), axis=-1)

    def _mode(self):
        return jnp.argmax(self._log_probs(), axis=-1).astype(self.dtype)

    def _entropy(self):
        log_probs = self._log_probs()
        # Zero-probability classes contribute 0 (not 0 * -inf), with a finite gradient.
        safe = jnp.where(log_probs > -jnp.inf, log_probs, 0.0)
        return -jnp.sum(jnp.where(log_probs > -jnp.inf, jnp.exp(safe) * safe, 0.0), axis=-1)


@RegisterKL(Categorical, Categorical)
def _kl_categorical_categorical(p: Categorical, q: Categorical):
    p_log, q_log = p._log_probs(), q._log_probs()
    present = p_log > -jnp.inf
    # Classes p never visits contribute 0, whatever q gives them.
    p_safe, q_safe = jnp.where(present, p_log, 0.0), jnp.where(present, q_log, 0.0)
    return jnp.sum(jnp.where(present, jnp.exp(p_safe) * (p_safe - q_safe), 0.0), axis=-1)
