"""How JointDistribution models call the functions that build dependent parts."""

from __future__ import annotations

import inspect
from collections.abc import Callable

import jax

from probax.distributions.distribution import Distribution


def as_model_entry(fn, owner: str, index):
    """A distribution as is; a part-building function wrapped to sit in a pytree (as static data)."""
    if isinstance(fn, Distribution):
        return fn
    if not callable(fn):
        raise TypeError(
            f"{owner}: model entry {index!r} must be a Distribution or a function returning one, "
            f"got {type(fn).__name__}."
        )
    return fn if isinstance(fn, jax.tree_util.Partial) else jax.tree_util.Partial(fn)


def required_arguments(fn: Callable) -> tuple[tuple[str, ...], bool]:
    """Names of `fn`'s positional parameters without defaults, and whether it takes `*args`."""
    fn = fn.func if isinstance(fn, jax.tree_util.Partial) else fn
    names, varargs = [], False
    for parameter in inspect.signature(fn).parameters.values():
        if parameter.kind is inspect.Parameter.VAR_POSITIONAL:
            varargs = True
        elif (parameter.kind in (inspect.Parameter.POSITIONAL_ONLY, inspect.Parameter.POSITIONAL_OR_KEYWORD)
              and parameter.default is inspect.Parameter.empty):
            names.append(parameter.name)
    return tuple(names), varargs
