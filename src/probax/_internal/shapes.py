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


def expand_batch_index(index, batch_shape: Shape, owner: str) -> tuple:
    """Normalize a `__getitem__` index over batch dimensions to one entry per batch dimension.

    Ellipsis is expanded and missing trailing entries become `slice(None)`; `None` entries
    (new axes) are kept. The result can be followed by event-dimension slices.

    Raises:
      ValueError: naming `owner` when the index has more entries than `batch_shape` dimensions.

    """
    index = index if isinstance(index, tuple) else (index,)
    indexed_dims = sum(1 for i in index if i is not None and i is not Ellipsis)
    if indexed_dims > len(batch_shape):
        raise ValueError(f"{owner}[{index}]: too many indices for batch_shape {batch_shape}.")
    # Identity tests: array entries have no truth value for `in` / `.index`.
    ellipses = [k for k, i in enumerate(index) if i is Ellipsis]
    if ellipses:
        at = ellipses[0]
        return index[:at] + (slice(None),) * (len(batch_shape) - indexed_dims) + index[at + 1 :]
    return index + (slice(None),) * (len(batch_shape) - indexed_dims)


# Compiled as one program: called eagerly, JAX would otherwise dispatch (and compile, for each
# new shape) every addition and reshape on its own.
@jax.jit
def broadcast_sum(arrays: Sequence[jax.Array]) -> jax.Array:
    """Sum of arrays whose shapes broadcast, with ranks aligned explicitly (rank-promotion safe)."""
    rank = max(a.ndim for a in arrays)
    total = pad_leading(arrays[0], rank)
    for array in arrays[1:]:
        total = total + pad_leading(array, rank)
    return total
