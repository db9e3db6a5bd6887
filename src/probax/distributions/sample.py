"""Sample: iid draws of a distribution, gathered into one event.

`Sample(Normal(0., 1.), sample_shape=[5])` is a distribution over vectors of 5 independent
standard normals. The sample dimensions sit between the batch and the inner event
(event shape `sample_shape + inner event_shape`), as in TFP.
"""

from __future__ import annotations

import math

import jax
import jax.numpy as jnp

from probax._internal.shapes import Shape, as_shape, pad_leading
from probax.bijectors.bijector import Bijector
from probax.distributions.composite import CompositeDistribution, require_distribution
from probax.distributions.distribution import Distribution
from probax.distributions.independent import block_diagonal_covariance
from probax.distributions.kl import RegisterKL, kl_divergence


def _move_axes(x, start: int, count: int, destination: int):
    """Move the `count` axes starting at `start` so that they start at `destination`."""
    if count == 0 or start == destination:
        return x
    return jnp.moveaxis(x, tuple(range(start, start + count)), tuple(range(destination, destination + count)))


class Sample(CompositeDistribution):
    """`prod(sample_shape)` iid draws of `distribution`, forming one event.

    log p(x) = sum over the sample dimensions of the inner log p. With inner batch shape `B`
    and event shape `E`, the result has batch shape `B` and event shape `sample_shape + E`.

    Args:
      distribution: the distribution drawn from.
      sample_shape: int or tuple of ints, how many iid draws (and their layout) form an event.
      validate_args: check values, raising `ValueError` on bad ones.
      name: a name for this distribution.

    Example:
      >>> from probax.distributions.normal import Normal
      >>> d = Sample(Normal(jnp.zeros(2), 1.), sample_shape=[5])
      >>> d.batch_shape, d.event_shape
      ((2,), (5,))
      >>> d.sample(3, seed=0).shape
      (3, 2, 5)
      >>> d.log_prob(jnp.zeros(5)).shape
      (2,)

    """

    _child_names = ("distribution",)
    _static_names = ("sample_shape",)

    def __init__(
        self,
        distribution: Distribution,
        sample_shape=(),
        validate_args: bool = False,
        name: str | None = None,
    ):
        require_distribution(distribution, "Sample")
        super().__init__(
            distribution=distribution,
            sample_shape=as_shape(sample_shape, "Sample: sample_shape"),
            validate_args=validate_args,
            allow_nan_stats=distribution.allow_nan_stats,
            name=name,
        )

    # ------------------------------------------------------------------ shapes
    def _batch_shape(self) -> Shape:
        return self.distribution.batch_shape

    def _event_shape(self) -> Shape:
        return self.sample_shape + self.distribution.event_shape

    def _value_as_array(self, value):
        # The inner distribution converts the dtype; lower-rank values broadcast, as in TFP.
        return pad_leading(jnp.asarray(value), len(self.event_shape))

    def _per_draw(self, method: str, value):
        """Inner `method` at each of the iid draws in `value`, summed over the sample dimensions."""
        sample_ndims, inner_event_ndims = len(self.sample_shape), len(self.distribution.event_shape)
        start = value.ndim - inner_event_ndims - sample_ndims
        # Sample dimensions go in front, so the inner batch lines up with the value's batch.
        per_draw = getattr(self.distribution, method)(_move_axes(value, start, sample_ndims, 0))
        return jnp.sum(per_draw, axis=tuple(range(sample_ndims)))

    # ------------------------------------------------------------------ sampling and densities
    def _sample(self, shape: Shape, key: jax.Array) -> jax.Array:
        outer = shape[: len(shape) - len(self.batch_shape)]
        draws = self.distribution.sample(outer + self.sample_shape, seed=key)
        # outer + sample_shape + batch + event -> outer + batch + sample_shape + event.
        return _move_axes(draws, len(outer), len(self.sample_shape), len(shape))

    def _log_prob(self, value):
        return self._per_draw("log_prob", value)

    def _log_cdf(self, value):
        # Independent coordinates: the joint cdf is the product of the coordinates' cdfs.
        return self._per_draw("log_cdf", value)

    def _survival_function(self, value):
        raise self._not_implemented("survival_function")

    def _log_survival_function(self, value):
        raise self._not_implemented("log_survival_function")

    # ------------------------------------------------------------------ summaries
    def _tiled(self, statistic):
        """`statistic` (batch + inner event) with unit sample dimensions inserted after the batch."""
        batch_rank = len(self.batch_shape)
        statistic = jnp.broadcast_to(statistic, self.batch_shape + self.distribution.event_shape)
        return statistic.reshape(
            statistic.shape[:batch_rank] + (1,) * len(self.sample_shape) + statistic.shape[batch_rank:]
        )

    def _mean(self):
        return self._tiled(self.distribution.mean())

    def _variance(self):
        return self._tiled(self.distribution.variance())

    def _stddev(self):
        return self._tiled(self.distribution.stddev())

    def _mode(self):
        return self._tiled(self.distribution.mode())

    def _entropy(self):
        return math.prod(self.sample_shape) * self.distribution.entropy()

    def covariance(self) -> jax.Array:
        """Covariance of the event, shaped `batch_shape + event_shape + event_shape`.

        The draws are independent, so it is block diagonal with the inner covariance (the inner
        variance for a scalar inner event) repeated on the diagonal.
        """
        inner = self.distribution
        blocks = inner.variance() if inner.event_shape == () else inner.covariance()
        unit_sample_dims = (1,) * len(self.sample_shape)
        blocks = jnp.broadcast_to(blocks, self.batch_shape + inner.event_shape + inner.event_shape)
        blocks = blocks.reshape(self.batch_shape + unit_sample_dims + blocks.shape[len(self.batch_shape) :])
        return block_diagonal_covariance(blocks, self.batch_shape, self.sample_shape, inner.event_shape)

    def experimental_default_event_space_bijector(self) -> Bijector:
        """The inner distribution's bijector, applied to each draw.

        A bijector whose parameters carry the inner batch is applied with the sample
        dimensions moved out of the way (so they do not meet the batch dimensions).

        Example:
          >>> from probax.distributions.uniform import Uniform
          >>> d = Sample(Uniform(0., jnp.array([1., 10.])), 3)
          >>> d.experimental_default_event_space_bijector().forward(jnp.zeros((2, 3))).tolist()
          [[0.5, 0.5, 0.5], [5.0, 5.0, 5.0]]

        """
        inner = self.distribution.experimental_default_event_space_bijector()
        inner_event_ndims = len(self.distribution.event_shape)
        if not self.sample_shape or not inner.experimental_batch_shape(
            inner.inverse_event_ndims(inner_event_ndims)
        ):
            return inner
        return SampleEventSpaceBijector(inner, len(self.sample_shape), inner_event_ndims)

    # ------------------------------------------------------------------ slicing
    def __getitem__(self, index) -> Sample:
        """Slice the batch dimensions (the sample dimensions are part of the event)."""
        return self._tree_unflatten(self._tree_flatten()[1], (self.distribution[index],))


class SampleEventSpaceBijector(Bijector):
    """Applies a batched bijector to each of the iid draws in a `Sample` event.

    Inputs are laid out `batch + sample + inner event`; the bijector's parameters carry the
    batch, so the sample dimensions are moved in front of the batch for the call and back
    after it. The log-determinant is summed over the sample dimensions.

    Args:
      bijector: the inner distribution's event-space bijector.
      sample_ndims: the rank of the `Sample`'s `sample_shape`.
      output_event_ndims: the rank of the inner distribution's event (the bijector's output).

    Example:
      >>> from probax.bijectors.sigmoid import Sigmoid
      >>> b = SampleEventSpaceBijector(Sigmoid(low=0., high=jnp.array([1., 10.])), 1, 0)
      >>> b.forward(jnp.zeros((2, 3))).tolist()
      [[0.5, 0.5, 0.5], [5.0, 5.0, 5.0]]

    """

    _child_names = ("bijector",)
    _static_names = ("sample_ndims", "inner_input_event_ndims", "inner_output_event_ndims")

    def __init__(self, bijector: Bijector, sample_ndims: int, output_event_ndims: int):
        input_event_ndims = bijector.inverse_event_ndims(output_event_ndims)
        super().__init__(
            bijector=bijector,
            sample_ndims=sample_ndims,
            inner_input_event_ndims=input_event_ndims,
            inner_output_event_ndims=output_event_ndims,
            forward_min_event_ndims=sample_ndims + input_event_ndims,
            inverse_min_event_ndims=sample_ndims + output_event_ndims,
            is_constant_jacobian=bijector.is_constant_jacobian,
            validate_args=bijector.validate_args,
            name=f"sample_{bijector.name}",
        )

    def _to_front(self, x, event_ndims: int):
        return _move_axes(x, x.ndim - event_ndims - self.sample_ndims, self.sample_ndims, 0)

    def _to_back(self, x, event_ndims: int):
        return _move_axes(x, 0, self.sample_ndims, x.ndim - event_ndims - self.sample_ndims)

    def _summed_over_draws(self, log_det, moved_input, event_ndims: int):
        # A constant Jacobian's log-det may lack the sample dimensions: each draw counts once.
        log_det = pad_leading(jnp.asarray(log_det), moved_input.ndim - event_ndims)
        sample_shape = moved_input.shape[: self.sample_ndims]
        log_det = jnp.broadcast_to(log_det, sample_shape + log_det.shape[self.sample_ndims :])
        return jnp.sum(log_det, axis=tuple(range(self.sample_ndims)))

    def _forward(self, x):
        y = self.bijector.forward(self._to_front(x, self.inner_input_event_ndims))
        return self._to_back(y, self.inner_output_event_ndims)

    def _inverse(self, y):
        x = self.bijector.inverse(self._to_front(y, self.inner_output_event_ndims))
        return self._to_back(x, self.inner_input_event_ndims)

    def _forward_and_log_det(self, x):
        moved = self._to_front(x, self.inner_input_event_ndims)
        y, log_det = self.bijector.forward_and_log_det(moved, self.inner_input_event_ndims)
        return (
            self._to_back(y, self.inner_output_event_ndims),
            self._summed_over_draws(log_det, moved, self.inner_input_event_ndims),
        )

    def _inverse_and_log_det(self, y):
        moved = self._to_front(y, self.inner_output_event_ndims)
        x, log_det = self.bijector.inverse_and_log_det(moved, self.inner_output_event_ndims)
        return (
            self._to_back(x, self.inner_input_event_ndims),
            self._summed_over_draws(log_det, moved, self.inner_output_event_ndims),
        )

    def _forward_event_shape(self, shape: Shape) -> Shape:
        split = len(shape) - self.inner_input_event_ndims
        return shape[:split] + self.bijector.forward_event_shape(shape[split:])

    def _inverse_event_shape(self, shape: Shape) -> Shape:
        split = len(shape) - self.inner_output_event_ndims
        return shape[:split] + self.bijector.inverse_event_shape(shape[split:])

    def _batch_shape(self) -> Shape:
        return self.bijector.experimental_batch_shape(self.inner_input_event_ndims)


@RegisterKL(Sample, Sample)
def _kl_sample_sample(a: Sample, b: Sample):
    """KL[a || b] = prod(sample_shape) * the inner KL, for equal sample shapes."""
    if a.sample_shape != b.sample_shape:
        raise ValueError(
            f"kl_divergence(Sample, Sample): sample shapes differ ({a.sample_shape} vs {b.sample_shape})."
        )
    return math.prod(a.sample_shape) * kl_divergence(a.distribution, b.distribution)
