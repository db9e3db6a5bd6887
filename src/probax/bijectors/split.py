"""Split: one array into a list of pieces along an axis (the inverse concatenates)."""

from __future__ import annotations

from collections.abc import Sequence

import jax
import jax.numpy as jnp
import numpy as np

from probax._internal.shapes import as_shape
from probax.bijectors import _composition
from probax.bijectors.bijector import Bijector


class Split(Bijector):
    """Splits an array along `axis` into a list of pieces; `inverse` concatenates them back.

    Only rearranges entries, so the log-determinant is 0 (a constant Jacobian). The input's
    event has rank -axis and each piece's event the same rank, so
    `forward_min_event_ndims` is -axis and `inverse_min_event_ndims` is a list of -axis,
    one per piece; `event_ndims` of the inverse log-det is such a list too.

    Args:
      num_or_size_splits: a number of equal pieces, or the pieces' sizes along `axis` (one of
        them may be -1: whatever is left).
      axis: the (negative) axis to split, counted from the right of the event.
      validate_args: check parameters.
      name: a name.

    Example:
      >>> import jax.numpy as jnp
      >>> from probax.bijectors import Split
      >>> [piece.tolist() for piece in Split([1, -1]).forward(jnp.array([1., 2., 3.]))]
      [[1.0], [2.0, 3.0]]
      >>> Split(3).forward_event_shape([6])
      [(2,), (2,), (2,)]

    """

    _static_names = ("num_or_size_splits", "axis")

    def __init__(self, num_or_size_splits: int | Sequence[int], axis: int = -1, validate_args: bool = False,
                 name: str | None = None):
        if not isinstance(axis, int) or axis >= 0:
            raise ValueError(f"Split: axis must be a negative int (counted from the right), got {axis!r}.")
        splits = _static_splits(num_or_size_splits)
        count = splits if isinstance(splits, int) else len(splits)
        super().__init__(
            num_or_size_splits=splits,
            axis=axis,
            forward_min_event_ndims=-axis,
            inverse_min_event_ndims=[-axis] * count,
            is_constant_jacobian=True,
            validate_args=validate_args,
            name=name,
        )

    @property
    def _count(self) -> int:
        splits = self.num_or_size_splits
        return splits if isinstance(splits, int) else len(splits)

    def _sizes(self, length: int, argument: str) -> list[int]:
        """The pieces' sizes for an input of `length` along the axis."""
        splits = self.num_or_size_splits
        if isinstance(splits, int):
            if length % splits:
                raise ValueError(f"Split: {argument} has {length} entries along axis {self.axis}, "
                                 f"which do not split into {splits} equal pieces.")
            return [length // splits] * splits
        known = sum(s for s in splits if s != -1)
        rest = length - known
        if (-1 in splits and rest < 0) or (-1 not in splits and rest != 0):
            raise ValueError(f"Split: {argument} has {length} entries along axis {self.axis}, "
                             f"which do not split into sizes {list(splits)}.")
        return [rest if s == -1 else s for s in splits]

    def _check_rank(self, shape, argument: str) -> None:
        if len(shape) < -self.axis:
            raise ValueError(f"Split: {argument} must have rank >= {-self.axis} to split axis {self.axis}, "
                             f"got shape {tuple(shape)}.")

    def _pieces(self, values, argument: str) -> list:
        if not isinstance(values, list | tuple) or len(values) != self._count:
            raise ValueError(f"Split: {argument} must be a list of {self._count} pieces, got {values!r}.")
        return list(values)

    def _concatenated(self, pieces: list[jax.Array]) -> jax.Array:
        pieces = [jnp.asarray(p) for p in pieces]
        for i, piece in enumerate(pieces):
            self._check_rank(piece.shape, f"y[{i}]")
        return _composition.concatenate_events(pieces, -self.axis, self.axis, "Split pieces")

    # ------------------------------------------------------------------ maps
    def forward(self, x, **kwargs) -> list[jax.Array]:
        """The list of pieces of `x` along `axis`."""
        self._conditioning(kwargs, "forward")
        x = jnp.asarray(x)
        self._check_rank(x.shape, "x")
        sizes = self._sizes(x.shape[self.axis], "x")
        ends = [sum(sizes[: i + 1]) for i in range(len(sizes) - 1)]
        return jnp.split(x, ends, axis=self.axis)

    def inverse(self, y, **kwargs) -> jax.Array:
        """The pieces in `y` concatenated along `axis`."""
        self._conditioning(kwargs, "inverse")
        return self._concatenated(self._pieces(y, "y"))

    def forward_and_log_det(self, x, event_ndims: int | None = None, **kwargs):
        """(forward(x), 0): splitting has a unit Jacobian."""
        self._check_event_ndims(event_ndims, -self.axis, "forward_log_det_jacobian")
        pieces = self.forward(x, **kwargs)
        return pieces, jnp.zeros((), pieces[0].dtype)

    def inverse_and_log_det(self, y, event_ndims: Sequence[int] | None = None, **kwargs):
        """(inverse(y), 0); `event_ndims` is a list with one rank per piece (default -axis each)."""
        if event_ndims is not None:
            for n in self._pieces(event_ndims, "event_ndims"):
                self._check_event_ndims(n, -self.axis, "inverse_log_det_jacobian")
        x = self.inverse(y, **kwargs)
        return x, jnp.zeros((), x.dtype)

    def inverse_log_det_jacobian(self, y, event_ndims: Sequence[int] | None = None, **kwargs):
        """0, the log-determinant of concatenation; `event_ndims` has one rank per piece."""
        return self.inverse_and_log_det(y, event_ndims, **kwargs)[1]

    # ------------------------------------------------------------------ shapes
    def forward_event_shape(self, input_shape) -> list[tuple[int, ...]]:
        """The shapes of the pieces of an input of `input_shape`."""
        shape = as_shape(input_shape, "input_shape")
        self._check_rank(shape, "input_shape")
        axis = len(shape) + self.axis
        sizes = self._sizes(shape[axis], "input_shape")
        return [(*shape[:axis], size, *shape[axis + 1:]) for size in sizes]

    def inverse_event_shape(self, output_shape) -> tuple[int, ...]:
        """The shape of the concatenation of pieces of the shapes in `output_shape`."""
        shapes = [as_shape(s, f"output_shape[{i}]") for i, s in enumerate(self._pieces(output_shape,
                                                                                        "output_shape"))]
        for i, shape in enumerate(shapes):
            self._check_rank(shape, f"output_shape[{i}]")
        first = shapes[0]
        axis = len(first) + self.axis
        return (*first[:axis], sum(s[len(s) + self.axis] for s in shapes), *first[axis + 1:])

    def forward_event_ndims(self, event_ndims: int) -> list[int]:
        """The pieces' event ranks: each the input's."""
        return [event_ndims] * self._count

    def inverse_event_ndims(self, event_ndims: Sequence[int]) -> int:
        """The input's event rank, given the pieces' (all equal)."""
        ndims = set(self._pieces(event_ndims, "event_ndims"))
        if len(ndims) != 1:
            raise ValueError(f"Split: the pieces' event_ndims must be equal, got {list(event_ndims)}.")
        return ndims.pop()


def _static_splits(num_or_size_splits) -> int | tuple[int, ...]:
    if np.ndim(num_or_size_splits) == 0:
        num_or_size_splits = int(num_or_size_splits)
        if num_or_size_splits < 1:
            raise ValueError(f"Split: num_or_size_splits must be >= 1, got {num_or_size_splits}.")
        return num_or_size_splits
    try:
        sizes = tuple(int(s) for s in num_or_size_splits)
    except (TypeError, jax.errors.ConcretizationTypeError) as err:
        raise ValueError("Split: num_or_size_splits must be an int or a sequence of Python ints, "
                         f"got {num_or_size_splits!r}.") from err
    if not sizes or sizes.count(-1) > 1 or any(s < -1 for s in sizes):
        raise ValueError("Split: num_or_size_splits must be non-empty sizes >= 0 with at most one -1, "
                         f"got {list(sizes)}.")
    return sizes
