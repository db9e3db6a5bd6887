"""Permute: reorders the entries along one event axis."""

from __future__ import annotations

import jax.numpy as jnp
import numpy as np

from probax.bijectors.bijector import Bijector


class Permute(Bijector):
    """y = x with the entries along `axis` reordered: y[..., i, ...] = x[..., permutation[i], ...].

    The permutation is static configuration (a tuple of ints), known when the bijector is
    built. The map only moves entries, so its log-determinant is 0.

    Args:
      permutation: a permutation of 0, ..., d - 1 (ints), d the size of `axis`.
      axis: the event axis to permute, counted from the right (negative); the event has
        `-axis` dimensions.
      validate_args: unused (the permutation is always checked); kept for TFP's signature.
      name: a name.

    Example:
      >>> import jax.numpy as jnp
      >>> from probax.bijectors import Permute
      >>> Permute([2, 0, 1]).forward(jnp.array([10., 11., 12.])).tolist()
      [12.0, 10.0, 11.0]

    """

    _static_names = ("permutation", "axis")

    def __init__(self, permutation, axis: int = -1, validate_args: bool = False, name: str | None = None):
        array = np.asarray(permutation)
        if not np.issubdtype(array.dtype, np.integer):
            raise TypeError(f"Permute: `permutation` must hold ints, got dtype {array.dtype}.")
        if array.ndim != 1 or sorted(array.tolist()) != list(range(array.size)):
            raise ValueError(
                f"Permute: `permutation` must hold each of 0, ..., d - 1 once, got {array.tolist()}."
            )
        if not isinstance(axis, int | np.integer) or axis >= 0:
            raise ValueError(
                f"Permute: `axis` must be a negative int (counted from the right), got {axis!r}."
            )
        super().__init__(
            permutation=tuple(array.tolist()),
            axis=int(axis),
            forward_min_event_ndims=-int(axis),
            is_constant_jacobian=True,
            validate_args=validate_args,
            name=name,
        )

    def _checked(self, value):
        self._forward_event_shape(value.shape)
        return value

    def _forward(self, x):
        return jnp.take(self._checked(x), np.asarray(self.permutation), axis=self.axis)

    def _inverse(self, y):
        return jnp.take(self._checked(y), np.argsort(self.permutation), axis=self.axis)

    def _forward_log_det_jacobian(self, x):
        return jnp.zeros((), jnp.result_type(x, float))

    def _inverse_log_det_jacobian(self, y):
        return jnp.zeros((), jnp.result_type(y, float))

    def _forward_event_shape(self, shape):
        if len(shape) < -self.axis or shape[self.axis] != len(self.permutation):
            raise ValueError(
                f"Permute: shape {shape} has no axis {self.axis} of size {len(self.permutation)}."
            )
        return shape

    def _inverse_event_shape(self, shape):
        return self._forward_event_shape(shape)
