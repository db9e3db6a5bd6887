"""Blockwise: bijectors applied to consecutive blocks of the last axis."""

from __future__ import annotations

import functools
from collections.abc import Sequence

import jax
import jax.numpy as jnp

from probax._internal.shapes import broadcast_shapes
from probax.bijectors import _composition
from probax.bijectors.bijector import Bijector


class Blockwise(Bijector):
    """Splits the last axis into blocks and applies one bijector to each: [f_0(x_0), ..., f_k(x_k)].

    Each bijector acts on vectors (elementwise ones too) and may change its block's length
    (`SoftmaxCentered` turns n entries into n + 1). The Jacobian is block diagonal, so the
    log-determinant is the sum of the blocks' log-determinants. Keyword arguments reach the
    blocks as in `Chain`: by bijector name (a dict) or, for conditioning keywords, to every
    block that accepts them.

    Args:
      bijectors: the bijectors, one per block (at least one).
      block_sizes: the length of each block of the input (static ints); default all 1.
      validate_args: check parameters.
      maybe_changes_size: accepted for TFP compatibility; block lengths are static here, so
        output sizes are always known and this flag changes nothing.
      name: a name (default `blockwise_of_<names>`).

    Example:
      >>> import jax.numpy as jnp
      >>> from probax.bijectors import Blockwise, Exp, Scale
      >>> blockwise = Blockwise([Exp(), Scale(2.)], block_sizes=[1, 2])
      >>> blockwise.forward(jnp.array([0., 1., 2.])).tolist()
      [1.0, 2.0, 4.0]

    """

    _child_names = ("bijectors",)
    _static_names = ("block_sizes", "maybe_changes_size")

    def __init__(self, bijectors: Sequence[Bijector], block_sizes: Sequence[int] | None = None,
                 validate_args: bool = False, maybe_changes_size: bool = True, name: str | None = None):
        bijectors = tuple(bijectors)
        if not bijectors:
            raise ValueError("Blockwise: bijectors must hold at least one bijector.")
        for i, b in enumerate(bijectors):
            if not isinstance(b, Bijector):
                raise TypeError(f"Blockwise: bijectors[{i}] must be a Bijector, got {type(b).__name__}.")
            if b.forward_min_event_ndims > 1 or b.forward_event_ndims(1) != 1:
                raise ValueError(
                    f"Blockwise: bijectors[{i}] ({type(b).__name__}) must map vectors to vectors "
                    f"(min event ndims 0 or 1 on both sides), got {b.forward_min_event_ndims} -> "
                    f"{b.inverse_min_event_ndims}."
                )
        block_sizes = (1,) * len(bijectors) if block_sizes is None else _static_sizes(block_sizes)
        if len(block_sizes) != len(bijectors):
            raise ValueError(f"Blockwise: block_sizes must have one entry per bijector ({len(bijectors)}), "
                             f"got {list(block_sizes)}.")
        super().__init__(
            bijectors=bijectors,
            block_sizes=block_sizes,
            maybe_changes_size=bool(maybe_changes_size),
            forward_min_event_ndims=1,
            is_constant_jacobian=all(b.is_constant_jacobian for b in bijectors),
            validate_args=validate_args,
            name=name or "blockwise_of_" + "_and_".join(b.name for b in bijectors),
        )

    def _accepted_keywords(self) -> frozenset[str]:
        return _composition.accepted_keywords(self.bijectors)

    def _output_sizes(self) -> tuple[int, ...]:
        return tuple(b.forward_event_shape((size,))[-1]
                     for b, size in zip(self.bijectors, self.block_sizes, strict=True))

    def _blocks(self, value, sizes: tuple[int, ...], argument: str) -> list[jax.Array]:
        value = jnp.asarray(value)
        if value.ndim < 1 or value.shape[-1] != sum(sizes):
            raise ValueError(f"Blockwise: the last dimension of {argument} must be {sum(sizes)} "
                             f"(the blocks {list(sizes)}), got shape {value.shape}.")
        return _split_last(value, sizes)

    @staticmethod
    def _concatenated(blocks: list[jax.Array]) -> jax.Array:
        return _composition.concatenate_events(blocks, 1, -1, "Blockwise blocks")

    # ------------------------------------------------------------------ maps
    def forward(self, x, **kwargs) -> jax.Array:
        """The forward map, y = [f_0(x_0), ..., f_k(x_k)] over blocks of the last axis."""
        kwargs = self._conditioning(kwargs, "forward")
        blocks = self._blocks(x, self.block_sizes, "x")
        return self._concatenated([b.forward(block, **_composition.routed(b, kwargs))
                                   for b, block in zip(self.bijectors, blocks, strict=True)])

    def inverse(self, y, **kwargs) -> jax.Array:
        """The inverse map, x = [f_0^{-1}(y_0), ..., f_k^{-1}(y_k)] over the output blocks."""
        kwargs = self._conditioning(kwargs, "inverse")
        blocks = self._blocks(y, self._output_sizes(), "y")
        return self._concatenated([b.inverse(block, **_composition.routed(b, kwargs))
                                   for b, block in zip(self.bijectors, blocks, strict=True)])

    def forward_and_log_det(self, x, event_ndims: int | None = None, **kwargs):
        """(forward(x), sum of the blocks' forward log-dets over `event_ndims` dims)."""
        event_ndims = self._check_event_ndims(event_ndims, 1, "forward_log_det_jacobian")
        kwargs = self._conditioning(kwargs, "forward_log_det_jacobian")
        blocks = self._blocks(x, self.block_sizes, "x")
        results = [b.forward_and_log_det(block, event_ndims, **_composition.routed(b, kwargs))
                   for b, block in zip(self.bijectors, blocks, strict=True)]
        return self._joined(results)

    def inverse_and_log_det(self, y, event_ndims: int | None = None, **kwargs):
        """(inverse(y), sum of the blocks' inverse log-dets over `event_ndims` dims)."""
        event_ndims = self._check_event_ndims(event_ndims, 1, "inverse_log_det_jacobian")
        kwargs = self._conditioning(kwargs, "inverse_log_det_jacobian")
        blocks = self._blocks(y, self._output_sizes(), "y")
        results = [b.inverse_and_log_det(block, event_ndims, **_composition.routed(b, kwargs))
                   for b, block in zip(self.bijectors, blocks, strict=True)]
        return self._joined(results)

    def _joined(self, results):
        outputs = [out for out, _ in results]
        log_det = _composition.add_log_dets([ld for _, ld in results], outputs[0].dtype)
        return self._concatenated(outputs), log_det

    # ------------------------------------------------------------------ shapes
    def _forward_event_shape(self, shape):
        if not shape or shape[-1] != sum(self.block_sizes):
            raise ValueError(f"Blockwise: input_shape must end in {sum(self.block_sizes)}, got {shape}.")
        return (*shape[:-1], sum(self._output_sizes()))

    def _inverse_event_shape(self, shape):
        if not shape or shape[-1] != sum(self._output_sizes()):
            raise ValueError(f"Blockwise: output_shape must end in {sum(self._output_sizes())}, got {shape}.")
        return (*shape[:-1], sum(self.block_sizes))

    def _batch_shape(self):
        return broadcast_shapes(*(b.experimental_batch_shape(1) for b in self.bijectors),
                                what="Blockwise bijectors")


# Compiled as one program: called eagerly, JAX would otherwise compile each slice on its own.
@functools.partial(jax.jit, static_argnames="sizes")
def _split_last(value, sizes: tuple[int, ...]) -> list[jax.Array]:
    starts = [sum(sizes[:i]) for i in range(len(sizes))]
    return [value[..., start:start + size] for start, size in zip(starts, sizes, strict=True)]


def _static_sizes(block_sizes) -> tuple[int, ...]:
    try:
        sizes = tuple(int(s) for s in block_sizes)
    except (TypeError, jax.errors.ConcretizationTypeError) as err:
        raise ValueError(
            f"Blockwise: block_sizes must be a sequence of Python ints, got {block_sizes!r}."
        ) from err
    if any(s < 0 for s in sizes):
        raise ValueError(f"Blockwise: block_sizes must be non-negative, got {list(sizes)}.")
    return sizes
