"""Shared pieces of bijectors made of other bijectors (JointMap, Blockwise).

Keyword routing follows TFP's composites: a keyword named after a component (its `name`)
with a dict value goes to that component only, and any other keyword goes to every
component that accepts it.
"""

from __future__ import annotations

import functools
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

import jax
import jax.numpy as jnp

from probax._internal.shapes import broadcast_shapes, broadcast_sum
from probax.bijectors.bijector import Bijector


def accepted_keywords(bijectors: Iterable[Bijector]) -> frozenset[str]:
    """Keywords a composite accepts: its components' names and their own keywords."""
    bijectors = tuple(bijectors)
    names = {b.name for b in bijectors}
    return frozenset(names.union(*(b._accepted_keywords() for b in bijectors)))


def routed(bijector: Bijector, kwargs: Mapping[str, Any]) -> dict[str, Any]:
    """The keyword arguments that reach `bijector` out of those given to its composite."""
    own = {k: v for k, v in kwargs.items() if k in bijector._accepted_keywords()}
    by_name = kwargs.get(bijector.name)
    if isinstance(by_name, Mapping):
        own.update(by_name)
    return own


def add_log_dets(log_dets: Sequence[jax.Array], dtype) -> jax.Array:
    """Sum of log-determinants whose shapes broadcast, padding ranks explicitly."""
    if not log_dets:
        return jnp.zeros((), dtype)
    return broadcast_sum([jnp.asarray(d) for d in log_dets])


def concatenate_events(parts: Sequence[jax.Array], event_ndims: int, axis: int, what: str) -> jax.Array:
    """Concatenate along `axis` (inside the event) after broadcasting the parts' batch shapes.

    The batch shape of a part is all but its `event_ndims` rightmost dims.
    """
    parts = [jnp.asarray(p) for p in parts]
    broadcast_shapes(*(p.shape[: p.ndim - event_ndims] for p in parts), what=what)
    return _concatenate_events(parts, event_ndims, axis)


@functools.partial(jax.jit, static_argnames=("event_ndims", "axis"))
def _concatenate_events(parts: list[jax.Array], event_ndims: int, axis: int) -> jax.Array:
    batch = jnp.broadcast_shapes(*(p.shape[: p.ndim - event_ndims] for p in parts))
    parts = [jnp.broadcast_to(p, batch + p.shape[p.ndim - event_ndims:]) for p in parts]
    return jnp.concatenate(parts, axis=axis)
