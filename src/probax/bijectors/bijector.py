"""The `Bijector` base class: TFP's contract for smooth invertible maps, as a pytree.

A bijector declares its parameters once (`_parameter_properties`: name -> event
ndims), its nested pytrees (`_child_names`: bijectors, networks) and its static
configuration (`_static_names`), and writes only its maths: `_forward`,
`_inverse`, and one of `_forward_log_det_jacobian` / `_inverse_log_det_jacobian`
(each over `forward_min_event_ndims` / `inverse_min_event_ndims` dimensions), or
`_forward_and_log_det` / `_inverse_and_log_det` where computing the map and its
log-determinant together saves work. This class does the rest:

* rank alignment of parameters against the input (code runs under
  `jax_numpy_rank_promotion='raise'`);
* the log-determinant for `event_ndims` above the minimum, summed over the extra
  rightmost dimensions exactly as TFP does (a constant Jacobian is counted once
  per element it applies to, and not broadcast over batch dimensions);
* conditioning keyword arguments (`conditional_input=...`), checked by name;
* the pytree contract (parameters and nested bijectors are leaves or subtrees,
  everything else is static) and immutability. There is no cache: forward and
  inverse are recomputed when asked for (inside `jit`, XLA removes repeats).
"""

from __future__ import annotations

import math
import re
from collections.abc import Mapping
from typing import Any, ClassVar

import jax
import jax.numpy as jnp

from probax._internal.dtypes import common_float_dtype
from probax._internal.shapes import Shape, as_shape, broadcast_shapes, pad_leading

_BASE_STATICS = (
    "forward_min_event_ndims",
    "inverse_min_event_ndims",
    "is_constant_jacobian",
    "validate_args",
    "name",
)


class Bijector:
    """Base class of invertible, differentiable transformations (TFP's interface).

    `forward(x)` maps the base space to the output space, `inverse(y)` maps back;
    `forward_log_det_jacobian(x, event_ndims)` is log|det J_forward(x)| summed over
    the `event_ndims` rightmost dimensions, one value per batch member.

    Subclasses call `super().__init__(**parameters, **children, **static_config,
    forward_min_event_ndims=..., ...)` and implement the underscored methods.
    """

    # Keyword arguments (beyond the input) that `_forward` and friends accept.
    _conditional_names: ClassVar[tuple[str, ...]] = ()
    # Nested pytrees held by the bijector (other bijectors, networks).
    _child_names: ClassVar[tuple[str, ...]] = ()
    # Static (hashable, non-array) configuration.
    _static_names: ClassVar[tuple[str, ...]] = ()

    def __init_subclass__(cls, **kwargs):
        super().__init_subclass__(**kwargs)
        jax.tree_util.register_pytree_with_keys(
            cls, cls._tree_flatten_with_keys, cls._tree_unflatten, cls._tree_flatten
        )

    @classmethod
    def _parameter_properties(cls) -> dict[str, int]:
        """Ordered mapping from array-parameter name to its event ndims."""
        return {}

    def __init__(
        self,
        *,
        forward_min_event_ndims: int,
        inverse_min_event_ndims: int | None = None,
        is_constant_jacobian: bool = False,
        validate_args: bool = False,
        name: str | None = None,
        dtype=None,
        **arguments,
    ):
        properties = self._parameter_properties()
        expected = set(properties) | set(self._child_names) | set(self._static_names)
        unknown, missing = set(arguments) - expected, expected - set(arguments)
        if unknown or missing:
            raise TypeError(
                f"{type(self).__name__}: unexpected arguments {sorted(unknown)} / missing {sorted(missing)}."
            )
        values = [arguments[k] for k in properties]
        float_dtype = jnp.dtype(dtype) if dtype is not None else common_float_dtype(*values)
        # Python-scalar parameters stay weakly typed, as in `x + 1.0`: `Shift(1.)` under x64 must not
        # turn a float32 state into float64 (it would, say, break `lax.cond` branches in a sampler).
        keep_weak = dtype is None and all(_is_weak(v) for v in values if v is not None)
        for key in properties:
            raw = arguments[key]
            object.__setattr__(self, key, None if raw is None else _as_parameter(raw, float_dtype, keep_weak))
        for key in self._child_names:
            object.__setattr__(self, key, arguments[key])
        object.__setattr__(self, "_static_values", tuple(arguments[k] for k in self._static_names))
        if inverse_min_event_ndims is None:
            inverse_min_event_ndims = forward_min_event_ndims
        object.__setattr__(self, "forward_min_event_ndims", forward_min_event_ndims)
        object.__setattr__(self, "inverse_min_event_ndims", inverse_min_event_ndims)
        object.__setattr__(self, "is_constant_jacobian", bool(is_constant_jacobian))
        object.__setattr__(self, "validate_args", bool(validate_args))
        object.__setattr__(self, "name", name or _snake_case(type(self).__name__))
        if self.validate_args:
            self._validate_parameters()

    def _validate_parameters(self) -> None:
        """Hook: check parameters (with `probax._internal.checks.check`) when validating."""

    def __getattr__(self, key):
        names = type(self)._static_names
        if key in names and key != "_static_values":
            return self._static_values[names.index(key)]
        raise AttributeError(f"{type(self).__name__} has no attribute {key!r}.")

    def __setattr__(self, key, value):
        raise AttributeError(f"{type(self).__name__} is immutable; build a new bijector to change {key!r}.")

    # ------------------------------------------------------------------ pytree
    def _data_names(self) -> tuple[str, ...]:
        return (*self._parameter_properties(), *self._child_names)

    def _tree_flatten(self):
        children = tuple(getattr(self, k) for k in self._data_names())
        statics = (self._static_values, *(getattr(self, k) for k in _BASE_STATICS))
        return children, statics

    def _tree_flatten_with_keys(self):
        children, statics = self._tree_flatten()
        keys = [jax.tree_util.GetAttrKey(k) for k in self._data_names()]
        return list(zip(keys, children, strict=True)), statics

    @classmethod
    def _tree_unflatten(cls, statics, children):
        instance = object.__new__(cls)
        names = (*cls._parameter_properties(), *cls._child_names)
        for key, child in zip(names, children, strict=True):
            object.__setattr__(instance, key, child)
        object.__setattr__(instance, "_static_values", statics[0])
        for key, value in zip(_BASE_STATICS, statics[1:], strict=True):
            object.__setattr__(instance, key, value)
        return instance

    @property
    def parameters(self) -> dict[str, Any]:
        """The bijector's parameters, nested bijectors and static configuration by name."""
        values = {k: getattr(self, k) for k in self._data_names()}
        values.update(zip(self._static_names, self._static_values, strict=True))
        return values | {"validate_args": self.validate_args, "name": self.name}

    @property
    def dtype(self):
        """The float dtype of the parameters (None for a parameter-free bijector)."""
        present = [getattr(self, k) for k in self._parameter_properties() if getattr(self, k) is not None]
        return present[0].dtype if present else None

    def __repr__(self) -> str:
        return (
            f"<probax.bijectors.{type(self).__name__} '{self.name}' "
            f"forward_min_event_ndims={self.forward_min_event_ndims} "
            f"inverse_min_event_ndims={self.inverse_min_event_ndims}>"
        )

    # ------------------------------------------------------------------ alignment
    def _parameter_batch_rank(self) -> int:
        ranks = [
            getattr(self, k).ndim - n
            for k, n in self._parameter_properties().items()
            if getattr(self, k) is not None
        ]
        return max(ranks, default=0)

    def _aligned(self, value, min_event_ndims: int):
        """(bijector, value) with parameters and `value` padded to one batch rank."""
        value = jnp.asarray(value)
        if not self._parameter_properties():
            return self, value
        rank = max(value.ndim - min_event_ndims, self._parameter_batch_rank())
        # Scalars broadcast under strict rank promotion; only arrays need padding.
        padded = {
            k: pad_leading(getattr(self, k), rank + n)
            for k, n in self._parameter_properties().items()
            if getattr(self, k) is not None and getattr(self, k).ndim
        }
        children, statics = self._tree_flatten()
        names = self._data_names()
        children = tuple(padded.get(name, child) for name, child in zip(names, children, strict=True))
        return self._tree_unflatten(statics, children), pad_leading(value, rank + min_event_ndims)

    def _accepted_keywords(self) -> frozenset[str]:
        """Keyword arguments the maths accept (composites add their components')."""
        return frozenset(self._conditional_names)

    def _conditioning(self, kwargs: Mapping[str, Any], method: str) -> dict[str, Any]:
        unknown = set(kwargs) - self._accepted_keywords()
        if unknown:
            accepted = sorted(self._accepted_keywords()) or "none"
            raise TypeError(
                f"{type(self).__name__}.{method}: unexpected keyword arguments {sorted(unknown)}; "
                f"accepted: {accepted}."
            )
        return dict(kwargs)

    # ------------------------------------------------------------------ maps
    def forward(self, x, **kwargs) -> jax.Array:
        """Y = f(x)."""
        kwargs = self._conditioning(kwargs, "forward")
        aligned, x = self._aligned(x, self.forward_min_event_ndims)
        return aligned._forward(x, **kwargs)

    def inverse(self, y, **kwargs) -> jax.Array:
        """X = f^{-1}(y)."""
        kwargs = self._conditioning(kwargs, "inverse")
        aligned, y = self._aligned(y, self.inverse_min_event_ndims)
        return aligned._inverse(y, **kwargs)

    def __call__(self, value, **kwargs):
        """`forward(value)`; a bijector composes (Chain) and a distribution is transformed.

        Example:
          >>> from probax.bijectors import Exp, Shift
          >>> float(Exp()(0.))
          1.0
          >>> round(float(Exp()(Shift(1.))(0.)), 4)  # Chain([Exp(), Shift(1.)])
          2.7183

        """
        if isinstance(value, Bijector):
            from probax.bijectors.chain import Chain

            return Chain([self, value])
        from probax.distributions.distribution import Distribution

        if isinstance(value, Distribution):
            from probax.distributions.transformed_distribution import TransformedDistribution

            return TransformedDistribution(value, self)
        return self.forward(value, **kwargs)

    def _forward(self, x, **kwargs):
        if self._implements("_forward_and_log_det"):
            return self._forward_and_log_det(x, **kwargs)[0]
        raise self._not_implemented("forward")

    def _inverse(self, y, **kwargs):
        if self._implements("_inverse_and_log_det"):
            return self._inverse_and_log_det(y, **kwargs)[0]
        raise self._not_implemented("inverse")

    # ------------------------------------------------------------------ log-determinants
    def _check_event_ndims(
        self, event_ndims, min_event_ndims: int, method: str, rank: int | None = None
    ) -> int:
        if event_ndims is None:
            return min_event_ndims
        if rank is not None and isinstance(event_ndims, int) and event_ndims > rank:
            raise ValueError(
                f"{type(self).__name__}.{method}: event_ndims={event_ndims} exceeds the rank "
                f"{rank} of the input."
            )
        if not isinstance(event_ndims, int) or event_ndims < min_event_ndims:
            raise ValueError(
                f"{type(self).__name__}.{method}: event_ndims must be an int >= {min_event_ndims} "
                f"(the bijector's minimum), got {event_ndims!r}."
            )
        return event_ndims

    def forward_log_det_jacobian(self, x, event_ndims: int | None = None, **kwargs) -> jax.Array:
        """log|det J_f(x)|, summed over the `event_ndims` rightmost dimensions of `x`.

        `event_ndims` defaults to `forward_min_event_ndims`.
        """
        return self.forward_and_log_det(x, event_ndims, **kwargs)[1]

    def inverse_log_det_jacobian(self, y, event_ndims: int | None = None, **kwargs) -> jax.Array:
        """log|det J_{f^{-1}}(y)| = -forward_log_det_jacobian(f^{-1}(y)), summed over `event_ndims` dims."""
        return self.inverse_and_log_det(y, event_ndims, **kwargs)[1]

    def forward_and_log_det(self, x, event_ndims: int | None = None, **kwargs) -> tuple[jax.Array, jax.Array]:
        """(forward(x), forward_log_det_jacobian(x, event_ndims)), sharing the work."""
        event_ndims = self._check_event_ndims(
            event_ndims, self.forward_min_event_ndims, "forward_log_det_jacobian", jnp.ndim(x)
        )
        kwargs = self._conditioning(kwargs, "forward_log_det_jacobian")
        aligned, x = self._aligned(x, self.forward_min_event_ndims)
        y, log_det = aligned._forward_and_log_det(x, **kwargs)
        return y, self._reduced(log_det, x, self.forward_min_event_ndims, event_ndims)

    def inverse_and_log_det(self, y, event_ndims: int | None = None, **kwargs) -> tuple[jax.Array, jax.Array]:
        """(inverse(y), inverse_log_det_jacobian(y, event_ndims)), sharing the work."""
        event_ndims = self._check_event_ndims(
            event_ndims, self.inverse_min_event_ndims, "inverse_log_det_jacobian", jnp.ndim(y)
        )
        kwargs = self._conditioning(kwargs, "inverse_log_det_jacobian")
        aligned, y = self._aligned(y, self.inverse_min_event_ndims)
        x, log_det = aligned._inverse_and_log_det(y, **kwargs)
        return x, self._reduced(log_det, y, self.inverse_min_event_ndims, event_ndims)

    def _reduced(self, log_det, value, min_event_ndims: int, event_ndims: int) -> jax.Array:
        # The dtype `log_det` and the input promote to, fixed before summing drops a weak type.
        dtype = jnp.result_type(log_det, value)
        log_det = _reduce_log_det(log_det, value.shape, min_event_ndims, event_ndims).astype(dtype)
        if not self.is_constant_jacobian:
            return log_det
        # A constant log-det has the parameters' batch shape, not the input's (TFP): drop the
        # unit dimensions that aligning the parameters with the input put in front.
        rank = max(self._parameter_batch_rank() - (event_ndims - min_event_ndims), 0)
        leading = log_det.shape[: max(log_det.ndim - rank, 0)]
        return log_det.reshape(log_det.shape[len(leading) :]) if all(d == 1 for d in leading) else log_det

    def _forward_and_log_det(self, x, **kwargs):
        """(y, log|det J_f(x)| over `forward_min_event_ndims`) from whichever pieces exist."""
        if self._implements("_forward_log_det_jacobian"):
            return self._forward(x, **kwargs), self._forward_log_det_jacobian(x, **kwargs)
        if self._implements("_inverse_log_det_jacobian"):
            y = self._forward(x, **kwargs)
            return y, -self._inverse_log_det_jacobian(y, **kwargs)
        if self._implements("_inverse_and_log_det"):
            y = self._forward(x, **kwargs)
            return y, -self._inverse_and_log_det(y, **kwargs)[1]
        raise self._not_implemented("forward_log_det_jacobian")

    def _inverse_and_log_det(self, y, **kwargs):
        if self._implements("_inverse_log_det_jacobian"):
            return self._inverse(y, **kwargs), self._inverse_log_det_jacobian(y, **kwargs)
        if self._implements("_forward_log_det_jacobian"):
            x = self._inverse(y, **kwargs)
            return x, -self._forward_log_det_jacobian(x, **kwargs)
        if self._implements("_forward_and_log_det"):
            x = self._inverse(y, **kwargs)
            return x, -self._forward_and_log_det(x, **kwargs)[1]
        raise self._not_implemented("inverse_log_det_jacobian")

    def _forward_log_det_jacobian(self, x, **kwargs):
        raise self._not_implemented("forward_log_det_jacobian")

    def _inverse_log_det_jacobian(self, y, **kwargs):
        raise self._not_implemented("inverse_log_det_jacobian")

    def _is_increasing(self):
        """For scalar maps: True, False or a boolean array saying where f increases; None if unknown.

        TransformedDistribution uses it for cdf, survival function and quantile.
        """
        return None

    def _implements(self, method: str) -> bool:
        return getattr(type(self), method) is not getattr(Bijector, method)

    def _not_implemented(self, method: str) -> NotImplementedError:
        return NotImplementedError(f"{type(self).__name__} does not implement {method}.")

    # ------------------------------------------------------------------ shapes
    def forward_event_shape(self, input_shape) -> Shape:
        """Shape of forward(x) for x of `input_shape` (batch dimensions included or not)."""
        return self._forward_event_shape(as_shape(input_shape, "input_shape"))

    def inverse_event_shape(self, output_shape) -> Shape:
        """Shape of inverse(y) for y of `output_shape`."""
        return self._inverse_event_shape(as_shape(output_shape, "output_shape"))

    def _forward_event_shape(self, shape: Shape) -> Shape:
        return shape

    def _inverse_event_shape(self, shape: Shape) -> Shape:
        return shape

    def forward_event_ndims(self, event_ndims: int) -> int:
        """Rank of one output event, given the rank of one input event."""
        return event_ndims - self.forward_min_event_ndims + self.inverse_min_event_ndims

    def inverse_event_ndims(self, event_ndims: int) -> int:
        """Rank of one input event, given the rank of one output event."""
        return event_ndims - self.inverse_min_event_ndims + self.forward_min_event_ndims

    def _batch_shape(self) -> Shape:
        shapes = [
            getattr(self, k).shape[: getattr(self, k).ndim - n]
            for k, n in self._parameter_properties().items()
            if getattr(self, k) is not None
        ]
        return broadcast_shapes(*shapes, what=f"{type(self).__name__} parameters")

    @property
    def batch_shape(self) -> Shape:
        """Broadcast batch shape of the parameters at the minimum event rank."""
        return self._batch_shape()

    def experimental_batch_shape(self, x_event_ndims: int | None = None) -> Shape:
        """Batch shape when acting on input events of rank `x_event_ndims` (TFP's name).

        Parameter dimensions that line up with the extra event dimensions are part of the
        event, not the batch: `Shift(jnp.ones(3))` on vectors of 3 has batch shape ().
        """
        if x_event_ndims is None:
            return self.batch_shape
        extra = self._check_event_ndims(
            x_event_ndims, self.forward_min_event_ndims, "experimental_batch_shape"
        )
        extra -= self.forward_min_event_ndims
        shape = self.batch_shape
        return shape[: max(len(shape) - extra, 0)]


def as_network(fn):
    """A callable held by a bijector, as a pytree: modules stay subtrees, plain functions become static.

    Flax NNX modules (and other pytrees with array leaves) pass through unchanged so `jit` and
    `grad` see their weights; a plain function is wrapped in `jax.tree_util.Partial`, whose
    function part is static. None stays None.
    """
    if fn is None or not jax.tree_util.all_leaves([fn]):
        return fn
    if not callable(fn):
        raise TypeError(f"expected a callable (a function or an NNX module), got {type(fn).__name__}.")
    return jax.tree_util.Partial(fn)


def _reduce_log_det(log_det, input_shape: Shape, min_event_ndims: int, event_ndims: int) -> jax.Array:
    """Sum a log-det over the `event_ndims - min_event_ndims` dims above the minimum event.

    Those dims are `input_shape[-event_ndims:-min_event_ndims]`. Where `log_det` does not
    span one of them (a constant Jacobian has the parameters' shape only), its value counts
    once per element of that dimension; dimensions further left are not broadcast, as in TFP.
    """
    log_det = jnp.asarray(log_det)
    extra = event_ndims - min_event_ndims
    if extra == 0:
        return log_det
    end = len(input_shape) - min_event_ndims
    reduced_dims = input_shape[end - extra : end]
    log_det = pad_leading(log_det, extra)
    spanned = log_det.shape[log_det.ndim - extra :]
    repeats = math.prod(d for d, s in zip(reduced_dims, spanned, strict=True) if s == 1)
    summed = jnp.sum(log_det, axis=tuple(range(log_det.ndim - extra, log_det.ndim)))
    return summed * repeats if repeats != 1 else summed


def _snake_case(name: str) -> str:
    """`NormalCDF` -> `normal_cdf`: a break before each capitalized word, acronyms kept whole."""
    return re.sub(r"(?<=[a-z0-9])(?=[A-Z])|(?<=[A-Z])(?=[A-Z][a-z])", "_", name).lower()


def _is_weak(value) -> bool:
    """Whether `value` is weakly typed: a Python number, or a JAX value made from one."""
    if isinstance(value, bool):
        return False
    if isinstance(value, int | float):
        return True
    return isinstance(value, jax.Array) and jax.typeof(value).weak_type


def _as_parameter(raw, float_dtype, keep_weak: bool) -> jax.Array:
    """`raw` as a `float_dtype` array, weakly typed when `keep_weak` (so it never promotes an input)."""
    if keep_weak:
        # A weak int times a Python float is a weak float of the default float dtype.
        return jnp.asarray(raw) * 1.0
    return jnp.asarray(raw, float_dtype)
