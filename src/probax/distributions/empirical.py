"""Empirical: the distribution that puts mass 1/n on each of n observed samples."""

from __future__ import annotations

import math

import jax
import jax.numpy as jnp

from probax._internal.shapes import Shape, expand_batch_index, pad_leading
from probax.distributions.composite import CompositeDistribution
from probax.distributions.distribution import NOT_REPARAMETERIZED


class Empirical(CompositeDistribution):
    """The empirical measure of a (batch of) multiset(s) of samples.

    pmf(x) = #{i : s_i == x} / n and cdf(x) = #{i : s_i <= x} / n (for vector events,
    `<=` in every coordinate). `samples` has shape `batch_shape + [n] + event_shape`,
    with `event_ndims` trailing event dimensions.

    `quantile(p)` is the inverse of the cdf (the smallest sample with cdf >= p, NumPy's
    `inverted_cdf`); `mode` is the most frequent sample (ties go to the one seen first) and
    `entropy` that of the sample frequencies, both jittable. Draws pick samples uniformly,
    independently for each batch member. log_prob, cdf, mode and entropy are not
    differentiable in the samples.

    Args:
      samples: array shaped `batch_shape + [n] + event_shape` (floating or integer).
      event_ndims: number of trailing dimensions that form one event (0: scalars).
      validate_args: check values, raising `ValueError` on bad ones.
      allow_nan_stats: return NaN for undefined statistics instead of raising.
      name: a name for this distribution.

    Example:
      >>> d = Empirical(samples=[0., 1., 1., 2.])
      >>> float(d.cdf(1.)), float(d.prob(1.)), float(d.mode())
      (0.75, 0.5, 1.0)
      >>> Empirical(samples=jnp.zeros([2, 5, 3]), event_ndims=1).batch_shape
      (2,)

    """

    reparameterization_type = NOT_REPARAMETERIZED
    _child_names = ("samples",)
    _static_names = ("event_ndims",)

    def __init__(self, samples, event_ndims=0, validate_args=False, allow_nan_stats=True, name=None):
        samples = jnp.asarray(samples)
        if not (jnp.issubdtype(samples.dtype, jnp.floating) or jnp.issubdtype(samples.dtype, jnp.integer)):
            raise ValueError(f"Empirical: samples must be floating or integer, got dtype {samples.dtype}.")
        if isinstance(event_ndims, bool) or not isinstance(event_ndims, int) or not (
            0 <= event_ndims < samples.ndim
        ):
            raise ValueError(
                f"Empirical: event_ndims must be an int in [0, {samples.ndim - 1}] for samples of shape "
                f"{samples.shape} (one dimension indexes the samples), got {event_ndims!r}."
            )
        super().__init__(samples=samples, event_ndims=event_ndims, validate_args=validate_args,
                         allow_nan_stats=allow_nan_stats, name=name)

    # ------------------------------------------------------------------ shapes
    @property
    def dtype(self):
        """Dtype of the samples."""
        return self.samples.dtype

    @property
    def _samples_axis(self) -> int:
        return self.samples.ndim - self.event_ndims - 1

    @property
    def num_samples(self) -> int:
        """The number n of samples behind each batch member."""
        return self.samples.shape[self._samples_axis]

    def _batch_shape(self) -> Shape:
        return self.samples.shape[: self._samples_axis]

    def _event_shape(self) -> Shape:
        return self.samples.shape[self._samples_axis + 1 :]

    def _float_dtype(self):
        """Dtype of probabilities and moments (the samples' when floating)."""
        dtype = self.samples.dtype
        return dtype if jnp.issubdtype(dtype, jnp.floating) else jnp.result_type(float)

    def _value_as_array(self, value):
        value = jnp.asarray(value)
        if jnp.issubdtype(self.dtype, jnp.integer) and jnp.issubdtype(value.dtype, jnp.integer):
            return value
        return value.astype(self._float_dtype() if jnp.issubdtype(self.dtype, jnp.integer) else self.dtype)

    # ------------------------------------------------------------------ densities
    def _fraction(self, x, compare):
        """Fraction of samples s with compare(s, x) true in every event coordinate."""
        event_rank = self.event_ndims
        x = jnp.expand_dims(x, x.ndim - event_rank)
        samples = pad_leading(self.samples, x.ndim)
        hits = compare(samples, x)
        if event_rank:
            hits = jnp.all(hits, axis=tuple(range(-event_rank, 0)))
        return jnp.mean(hits, axis=-1, dtype=self._float_dtype())

    def _log_prob(self, x):
        return jnp.log(self._fraction(x, jnp.equal))

    def _cdf(self, x):
        return self._fraction(x, jnp.less_equal)

    def _quantile(self, p):
        # The smallest sample whose cdf reaches p: the j-th smallest, with j the number of
        # levels k/n below p (k/n and p are both correctly rounded, so exact ratios tie).
        n = self.num_samples
        levels = jnp.arange(1, n + 1, dtype=p.dtype) / n
        rank = jnp.minimum(jnp.searchsorted(levels, p, side="left"), n - 1)
        ordered = pad_leading(jnp.sort(self.samples, axis=-1), p.ndim + 1)
        ordered = jnp.broadcast_to(ordered, (*jnp.broadcast_shapes(ordered.shape[:-1], p.shape), n))
        rank = jnp.broadcast_to(rank, ordered.shape[:-1])
        return jnp.take_along_axis(ordered, rank[..., None], axis=-1)[..., 0].astype(self._float_dtype())

    # ------------------------------------------------------------------ sampling
    def _flat_samples(self):
        """Samples shaped `[batch size, n, event size]`."""
        return self.samples.reshape((math.prod(self.batch_shape), self.num_samples, -1))

    def _sample(self, shape, key):
        sample_shape = shape[: len(shape) - len(self.batch_shape)]
        flat = self._flat_samples()
        members = flat.shape[0]
        picks = jax.random.randint(key, (*sample_shape, members), 0, self.num_samples)
        draws = flat[jnp.arange(members), picks]
        return draws.reshape(shape + self.event_shape)

    # ------------------------------------------------------------------ summaries
    def _mean(self):
        return jnp.mean(self.samples, axis=self._samples_axis, dtype=self._float_dtype())

    def _variance(self):
        samples = self.samples.astype(self._float_dtype())
        return jnp.var(samples, axis=self._samples_axis)

    def _runs(self):
        """Per batch member, the count of each distinct sample and the index where it first occurs.

        Both are shaped `[batch size, n]`; slots past the number of distinct values have count 0.
        """
        n = self.num_samples

        def member(rows):
            order = jnp.lexsort(rows.T[::-1])  # the first coordinate is the primary key
            ordered = rows[order]
            starts = jnp.concatenate([jnp.ones(1, bool), jnp.any(ordered[1:] != ordered[:-1], axis=-1)])
            run = jnp.cumsum(starts) - 1
            counts = jax.ops.segment_sum(jnp.ones(n, jnp.int32), run, num_segments=n)
            first = jax.ops.segment_min(order, run, num_segments=n)
            return counts, first

        return jax.vmap(member)(self._flat_samples())

    def _mode(self):
        counts, first = self._runs()
        most = jnp.max(counts, axis=-1, keepdims=True)
        earliest = jnp.min(jnp.where(counts == most, first, self.num_samples), axis=-1)
        flat = self._flat_samples()
        mode = flat[jnp.arange(flat.shape[0]), earliest]
        return mode.reshape(self.batch_shape + self.event_shape)

    def _entropy(self):
        counts, _ = self._runs()
        frequency = counts.astype(self._float_dtype()) / self.num_samples
        safe = jnp.where(counts > 0, frequency, 1.0)
        return -jnp.sum(frequency * jnp.log(safe), axis=-1).reshape(self.batch_shape)

    def experimental_default_event_space_bijector(self):
        """Empirical is discrete: there is no event-space bijector."""
        raise NotImplementedError("Empirical is discrete: it has no default event-space bijector.")

    # ------------------------------------------------------------------ slicing
    def __getitem__(self, index) -> Empirical:
        """Slice the batch dimensions; the sample and event dimensions are kept whole."""
        index = expand_batch_index(index, self.batch_shape, type(self).__name__)
        samples = self.samples[index + (slice(None),) * (1 + self.event_ndims)]
        return self._tree_unflatten(self._tree_flatten()[1], (samples,))
