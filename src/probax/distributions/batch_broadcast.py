"""BatchBroadcast: a distribution's batch broadcast to a larger batch of independent copies.

`BatchBroadcast(Normal(zeros(3), 1.), [2, 1])` has batch shape `[2, 3]`: six independent
normals, the two rows sharing parameters. Densities and statistics are the inner ones
broadcast; draws are independent across the new batch members.
"""

from __future__ import annotations

import jax
import jax.numpy as jnp
import numpy as np

from probax._internal.shapes import Shape, as_shape, broadcast_shapes, expand_batch_index
from probax.distributions.composite import CompositeDistribution, InnerSummaries, require_distribution
from probax.distributions.distribution import Distribution


class BatchBroadcast(InnerSummaries, CompositeDistribution):
    """The inner distribution with its batch broadcast (TFP semantics).

    Exactly one of `with_shape` (the batch shape becomes `broadcast(inner batch, with_shape)`)
    and `to_shape` (the batch shape becomes `to_shape`, which the inner batch must broadcast
    to) is given.

    Args:
      distribution: the inner distribution.
      with_shape: a shape to broadcast the inner batch shape with.
      to_shape: the exact new batch shape.
      validate_args: check values, raising `ValueError` on bad ones.
      name: a name for this distribution.

    Example:
      >>> from probax.distributions.normal import Normal
      >>> d = BatchBroadcast(Normal(jnp.zeros(3), 1.), [2, 1])
      >>> d.batch_shape
      (2, 3)
      >>> d.sample(4, seed=0).shape
      (4, 2, 3)

    """

    _child_names = ("distribution",)
    _static_names = ("with_shape", "to_shape")

    def __init__(
        self,
        distribution: Distribution,
        with_shape=None,
        *,
        to_shape=None,
        validate_args: bool = False,
        name: str | None = None,
    ):
        require_distribution(distribution, "BatchBroadcast")
        if (with_shape is None) == (to_shape is None):
            raise ValueError("BatchBroadcast: give exactly one of with_shape and to_shape.")
        if with_shape is not None:
            with_shape = as_shape(with_shape, "BatchBroadcast: with_shape")
            broadcast_shapes(distribution.batch_shape, with_shape, what="BatchBroadcast: with_shape")
        else:
            to_shape = as_shape(to_shape, "BatchBroadcast: to_shape")
            if (
                broadcast_shapes(distribution.batch_shape, to_shape, what="BatchBroadcast: to_shape")
                != to_shape
            ):
                raise ValueError(
                    f"BatchBroadcast: the inner batch_shape {distribution.batch_shape} does not broadcast "
                    f"to to_shape {to_shape}."
                )
        super().__init__(
            distribution=distribution,
            with_shape=with_shape,
            to_shape=to_shape,
            validate_args=validate_args,
            allow_nan_stats=distribution.allow_nan_stats,
            name=name,
        )

    # ------------------------------------------------------------------ shapes
    def _batch_shape(self) -> Shape:
        if self.to_shape is not None:
            return self.to_shape
        return broadcast_shapes(self.distribution.batch_shape, self.with_shape, what="BatchBroadcast")

    def _event_shape(self) -> Shape:
        return self.distribution.event_shape

    def _value_as_array(self, value):
        return jnp.asarray(value)  # the inner distribution converts the dtype

    # ------------------------------------------------------------------ sampling
    def _sample(self, shape: Shape, key: jax.Array) -> jax.Array:
        return broadcast_sample(self.distribution, shape, self.batch_shape, key)

    # ------------------------------------------------------------------ pointwise: the inner ones
    def _log_prob(self, value):
        return self.distribution.log_prob(value)

    def _cdf(self, value):
        return self.distribution.cdf(value)

    def _log_cdf(self, value):
        return self.distribution.log_cdf(value)

    def _survival_function(self, value):
        return self.distribution.survival_function(value)

    def _log_survival_function(self, value):
        return self.distribution.log_survival_function(value)

    def _quantile(self, probability):
        return self.distribution.quantile(probability)

    # ------------------------------------------------------------------ summaries
    def _entropy(self):
        return self.distribution.entropy()

    def covariance(self) -> jax.Array:
        """The inner covariance, broadcast to `batch_shape`."""
        covariance = self.distribution.covariance()
        inner_rank = len(self.distribution.batch_shape)
        return jnp.broadcast_to(covariance, self.batch_shape + covariance.shape[inner_rank:])

    def experimental_default_event_space_bijector(self):
        """The inner bijector: its parameters broadcast against the larger batch of values."""
        return self.distribution.experimental_default_event_space_bijector()

    # ------------------------------------------------------------------ slicing
    def __getitem__(self, index) -> BatchBroadcast:
        """Slice the broadcast batch; the inner distribution is sliced where it has the dimension."""
        inner, batch_shape = slice_broadcast(self.distribution, self.batch_shape, index, type(self).__name__)
        return BatchBroadcast(inner, to_shape=batch_shape, validate_args=self.validate_args, name=self.name)


def broadcast_sample(
    distribution: Distribution, shape: Shape, batch_shape: Shape, key: jax.Array
) -> jax.Array:
    """Independent draws of `distribution` for every member of the larger `batch_shape`.

    Args:
      distribution: a distribution whose batch shape broadcasts to `batch_shape`.
      shape: `sample_shape + batch_shape`.
      batch_shape: the broadcast batch shape.
      key: a `jax.random` key.

    Returns:
      Draws shaped `shape + event_shape`, one independent draw per batch member and sample.

    Example:
      >>> from probax.distributions.normal import Normal
      >>> broadcast_sample(Normal(jnp.zeros([1, 3]), 1.), (5, 2, 3), (2, 3), jax.random.key(0)).shape
      (5, 2, 3)

    """
    outer = shape[: len(shape) - len(batch_shape)]
    inner_batch = distribution.batch_shape
    new_dims = batch_shape[: len(batch_shape) - len(inner_batch)]
    shared = batch_shape[len(new_dims) :]
    # Where the inner batch has a unit dimension that broadcasting widens, the extra members
    # are drawn as extra sample dimensions; draws then read (outer, new, extra..., inner...).
    extra = tuple(t if i == 1 else 1 for t, i in zip(shared, inner_batch, strict=True))
    draws = distribution.sample(outer + new_dims + extra, seed=key)
    lead, m = len(outer) + len(new_dims), len(shared)
    # Interleave each extra dimension with its inner dimension (one of the two is 1).
    order = list(range(lead))
    for j in range(m):
        order += [lead + j, lead + m + j]
    order += list(range(lead + 2 * m, draws.ndim))
    draws = jnp.transpose(draws, order) if m else draws
    return draws.reshape(shape + distribution.event_shape)


def slice_broadcast(distribution: Distribution, batch_shape: Shape, index, owner: str):
    """Slice a distribution as if its batch were broadcast to `batch_shape`.

    Args:
      distribution: a distribution whose batch shape broadcasts to `batch_shape`.
      batch_shape: the broadcast batch shape being sliced.
      index: the `__getitem__` index (ints, slices, None, Ellipsis).
      owner: the class name for errors.

    Returns:
      `(sliced distribution, sliced batch shape)`; the sliced distribution's batch broadcasts
      to the sliced batch shape.

    Example:
      >>> from probax.distributions.normal import Normal
      >>> inner, shape = slice_broadcast(Normal(jnp.zeros(3), 1.), (2, 3), (1, slice(1, None)), "x")
      >>> inner.batch_shape, shape
      ((2,), (2,))

    """
    index = expand_batch_index(index, batch_shape, owner)
    sliced_shape = np.broadcast_to(np.empty((), np.int8), batch_shape)[index].shape
    inner_batch = distribution.batch_shape
    missing = len(batch_shape) - len(inner_batch)
    inner_index, dim = [], 0
    for entry in index:
        if entry is None:
            if dim >= missing:  # a new axis among the inner's dimensions
                inner_index.append(None)
            continue
        if dim >= missing:
            if inner_batch[dim - missing] != 1 or batch_shape[dim] == 1:
                inner_index.append(entry)
            elif isinstance(entry, int | np.integer):
                inner_index.append(0)  # a broadcast unit dimension: every index reads member 0
            else:
                inner_index.append(slice(None))
        dim += 1
    return distribution[tuple(inner_index)], sliced_shape
