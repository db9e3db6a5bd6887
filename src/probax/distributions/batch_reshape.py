"""BatchReshape: the same independent distributions, with their batch laid out in a new shape.

`BatchReshape(Normal(zeros(6), 1.), [2, 3])` holds the six normals as a 2 x 3 batch. The
event is untouched; values and results are reshaped around calls to the inner distribution.
"""

from __future__ import annotations

import math
from typing import ClassVar

import jax
import jax.numpy as jnp
import numpy as np

from probax._internal.shapes import Shape, broadcast_shapes, expand_batch_index, pad_leading
from probax.bijectors.bijector import Bijector
from probax.distributions.composite import CompositeDistribution, require_distribution
from probax.distributions.distribution import Distribution


def _resolve_batch_shape(batch_shape, inner_batch_shape: Shape) -> Shape:
    """The new batch shape with a `-1` filled in; ValueError unless the sizes agree."""
    try:
        shape = tuple(int(s) for s in ((batch_shape,) if isinstance(batch_shape, int) else batch_shape))
    except (TypeError, ValueError) as err:
        raise ValueError(
            f"BatchReshape: batch_shape must be a sequence of ints, got {batch_shape!r}."
        ) from err
    size = math.prod(inner_batch_shape)
    unknown = [i for i, s in enumerate(shape) if s == -1]
    if len(unknown) > 1 or any(s < -1 for s in shape):
        raise ValueError(
            f"BatchReshape: batch_shape may hold at most one -1 and no other negative entry, got {shape}."
        )
    if unknown:
        known = math.prod(s for s in shape if s != -1)
        if known == 0 or size % known:
            raise ValueError(
                f"BatchReshape: cannot infer the -1 in batch_shape {shape} for the inner batch_shape "
                f"{inner_batch_shape} (size {size})."
            )
        shape = (*shape[: unknown[0]], size // known, *shape[unknown[0] + 1 :])
    if math.prod(shape) != size:
        raise ValueError(
            f"BatchReshape: batch_shape {shape} (size {math.prod(shape)}) must have the size of the inner "
            f"batch_shape {inner_batch_shape} (size {size})."
        )
    return shape


class BatchReshape(CompositeDistribution):
    """The inner distribution with its batch dimensions reshaped to `batch_shape` (TFP semantics).

    Args:
      distribution: the inner distribution.
      batch_shape: the new batch shape, of the same size as the inner one; one entry may be -1.
      validate_args: check values, raising `ValueError` on bad ones.
      allow_nan_stats: return NaN for undefined statistics instead of raising.
      name: a name for this distribution.

    Example:
      >>> from probax.distributions.normal import Normal
      >>> d = BatchReshape(Normal(jnp.arange(6.), 1.), [-1, 3])
      >>> d.batch_shape
      (2, 3)
      >>> d.mean().tolist()
      [[0.0, 1.0, 2.0], [3.0, 4.0, 5.0]]

    """

    _child_names = ("distribution",)
    _argument_attributes: ClassVar[dict[str, str]] = {"batch_shape": "new_batch_shape"}
    _static_names = ("new_batch_shape",)

    def __init__(
        self,
        distribution: Distribution,
        batch_shape,
        validate_args: bool = False,
        allow_nan_stats: bool = True,
        name: str | None = None,
    ):
        require_distribution(distribution, "BatchReshape")
        super().__init__(
            distribution=distribution,
            new_batch_shape=_resolve_batch_shape(batch_shape, distribution.batch_shape),
            validate_args=validate_args,
            allow_nan_stats=allow_nan_stats,
            name=name,
        )

    # ------------------------------------------------------------------ shapes
    def _batch_shape(self) -> Shape:
        return self.new_batch_shape

    def _event_shape(self) -> Shape:
        return self.distribution.event_shape

    def _value_as_array(self, value):
        return jnp.asarray(value)  # the inner distribution converts the dtype

    def _reshape_batch(self, x, from_shape: Shape, to_shape: Shape, trailing_ndims: int):
        """Reshape the `from_shape` batch dims of `x` (before `trailing_ndims` dims) to `to_shape`."""
        lead = x.shape[: x.ndim - trailing_ndims - len(from_shape)]
        return x.reshape(lead + to_shape + x.shape[x.ndim - trailing_ndims :])

    def _pointwise(self, method: str, value):
        event_ndims = len(self.event_shape)
        # The base aligned `value` to batch rank >= len(batch_shape); give it the full batch so
        # its batch part can be reshaped.
        lead = value.shape[: value.ndim - event_ndims - len(self.batch_shape)]
        value = jnp.broadcast_to(value, lead + self.batch_shape + value.shape[value.ndim - event_ndims :])
        inner_value = self._reshape_batch(value, self.batch_shape, self.distribution.batch_shape, event_ndims)
        result = getattr(self.distribution, method)(inner_value)
        return self._reshape_batch(result, self.distribution.batch_shape, self.batch_shape, 0)

    # ------------------------------------------------------------------ sampling and pointwise methods
    def _sample(self, shape: Shape, key: jax.Array) -> jax.Array:
        outer = shape[: len(shape) - len(self.batch_shape)]
        draws = self.distribution.sample(outer, seed=key)
        return self._reshape_batch(
            draws, self.distribution.batch_shape, self.batch_shape, len(self.event_shape)
        )

    def _log_prob(self, value):
        return self._pointwise("log_prob", value)

    def _cdf(self, value):
        return self._pointwise("cdf", value)

    def _log_cdf(self, value):
        return self._pointwise("log_cdf", value)

    def _survival_function(self, value):
        return self._pointwise("survival_function", value)

    def _log_survival_function(self, value):
        return self._pointwise("log_survival_function", value)

    def _quantile(self, probability):
        return self._pointwise("quantile", probability)

    # ------------------------------------------------------------------ summaries
    def _statistic(self, method: str, trailing_ndims: int):
        inner = self.distribution
        value = getattr(inner, method)()
        return self._reshape_batch(value, inner.batch_shape, self.batch_shape, trailing_ndims)

    def _mean(self):
        return self._statistic("mean", len(self.event_shape))

    def _variance(self):
        return self._statistic("variance", len(self.event_shape))

    def _stddev(self):
        return self._statistic("stddev", len(self.event_shape))

    def _mode(self):
        return self._statistic("mode", len(self.event_shape))

    def _entropy(self):
        return self._statistic("entropy", 0)

    def covariance(self) -> jax.Array:
        """The inner covariance with its batch dimensions reshaped."""
        covariance = self.distribution.covariance()
        trailing = covariance.ndim - len(self.distribution.batch_shape)
        return self._reshape_batch(covariance, self.distribution.batch_shape, self.batch_shape, trailing)

    def experimental_default_event_space_bijector(self) -> Bijector:
        """The inner bijector, with values' batch dimensions reshaped around it where it is batched."""
        inner = self.distribution.experimental_default_event_space_bijector()
        output_event_ndims = len(self.event_shape)
        if not inner.experimental_batch_shape(inner.inverse_event_ndims(output_event_ndims)):
            return inner
        return BatchReshapeEventSpaceBijector(
            inner, self.distribution.batch_shape, self.batch_shape, output_event_ndims
        )

    # ------------------------------------------------------------------ slicing
    def __getitem__(self, index) -> BatchReshape:
        """Slice the new batch: the members picked are gathered from the inner distribution.

        Example:
          >>> from probax.distributions.normal import Normal
          >>> BatchReshape(Normal(jnp.arange(6.), 1.), [2, 3])[:, 1].mean().tolist()
          [1.0, 4.0]

        """
        index = expand_batch_index(index, self.batch_shape, type(self).__name__)
        inner_shape = self.distribution.batch_shape
        flat = np.arange(math.prod(inner_shape)).reshape(self.batch_shape)[index]
        # One integer array per inner batch dimension: advanced indexing gathers the members. They
        # go in as (nested) lists, which the index normalization compares safely with Ellipsis.
        positions = tuple(p.tolist() for p in np.unravel_index(flat, inner_shape))
        inner = self.distribution[positions] if inner_shape else self.distribution
        return BatchReshape(inner, flat.shape, self.validate_args, self.allow_nan_stats, self.name)


class BatchReshapeEventSpaceBijector(Bijector):
    """Applies a batched bijector to values whose batch dimensions were reshaped.

    Values are laid out `sample + new batch + event`; they are reshaped to the inner batch for
    the call and back after it. The log-determinant (over one event) is reshaped likewise.

    Args:
      bijector: the inner distribution's event-space bijector.
      inner_batch_shape: the inner distribution's batch shape.
      batch_shape: the reshaped batch shape.
      output_event_ndims: the rank of the distribution's event (the bijector's output).

    Example:
      >>> from probax.bijectors.softplus import Softplus
      >>> b = BatchReshapeEventSpaceBijector(Softplus(), (6,), (2, 3), 0)
      >>> b.forward(jnp.zeros((2, 3))).shape
      (2, 3)

    """

    _child_names = ("bijector",)
    _static_names = (
        "inner_batch_shape",
        "new_batch_shape",
        "inner_input_event_ndims",
        "inner_output_event_ndims",
    )

    def __init__(
        self, bijector: Bijector, inner_batch_shape: Shape, batch_shape: Shape, output_event_ndims: int
    ):
        input_event_ndims = bijector.inverse_event_ndims(output_event_ndims)
        super().__init__(
            bijector=bijector,
            inner_batch_shape=tuple(inner_batch_shape),
            new_batch_shape=tuple(batch_shape),
            inner_input_event_ndims=input_event_ndims,
            inner_output_event_ndims=output_event_ndims,
            forward_min_event_ndims=input_event_ndims,
            inverse_min_event_ndims=output_event_ndims,
            is_constant_jacobian=bijector.is_constant_jacobian,
            validate_args=bijector.validate_args,
            name=f"batch_reshape_{bijector.name}",
        )

    def _to_inner(self, x, event_ndims: int):
        event = x.shape[x.ndim - event_ndims :]
        lead = x.shape[: max(x.ndim - event_ndims - len(self.new_batch_shape), 0)]
        x = jnp.broadcast_to(
            x, broadcast_shapes(x.shape, lead + self.new_batch_shape + event, what=self.name)
        )
        return x.reshape(lead + self.inner_batch_shape + event), lead

    def _from_inner(self, y, lead: Shape, event_ndims: int):
        return y.reshape(lead + self.new_batch_shape + y.shape[y.ndim - event_ndims :])

    def _log_det_from_inner(self, log_det, lead: Shape):
        full = lead + self.inner_batch_shape
        log_det = jnp.broadcast_to(pad_leading(jnp.asarray(log_det), len(full)), full)
        return log_det.reshape(lead + self.new_batch_shape)

    def _forward(self, x):
        inner_x, lead = self._to_inner(x, self.inner_input_event_ndims)
        return self._from_inner(self.bijector.forward(inner_x), lead, self.inner_output_event_ndims)

    def _inverse(self, y):
        inner_y, lead = self._to_inner(y, self.inner_output_event_ndims)
        return self._from_inner(self.bijector.inverse(inner_y), lead, self.inner_input_event_ndims)

    def _forward_and_log_det(self, x):
        inner_x, lead = self._to_inner(x, self.inner_input_event_ndims)
        y, log_det = self.bijector.forward_and_log_det(inner_x, self.inner_input_event_ndims)
        return self._from_inner(y, lead, self.inner_output_event_ndims), self._log_det_from_inner(
            log_det, lead
        )

    def _inverse_and_log_det(self, y):
        inner_y, lead = self._to_inner(y, self.inner_output_event_ndims)
        x, log_det = self.bijector.inverse_and_log_det(inner_y, self.inner_output_event_ndims)
        return self._from_inner(x, lead, self.inner_input_event_ndims), self._log_det_from_inner(
            log_det, lead
        )

    def _forward_event_shape(self, shape: Shape) -> Shape:
        split = len(shape) - self.inner_input_event_ndims
        return shape[:split] + self.bijector.forward_event_shape(shape[split:])

    def _inverse_event_shape(self, shape: Shape) -> Shape:
        split = len(shape) - self.inner_output_event_ndims
        return shape[:split] + self.bijector.inverse_event_shape(shape[split:])

    def _batch_shape(self) -> Shape:
        return self.new_batch_shape
