"""Chain: the composition of bijectors, applied right to left."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import jax.numpy as jnp

from probax._internal.shapes import broadcast_shapes, pad_leading
from probax.bijectors.bijector import Bijector


def _add_log_dets(total, log_det):
    """Sum of two log-dets whose shapes broadcast (rank-explicit)."""
    if total is None:
        return log_det
    rank = max(jnp.ndim(total), jnp.ndim(log_det))
    return pad_leading(jnp.asarray(total), rank) + pad_leading(jnp.asarray(log_det), rank)


class Chain(Bijector):
    """Composition `Chain([f, g, h])(x) = f(g(h(x)))`, as in TFP (the last bijector acts first).

    Keyword arguments reach the components two ways: a keyword named after a component
    (its `name`) with a dict value goes to that component only (TFP's style), and any
    other keyword, such as `conditional_input`, goes to every component that accepts it,
    so a conditional flow of several layers needs the condition given once.

    Args:
      bijectors: the bijectors, outermost first. An empty list is the identity.
      validate_args: check parameters.
      name: a name for the chain.

    Example:
      >>> from probax.bijectors import Chain, Exp, Shift
      >>> chain = Chain([Exp(), Shift(1.)])
      >>> round(float(chain.forward(0.)), 4)
      2.7183
      >>> float(chain.inverse_log_det_jacobian(jnp.e))
      -1.0

    """

    _child_names = ("bijectors",)

    def __init__(
        self, bijectors: Sequence[Bijector] = (), validate_args: bool = False, name: str | None = None
    ):
        bijectors = tuple(bijectors)
        for i, b in enumerate(bijectors):
            if not isinstance(b, Bijector):
                raise TypeError(f"Chain: bijectors[{i}] must be a Bijector, got {type(b).__name__}.")
        forward_min, inverse_min = _min_event_ndims(bijectors)
        super().__init__(
            bijectors=bijectors,
            forward_min_event_ndims=forward_min,
            inverse_min_event_ndims=inverse_min,
            is_constant_jacobian=all(b.is_constant_jacobian for b in bijectors),
            validate_args=validate_args,
            name=name or "chain",
        )

    def _accepted_keywords(self) -> frozenset[str]:
        names = {b.name for b in self.bijectors}
        return frozenset(names.union(*(b._accepted_keywords() for b in self.bijectors)))

    def _routed(self, bijector: Bijector, kwargs: Mapping[str, Any]) -> dict[str, Any]:
        routed = {k: v for k, v in kwargs.items() if k in bijector._accepted_keywords()}
        own = kwargs.get(bijector.name)
        if isinstance(own, Mapping):
            routed.update(own)
        return routed

    def _stages(self, event_ndims: int):
        """(bijector, event ndims of its input) in the order the bijectors act, going forward."""
        for b in reversed(self.bijectors):
            yield b, event_ndims
            event_ndims = b.forward_event_ndims(event_ndims)

    def _forward(self, x, **kwargs):
        for b in reversed(self.bijectors):
            x = b.forward(x, **self._routed(b, kwargs))
        return x

    def _inverse(self, y, **kwargs):
        for b in self.bijectors:
            y = b.inverse(y, **self._routed(b, kwargs))
        return y

    def _forward_and_log_det(self, x, **kwargs):
        total = None
        for b, event_ndims in self._stages(self.forward_min_event_ndims):
            x, log_det = b.forward_and_log_det(x, event_ndims, **self._routed(b, kwargs))
            total = _add_log_dets(total, log_det)
        return x, jnp.zeros((), jnp.result_type(x)) if total is None else total

    def _inverse_and_log_det(self, y, **kwargs):
        total = None
        event_ndims = self.inverse_min_event_ndims
        for b in self.bijectors:
            y, log_det = b.inverse_and_log_det(y, event_ndims, **self._routed(b, kwargs))
            event_ndims = b.inverse_event_ndims(event_ndims)
            total = _add_log_dets(total, log_det)
        return y, jnp.zeros((), jnp.result_type(y)) if total is None else total

    def _forward_event_shape(self, shape):
        for b in reversed(self.bijectors):
            shape = b.forward_event_shape(shape)
        return shape

    def _inverse_event_shape(self, shape):
        for b in self.bijectors:
            shape = b.inverse_event_shape(shape)
        return shape

    def _batch_shape(self):
        return self.experimental_batch_shape(self.forward_min_event_ndims)

    def experimental_batch_shape(self, x_event_ndims=None):
        """Broadcast of the components' batch shapes, each at the event rank it sees."""
        event_ndims = self.forward_min_event_ndims if x_event_ndims is None else x_event_ndims
        shapes = [b.experimental_batch_shape(n) for b, n in self._stages(event_ndims)]
        return broadcast_shapes(*shapes, what="Chain components")

    def _is_increasing(self):
        # Increasing where an even number of components decrease.
        increasing = True
        for b in self.bijectors:
            direction = b._is_increasing()
            if direction is None:
                return None
            increasing = increasing == direction
        return increasing


def _min_event_ndims(bijectors: Sequence[Bijector]) -> tuple[int, int]:
    """The least input event rank at which every component sees at least its minimum.

    Going forward, component i sees rank m + sum_{j<i} (inverse_min_j - forward_min_j).
    """
    shift, least = 0, 0
    for b in reversed(bijectors):
        least = max(least, b.forward_min_event_ndims - shift)
        shift += b.inverse_min_event_ndims - b.forward_min_event_ndims
    return least, least + shift
