"""Shape bookkeeping: sample shapes, broadcasting with readable errors, rank padding."""

from __future__ import annotations

from collections.abc import Sequence

import jax
import numpy as np

Shape = tuple[int, ...]


def as_shape(shape, argument: str) -> Shape:
    """Normalize an int or a sequence of ints to a shape tuple.

    Raises:
      ValueError: naming `argument` when `shape` has negative or non-integer entries.

    """
    if isinstance(shape, int | np.integer):
        shape = (int(shape),)
    try:
        result = tuple(int(s) for s in shape)
    except TypeError as err:
        raise ValueError(f"{argument} must be an int or a sequence of ints, got {shape!r}.") from err
    if any(s < 0 for s in result):
        raise ValueError(f"{argument} must have non-negative entries, got {result}.")
    return result


def broadcast_shapes(*shapes: Sequence[int], what: str) -> Shape:
    """Broadcast shapes NumPy's way, raising a `ValueError` that shows them on failure."""
    try:
        return tuple(np.broadcast_shapes(*[tuple(s) for s in shapes]))
    except ValueError as err:
        listed = ", ".join(str(tuple(s)) for s in shapes)
        raise ValueError(f"{what}: shapes {listed} cannot be broadcast together.") from err


def pad_leading(x: jax.Array, rank: int) -> jax.Array:
    """Prepend unit dimensions so `x` has at least `rank` dimensions (a free reshape)."""
    missing = rank - x.ndim
    return x if missing <= 0 else x.reshape((1,) * missing + x.shape)
