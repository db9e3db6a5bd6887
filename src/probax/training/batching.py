"""Minibatches of static shape: padded index blocks with a mask, and per-example reductions.

An epoch of `n` examples in batches of `b` is `ceil(n / b)` steps of exactly `b` rows: the
last block is topped up with repeats of the first examples of the order and a mask marks
them, so every example counts once, every step has the same shape and one compiled step
serves them all. Means over a batch use the mask; padded rows get zero weight (and zero
gradient).
"""

from __future__ import annotations

import math

import jax
import jax.numpy as jnp
import numpy as np


def as_examples(values, name: str, caller: str) -> jax.Array | np.ndarray:
    """`values` as an array whose leading axis indexes examples.

    Example:
      >>> as_examples([[1.0], [2.0]], "x", "fit").shape
      (2, 1)

    """
    # Host data stays in NumPy until a compiled program takes it: slicing it compiles nothing.
    try:
        array = values if isinstance(values, jax.Array) else np.asarray(values)
    except TypeError as err:
        raise TypeError(f"{caller}: {name} must be an array, got {type(values).__name__}.") from err
    if array.ndim == 0 or array.shape[0] == 0:
        raise ValueError(
            f"{caller}: {name} must have a leading axis of examples (at least one), got shape {array.shape}."
        )
    return array


def paired_examples(x, y, caller: str, names: tuple[str, str] = ("x", "y")) -> tuple:
    """Inputs and targets as arrays with the same number of examples.

    Example:
      >>> x, y = paired_examples([[1.0], [2.0]], [0.0, 1.0], "fit")
      >>> x.shape, y.shape
      ((2, 1), (2,))

    """
    x, y = as_examples(x, names[0], caller), as_examples(y, names[1], caller)
    if x.shape[0] != y.shape[0]:
        raise ValueError(
            f"{caller}: {names[0]} and {names[1]} must have the same number of examples, got "
            f"{x.shape[0]} and {y.shape[0]}."
        )
    return x, y


def check_batch_size(batch_size, num_examples: int, caller: str) -> int:
    """A positive int batch size, capped at the number of examples (as Keras does).

    Example:
      >>> check_batch_size(32, 10, "fit")
      10

    """
    if batch_size is None:
        return num_examples
    if not isinstance(batch_size, int | np.integer) or isinstance(batch_size, bool) or batch_size < 1:
        raise ValueError(f"{caller}: batch_size must be a positive int or None, got {batch_size!r}.")
    return min(int(batch_size), num_examples)


def padded_batches(order: jax.Array, batch_size: int) -> tuple[jax.Array, jax.Array]:
    """Split an order of example indices into `[steps, batch_size]` blocks and their mask.

    Args:
      order: int array `[n]`, the examples in the order they are visited.
      batch_size: rows per block, at most `n`.

    Returns:
      `(indices, mask)`, both `[ceil(n / batch_size), batch_size]`; `mask` is False on the
      padding rows of the last block.

    Example:
      >>> indices, mask = padded_batches(jnp.arange(5), 2)
      >>> indices.tolist(), mask.tolist()
      ([[0, 1], [2, 3], [4, 0]], [[True, True], [True, True], [True, False]])

    """
    num_examples = order.shape[0]
    steps = math.ceil(num_examples / batch_size)
    padding = steps * batch_size - num_examples
    indices = jnp.concatenate([order, order[:padding]]).reshape(steps, batch_size)
    mask = (jnp.arange(steps * batch_size) < num_examples).reshape(steps, batch_size)
    return indices, mask


def per_example(values, batch_size: int, what: str) -> jax.Array:
    """Reduce a loss or metric output to one value per example (mean over trailing axes).

    Raises:
      ValueError: when `values` does not have the batch as its leading axis (e.g. a loss
        that already averaged over the batch).

    Example:
      >>> per_example(jnp.ones((3, 2)), 3, "loss").shape
      (3,)

    """
    values = jnp.asarray(values)
    if values.ndim == 0 or values.shape[0] != batch_size:
        raise ValueError(
            f"{what} must return one value per example (leading axis of size {batch_size}), got shape "
            f"{values.shape}. Return e.g. -dist.log_prob(y) without averaging: the mean over the batch "
            "is taken for you (and masks the padding of the last batch)."
        )
    if values.ndim == 1:
        return values
    return jnp.mean(values.reshape(batch_size, -1), axis=1)


def masked_sum(values: jax.Array, mask: jax.Array) -> jax.Array:
    """Sum of `values` over the rows where `mask` holds.

    Example:
      >>> float(masked_sum(jnp.array([1.0, 2.0, 4.0]), jnp.array([True, True, False])))
      3.0

    """
    # A select, not a product with the mask: a NaN on a padding row must not leak in.
    return jnp.sum(jax.lax.select(mask, values, jnp.zeros_like(values)))
