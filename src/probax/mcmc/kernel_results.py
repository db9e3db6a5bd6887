"""Reading and replacing fields deep inside nested kernel results.

Wrapping kernels (MetropolisHastings, TransformedTransitionKernel, the step-size
adaptations) keep the results of the kernel they wrap in `accepted_results` or
`inner_results`. An adaptation that tunes `step_size` or the mass matrix, or
reads `log_accept_ratio`, looks for the outermost results that have the field,
descending through those two names.
"""

from __future__ import annotations

from collections.abc import Callable, Collection
from typing import Any

_INNER_NAMES = ("accepted_results", "inner_results")


def _inner(results: Any) -> Any:
    for name in _INNER_NAMES:
        if hasattr(results, name):
            return getattr(results, name)
    return None


def has_field(results: Any, name: str) -> bool:
    """Whether `results` or a results object nested in it has the field `name`.

    Example:
      >>> from typing import NamedTuple
      >>> class Inner(NamedTuple):
      ...     step_size: float
      >>> class Outer(NamedTuple):
      ...     inner_results: Inner
      >>> has_field(Outer(Inner(0.1)), "step_size"), has_field(Outer(Inner(0.1)), "energy")
      (True, False)

    """
    while results is not None:
        if name in getattr(results, "_fields", ()):
            return True
        results = _inner(results)
    return False


def get_field(results: Any, name: str) -> Any:
    """The outermost value of field `name` in nested results.

    Example:
      >>> from typing import NamedTuple
      >>> class Inner(NamedTuple):
      ...     step_size: float
      >>> class Outer(NamedTuple):
      ...     accepted_results: Inner
      >>> get_field(Outer(Inner(0.1)), "step_size")
      0.1

    """
    current = results
    while current is not None:
        if name in getattr(current, "_fields", ()):
            return getattr(current, name)
        current = _inner(current)
    raise ValueError(
        f"Kernel results of type {type(results).__name__} have no field {name!r} "
        f"(searched through {' / '.join(_INNER_NAMES)})."
    )


def replace_field(results: Any, name: str, value: Any) -> Any:
    """A copy of nested results with the outermost field `name` set to `value`.

    Example:
      >>> from typing import NamedTuple
      >>> class Inner(NamedTuple):
      ...     step_size: float
      >>> class Outer(NamedTuple):
      ...     inner_results: Inner
      >>> replace_field(Outer(Inner(0.1)), "step_size", 0.5)
      Outer(inner_results=Inner(step_size=0.5))

    """
    if name in getattr(results, "_fields", ()):
        return results._replace(**{name: value})
    for inner_name in _INNER_NAMES:
        if hasattr(results, inner_name):
            inner = replace_field(getattr(results, inner_name), name, value)
            return results._replace(**{inner_name: inner})
    raise ValueError(
        f"Kernel results of type {type(results).__name__} have no field {name!r} "
        f"(searched through {' / '.join(_INNER_NAMES)})."
    )


def replace_fields_everywhere(results: Any, names: Collection[str], new_value: Callable[[tuple], Any]) -> Any:
    """A copy of nested results with every field named in `names`, at any depth, replaced.

    Unlike `replace_field`, this descends into every NamedTuple field (proposals kept beside
    the accepted results too), and a replaced field is not searched further.

    Args:
      results: kernel results (NamedTuples, nested in any field).
      names: the field names to replace.
      new_value: `new_value(path) -> value` for the field at `path`, the tuple of field names
        leading to it from `results` (e.g. `("inner_results", "target_log_prob")`).

    Example:
      >>> from typing import NamedTuple
      >>> class Inner(NamedTuple):
      ...     step_size: float
      >>> class Outer(NamedTuple):
      ...     step_size: float
      ...     inner_results: Inner
      >>> replace_fields_everywhere(Outer(0.1, Inner(0.2)), ("step_size",), lambda path: len(path))
      Outer(step_size=1, inner_results=Inner(step_size=2))

    """

    def walk(node: Any, path: tuple) -> Any:
        if not hasattr(node, "_fields"):
            return node
        return node._replace(
            **{
                field: new_value((*path, field)) if field in names else walk(value, (*path, field))
                for field, value in zip(node._fields, node, strict=True)
            }
        )

    return walk(results, ())
