"""Reshape: a change of event shape, with log-determinant 0."""

from __future__ import annotations

import math

import jax.numpy as jnp
import numpy as np

from probax._internal.shapes import Shape
from probax.bijectors.bijector import Bijector


def _event_shape_argument(shape, argument: str) -> Shape:
    """A static event shape: a sequence of positive ints with at most one -1."""
    array = np.asarray(shape)
    if array.ndim > 1 or (array.size and not np.issubdtype(array.dtype, np.integer)):
        raise ValueError(f"Reshape: `{argument}` must be a sequence of ints, got {shape!r}.")
    result = tuple(int(d) for d in np.atleast_1d(array)) if array.size else ()
    if any(d < -1 or d == 0 for d in result) or result.count(-1) > 1:
        raise ValueError(f"Reshape: `{argument}` entries must be positive or a single -1, got {result}.")
    return result


def _replace_event_shape(shape: Shape, old: Shape, new: Shape, old_name: str, new_name: str) -> Shape:
    """`shape` with its rightmost `len(old)` dims (matching `old`) replaced by `new`, -1 resolved."""
    batch_ndims = len(shape) - len(old)
    if batch_ndims < 0:
        raise ValueError(f"Reshape: shape {shape} has fewer dimensions than `{old_name}` {old}.")
    event = shape[batch_ndims:]
    if any(o not in (-1, e) for o, e in zip(old, event, strict=True)):
        raise ValueError(f"Reshape: event shape {event} does not match `{old_name}` {old}.")
    size = math.prod(event)
    known = math.prod(d for d in new if d != -1)
    if (-1 in new and size % known) or (-1 not in new and size != known):
        raise ValueError(
            f"Reshape: an event of shape {event} ({size} elements) cannot take `{new_name}` {new}."
        )
    return shape[:batch_ndims] + tuple(size // known if d == -1 else d for d in new)


class Reshape(Bijector):
    """Reshapes the rightmost dims of its input from `event_shape_in` to `event_shape_out`.

    Batch dimensions (those left of the event) are kept. Either shape may hold one -1,
    inferred from the number of elements. The map only moves entries, so its
    log-determinant is 0.

    Args:
      event_shape_out: event shape of the output (ints, at most one -1).
      event_shape_in: event shape of the input (ints, at most one -1); the default (-1,)
        takes a vector of any length.
      validate_args: unused (shapes are always checked); kept for TFP's signature.
      name: a name.

    Example:
      >>> import jax.numpy as jnp
      >>> from probax.bijectors import Reshape
      >>> b = Reshape(event_shape_out=(2, 3))
      >>> b.forward(jnp.zeros((4, 6))).shape
      (4, 2, 3)
      >>> b.inverse_event_shape((2, 3))
      (6,)

    """

    _static_names = ("event_shape_out", "event_shape_in")

    def __init__(
        self, event_shape_out, event_shape_in=(-1,), validate_args: bool = False, name: str | None = None
    ):
        event_shape_out = _event_shape_argument(event_shape_out, "event_shape_out")
        event_shape_in = _event_shape_argument(event_shape_in, "event_shape_in")
        fully_known = -1 not in event_shape_in and -1 not in event_shape_out
        if fully_known and math.prod(event_shape_in) != math.prod(event_shape_out):
            raise ValueError(
                f"Reshape: `event_shape_in` {event_shape_in} and `event_shape_out` {event_shape_out} "
                "have different numbers of elements."
            )
        super().__init__(
            event_shape_out=event_shape_out,
            event_shape_in=event_shape_in,
            forward_min_event_ndims=len(event_shape_in),
            inverse_min_event_ndims=len(event_shape_out),
            is_constant_jacobian=True,
            validate_args=validate_args,
            name=name,
        )

    def _forward(self, x):
        return jnp.reshape(x, self._forward_event_shape(x.shape))

    def _inverse(self, y):
        return jnp.reshape(y, self._inverse_event_shape(y.shape))

    def _forward_log_det_jacobian(self, x):
        return jnp.zeros((), jnp.result_type(x, float))

    def _inverse_log_det_jacobian(self, y):
        return jnp.zeros((), jnp.result_type(y, float))

    def _forward_event_shape(self, shape):
        return _replace_event_shape(
            shape, self.event_shape_in, self.event_shape_out, "event_shape_in", "event_shape_out"
        )

    def _inverse_event_shape(self, shape):
        return _replace_event_shape(
            shape, self.event_shape_out, self.event_shape_in, "event_shape_out", "event_shape_in"
        )
