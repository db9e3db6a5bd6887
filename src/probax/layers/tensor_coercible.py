"""How a head's distribution turns into an array when it feeds further layers (TFP's convert_to_tensor_fn).

A Keras/TFP distribution layer returns a distribution that *also* behaves as a tensor: the next
layer sees `convert_to_tensor_fn(distribution)` (a draw by default, or the mean, mode, ...). probax
heads return a distribution of the family's own type (so `isinstance`, `kl_divergence` and every
method work unchanged) from a cached subclass that remembers the conversion. The conversion is lazy:
it runs only when the distribution is used as an array (`jnp.asarray(d)`, or any layer that converts
its input with `jnp.asarray`, such as `nnx.Linear`), or through `convert_to_tensor(d)`. A head used
only for `log_prob` therefore needs no random key.

A draw needs a key: the head takes one from its `rngs` (or from `seed=` at call) and the distribution
holds it outside its pytree data, so the key never leaks out of a `jit` trace; copies, slices and
distributions rebuilt by JAX have none and `convert_to_tensor(d, seed=...)` supplies it.
"""

from __future__ import annotations

import inspect
from collections.abc import Callable
from typing import Any, ClassVar

import jax
import jax.numpy as jnp

from probax._internal.prng import as_key
from probax.distributions.distribution import Distribution

ConvertToTensorFn = str | Callable[..., Any]

_STATISTICS = ("mean", "mode", "stddev", "variance")
_NAMED = ("sample", *_STATISTICS)
_DRAW_CALLER = (
    "Converting a head's distribution to an array by a draw (convert_to_tensor_fn=sample): give the "
    "head rngs=nnx.Rngs(...), call it with seed=..., or call convert_to_tensor(d, seed=...); this"
)


def _named_conversion(fn: ConvertToTensorFn) -> str | None:
    """The method name when `fn` is "sample"/"mean"/... or TFP-style `Distribution.sample`/`.mean`/..."""
    if isinstance(fn, str):
        if fn not in _NAMED:
            raise ValueError(f"convert_to_tensor_fn: expected one of {list(_NAMED)} or a callable, "
                             f"got {fn!r}.")
        return fn
    for name in _NAMED:
        if fn is getattr(Distribution, name):
            return name
    return None


def validate_convert_to_tensor_fn(fn: ConvertToTensorFn) -> ConvertToTensorFn:
    """Return `fn` after checking it is a known method name or a callable.

    Example:
      >>> from probax.distributions import Distribution
      >>> validate_convert_to_tensor_fn(Distribution.mean) is Distribution.mean
      True

    """
    if _named_conversion(fn) is None and not callable(fn):
        raise TypeError(
            f"convert_to_tensor_fn: expected a callable or one of {list(_NAMED)}, got {type(fn).__name__}."
        )
    return fn


def conversion_needs_seed(fn: ConvertToTensorFn) -> bool:
    """True when converting with `fn` draws randomness (a draw, or a callable taking `seed`).

    Example:
      >>> conversion_needs_seed("sample"), conversion_needs_seed("mean")
      (True, False)

    """
    name = _named_conversion(fn)
    if name is not None:
        return name == "sample"
    try:
        return "seed" in inspect.signature(fn).parameters
    except (TypeError, ValueError):  # builtins without a signature
        return False


def _apply(fn: ConvertToTensorFn, distribution: Distribution, seed) -> jax.Array:
    name = _named_conversion(fn)
    if name == "sample":
        return distribution.sample(seed=as_key(seed, _DRAW_CALLER))
    if name is not None:
        return getattr(distribution, name)()
    if conversion_needs_seed(fn):
        return jnp.asarray(fn(distribution, seed=seed))
    return jnp.asarray(fn(distribution))


class TensorCoercible:
    """Mixin of the per-family subclasses that heads return; see the module docstring."""

    _convert_to_tensor_fn: ClassVar[ConvertToTensorFn] = "sample"
    # Instance attribute set by `tensor_coercible`; deliberately not pytree data.
    _conversion_key: ClassVar[jax.Array | None] = None

    def __jax_array__(self) -> jax.Array:
        return convert_to_tensor(self)


_CLASSES: dict[tuple[type, Any], type] = {}


def tensor_coercible(distribution: Distribution, convert_to_tensor_fn: ConvertToTensorFn = "sample",
                     seed=None) -> Distribution:
    """The same distribution, of a subclass of its family that converts to an array lazily.

    Args:
      distribution: any probax distribution.
      convert_to_tensor_fn: "sample", "mean", "mode", "stddev", "variance", the matching
        `Distribution` methods (TFP's `tfd.Distribution.sample`, ...), or a callable taking the
        distribution (and `seed=` if it draws).
      seed: key or int used when the conversion draws; None to supply one later.

    Returns:
      A distribution with the same parameters, type `type(distribution)` or a subclass of it.

    Example:
      >>> from probax.distributions import Normal
      >>> d = tensor_coercible(Normal(jnp.array([1., 2.]), 1.), "mean")
      >>> isinstance(d, Normal), jnp.asarray(d).tolist()
      (True, [1.0, 2.0])

    """
    if not isinstance(distribution, Distribution):
        raise TypeError(
            f"tensor_coercible: distribution must be a Distribution, got {type(distribution).__name__}."
        )
    validate_convert_to_tensor_fn(convert_to_tensor_fn)
    family = type(distribution)
    if isinstance(distribution, TensorCoercible):
        family = next(c for c in family.__mro__[1:] if not issubclass(c, TensorCoercible))
    cache_key = (family, convert_to_tensor_fn)
    if cache_key not in _CLASSES:
        attribute = staticmethod(convert_to_tensor_fn) if inspect.isfunction(convert_to_tensor_fn) else (
            convert_to_tensor_fn)
        _CLASSES[cache_key] = type(family.__name__, (TensorCoercible, family),
                                   {"_convert_to_tensor_fn": attribute})
    children, statics = distribution._tree_flatten()
    result = _CLASSES[cache_key]._tree_unflatten(statics, children)
    if seed is not None:
        object.__setattr__(result, "_conversion_key", as_key(seed, "tensor_coercible"))
    return result


def convert_to_tensor(value, seed=None) -> jax.Array:
    """An array for `value`: a head's distribution converted by its `convert_to_tensor_fn`.

    Args:
      value: a distribution returned by a head (converted by its own rule), any other
        distribution (TFP's default rule: one draw) or an array-like (returned as an array).
      seed: key or int for a conversion that draws; defaults to the key the head attached.

    Returns:
      The array.

    Example:
      >>> from probax.distributions import Normal
      >>> convert_to_tensor(Normal(jnp.zeros(3), 1.), seed=0).shape
      (3,)

    """
    if isinstance(value, TensorCoercible):
        key = value._conversion_key if seed is None else seed
        return _apply(type(value)._convert_to_tensor_fn, value, key)
    if isinstance(value, Distribution):
        return _apply("sample", value, seed)
    return jnp.asarray(value)
