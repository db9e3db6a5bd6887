"""The `Distribution` base class: TFP's method set, shape rules and pytree contract.

A family declares its parameters once (`_parameter_properties`) and writes only
its maths (`_log_prob`, `_sample`, `_cdf`, `_mean`, ...). This class does the
shared work: converting parameters to one floating dtype, validation, batch
shape bookkeeping, broadcasting values against parameters (rank-explicit, so
code runs under `jax_numpy_rank_promotion='raise'`), support masking,
`prob = exp(log_prob)`, `stddev = sqrt(variance)`, slicing and copying.

Every subclass is registered as a JAX pytree: parameters are the leaves,
everything else (`validate_args`, `allow_nan_stats`, `name`, dtypes, ...) is
static auxiliary data, declared up front and never guessed from values.
"""

from __future__ import annotations

import enum
from typing import Any, ClassVar, NamedTuple

import jax
import jax.numpy as jnp

from probax._internal import checks
from probax._internal.dtypes import common_float_dtype
from probax._internal.prng import as_key
from probax._internal.shapes import Shape, as_shape, broadcast_shapes, expand_batch_index, pad_leading
from probax.distributions import constraints


class ReparameterizationType(enum.Enum):
    """Whether samples are differentiable functions of the parameters."""

    FULLY_REPARAMETERIZED = "FULLY_REPARAMETERIZED"
    NOT_REPARAMETERIZED = "NOT_REPARAMETERIZED"


FULLY_REPARAMETERIZED = ReparameterizationType.FULLY_REPARAMETERIZED
NOT_REPARAMETERIZED = ReparameterizationType.NOT_REPARAMETERIZED


class ParameterProperties(NamedTuple):
    """What a family knows about one of its parameters.

    Attributes:
      event_ndims: trailing dimensions of the parameter that belong to one
        event rather than to the batch (1 for Categorical `logits`).
      constraint: the set the parameter must lie in (checked when
        `validate_args=True`).

    """

    event_ndims: int = 0
    constraint: constraints.Constraint = constraints.real


_BASE_STATICS = ("validate_args", "allow_nan_stats", "name")


class Distribution:
    """Base class of all probability distributions (TFP's interface).

    Shapes follow TFP: a draw has shape `sample_shape + batch_shape +
    event_shape`; `log_prob(x)` broadcasts `x` against `batch_shape +
    event_shape` and returns one value per batch member and sample.

    Subclasses call `super().__init__(**parameters, **static_config,
    validate_args=..., allow_nan_stats=..., name=...)` and implement the
    underscored methods they can.
    """

    reparameterization_type: ClassVar[ReparameterizationType] = FULLY_REPARAMETERIZED
    # Names of family-specific static (non-array) constructor arguments.
    _static_names: ClassVar[tuple[str, ...]] = ()
    # Names of nested pytrees (distributions, bijectors) held by composite distributions.
    _child_names: ClassVar[tuple[str, ...]] = ()
    # The set that values lie in (None: the whole real line, nothing to mask); families with
    # parameter-dependent support override `_support`.
    _value_support: ClassVar[constraints.Constraint | None] = None

    # ------------------------------------------------------------------ construction
    def __init_subclass__(cls, **kwargs):
        super().__init_subclass__(**kwargs)
        jax.tree_util.register_pytree_with_keys(
            cls, cls._tree_flatten_with_keys, cls._tree_unflatten, cls._tree_flatten
        )

    @classmethod
    def _parameter_properties(cls) -> dict[str, ParameterProperties]:
        """Ordered mapping from parameter name to its `ParameterProperties`."""
        raise NotImplementedError(f"{cls.__name__} must declare _parameter_properties.")

    def __init__(
        self,
        *,
        validate_args: bool = False,
        allow_nan_stats: bool = True,
        name: str | None = None,
        **arguments,
    ):
        properties = self._parameter_properties()
        expected = set(properties) | set(self._static_names) | set(self._child_names)
        unknown = set(arguments) - expected
        missing = expected - set(arguments)
        if unknown or missing:
            raise TypeError(
                f"{type(self).__name__}: unexpected arguments {sorted(unknown)} / missing {sorted(missing)}."
            )
        values = [arguments[k] for k in properties]
        if properties and all(v is None for v in values):
            raise ValueError(f"{type(self).__name__}: give at least one of {list(properties)}.")
        dtype = common_float_dtype(*values)
        for key in properties:
            raw = arguments[key]
            object.__setattr__(self, key, None if raw is None else jnp.asarray(raw, dtype))
        for key in self._child_names:
            object.__setattr__(self, key, arguments[key])
        object.__setattr__(self, "_static_values", tuple(arguments[k] for k in self._static_names))
        object.__setattr__(self, "validate_args", bool(validate_args))
        object.__setattr__(self, "allow_nan_stats", bool(allow_nan_stats))
        object.__setattr__(self, "name", name or self._default_name())
        self.batch_shape  # noqa: B018 -- fail now, with both shapes shown, if parameters cannot broadcast
        if self.validate_args:
            self._validate_parameters()

    def _default_name(self) -> str:
        """The name used when none is given (composites derive it from their parts)."""
        return type(self).__name__

    def _has_default_name(self) -> bool:
        """False when the user named this distribution (JointDistribution parts use such names)."""
        return self.name == self._default_name()

    def _validate_parameters(self) -> None:
        """Check each parameter against its constraint, then family relations."""
        for key, prop in self._parameter_properties().items():
            value = getattr(self, key)
            if value is not None:
                checks.check(
                    prop.constraint.check(value),
                    f"{type(self).__name__}: parameter `{key}` must be {prop.constraint.description}.",
                )
        self._validate_parameter_relations()

    def _validate_parameter_relations(self) -> None:
        """Hook for constraints between parameters (e.g. low < high)."""

    def __getattr__(self, key):
        # Family-specific static configuration (e.g. `reinterpreted_batch_ndims`) reads as attributes.
        names = type(self)._static_names
        if key in names and key != "_static_values":
            return self._static_values[names.index(key)]
        raise AttributeError(f"{type(self).__name__} has no attribute {key!r}.")

    def __setattr__(self, key, value):
        raise AttributeError(
            f"{type(self).__name__} is immutable; use .copy({key}=...) to change a parameter."
        )

    # ------------------------------------------------------------------ pytree
    @classmethod
    def _data_names(cls) -> tuple[str, ...]:
        return (*cls._parameter_properties(), *cls._child_names)

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
        # Bypass __init__: JAX may rebuild with placeholder leaves, which must not be converted.
        instance = object.__new__(cls)
        for key, child in zip(cls._data_names(), children, strict=True):
            object.__setattr__(instance, key, child)
        object.__setattr__(instance, "_static_values", statics[0])
        for key, value in zip(_BASE_STATICS, statics[1:], strict=True):
            object.__setattr__(instance, key, value)
        return instance

    def _replace_parameters(self, **new_parameters) -> Distribution:
        """A copy with some parameter arrays swapped, skipping conversion and checks."""
        children, statics = self._tree_flatten()
        names = self._data_names()
        children = tuple(new_parameters.get(name, child) for name, child in zip(names, children, strict=True))
        return self._tree_unflatten(statics, children)

    # ------------------------------------------------------------------ descriptors
    @property
    def parameters(self) -> dict[str, Any]:
        """Constructor arguments that rebuild this distribution (`type(d)(**d.parameters)`)."""
        values = {k: getattr(self, k) for k in self._data_names()}
        values.update(zip(self._static_names, self._static_values, strict=True))
        return values | {k: getattr(self, k) for k in _BASE_STATICS}

    def copy(self, **overrides) -> Distribution:
        """A new instance with the same arguments except `overrides`.

        Example:
          >>> from probax.distributions import Normal
          >>> float(Normal(0., 1.).copy(scale=2.).scale)
          2.0

        """
        return type(self)(**{**self.parameters, **overrides})

    def _present_parameters(self) -> dict[str, tuple[jax.Array, ParameterProperties]]:
        return {
            k: (getattr(self, k), p)
            for k, p in self._parameter_properties().items()
            if getattr(self, k) is not None
        }

    @property
    def batch_shape(self) -> Shape:
        """Shape of the batch of independent distributions this object holds."""
        return self._batch_shape()

    def _batch_shape(self) -> Shape:
        shapes = [v.shape[: v.ndim - p.event_ndims] for v, p in self._present_parameters().values()]
        return broadcast_shapes(*shapes, what=f"{type(self).__name__} parameters")

    @property
    def event_shape(self) -> Shape:
        """Shape of a single draw from one member of the batch."""
        return self._event_shape()

    def _event_shape(self) -> Shape:
        return ()

    @property
    def dtype(self):
        """Dtype of the samples (a family's static `dtype` when it has one)."""
        if "dtype" in self._static_names:
            return jnp.dtype(self.parameters["dtype"])
        return self._parameter_dtype()

    def _parameter_dtype(self):
        return next(iter(self._present_parameters().values()))[0].dtype

    def is_scalar_event(self) -> bool:
        """True when one draw is a scalar."""
        return self.event_shape == ()

    def is_scalar_batch(self) -> bool:
        """True when the batch holds a single distribution."""
        return self.batch_shape == ()

    def __repr__(self) -> str:
        return (
            f"<probax.distributions.{type(self).__name__} '{self.name}' batch_shape={self.batch_shape} "
            f"event_shape={self.event_shape} dtype={jnp.dtype(self.dtype).name}>"
        )

    # ------------------------------------------------------------------ alignment
    def _with_batch_rank(self, rank: int) -> Distribution:
        """A copy whose parameters all have batch rank `rank` (leading unit dims added)."""
        padded = {
            k: pad_leading(v, rank + p.event_ndims) for k, (v, p) in self._present_parameters().items()
        }
        return self._replace_parameters(**padded)

    def _aligned_with_value(self, value, what: str) -> tuple[Distribution, jax.Array, Shape]:
        """Align `value` and the parameters to one rank; return the output (batch) shape too."""
        event_rank = len(self.event_shape)
        # As in TFP, a value's event part broadcasts against event_shape (a scalar included); it is
        # broadcast here so that families may reduce over event axes without checking sizes.
        value = pad_leading(value, event_rank)
        value_batch_rank = value.ndim - event_rank
        if broadcast_shapes(
            value.shape[value_batch_rank:], self.event_shape,
            what=f"{type(self).__name__}.{what}: value event part and event_shape",
        ) != self.event_shape:
            raise ValueError(
                f"{type(self).__name__}.{what}: value of shape {value.shape} does not end in "
                f"event_shape {self.event_shape}."
            )
        if value.shape[value_batch_rank:] != self.event_shape:
            value = jnp.broadcast_to(value, value.shape[:value_batch_rank] + self.event_shape)
        out_shape = broadcast_shapes(
            value.shape[:value_batch_rank],
            self.batch_shape,
            what=f"{type(self).__name__}.{what}: value batch part and batch_shape",
        )
        rank = len(out_shape)
        return self._with_batch_rank(rank), pad_leading(value, rank + event_rank), out_shape

    def _value_as_array(self, value) -> jax.Array:
        return jnp.asarray(value, self._parameter_dtype())

    def _apply_pointwise(self, method: str, value, what: str):
        """Run family method `method` on `value` with rank-aligned parameters."""
        value = self._value_as_array(value)
        aligned, value, out_shape = self._aligned_with_value(value, what)
        return jnp.broadcast_to(getattr(aligned, method)(value), out_shape)

    # ------------------------------------------------------------------ support
    def _support(self) -> constraints.Constraint | None:
        """The set that values lie in (possibly parameter dependent). None: unchecked."""
        return self._value_support

    def _support_violations(self, value) -> jax.Array | None:
        """Per event, whether `value` lies outside the support; None when values are unconstrained.

        NaN is never a violation: it propagates as NaN, as in TFP, rather than becoming -inf
        (families whose `_log_prob` would swallow a NaN value propagate it themselves).
        """
        support = self._support()
        if support is None:
            return None
        violated = support.violated(value)
        extra_event_axes = len(self.event_shape) - support.event_ndims
        if extra_event_axes:
            violated = jnp.any(violated, axis=tuple(range(-len(self.event_shape), 0))[:extra_event_axes])
        return violated

    def _check_in_support(self, inside, what: str) -> None:
        if self.validate_args:
            checks.check(
                inside,
                f"{type(self).__name__}.{what}: value outside the support "
                f"({self._support().description}).",
            )

    # ------------------------------------------------------------------ sampling
    def sample(self, sample_shape=(), seed=None) -> jax.Array:
        """Draw samples of shape `sample_shape + batch_shape + event_shape`.

        Args:
          sample_shape: int or tuple of ints, the number (shape) of draws.
          seed: a `jax.random.key` or an int. Required.

        Example:
          >>> from probax.distributions import Normal
          >>> Normal(0., 1.).sample(3, seed=0).shape
          (3,)

        """
        key = as_key(seed, f"{type(self).__name__}.sample")
        shape = as_shape(sample_shape, "sample_shape") + self.batch_shape
        return self._draw(shape, key)

    def _draw(self, shape: Shape, key: jax.Array) -> jax.Array:
        return self._with_batch_rank(len(shape))._sample(shape, key)

    def _sample(self, shape: Shape, key: jax.Array) -> jax.Array:
        """Draw values of shape `shape + event_shape`; parameters have rank len(shape)."""
        raise self._not_implemented("sample")

    # ------------------------------------------------------------------ densities
    def log_prob(self, value) -> jax.Array:
        """Log density (or log mass) of `value`; `-inf` outside the support."""
        value = self._value_as_array(value)
        aligned, aligned_value, out_shape = self._aligned_with_value(value, "log_prob")
        violated = aligned._support_violations(aligned_value)
        result = aligned._log_prob(aligned_value)
        if violated is not None:
            self._check_in_support(~violated, "log_prob")
            result = jnp.where(violated, -jnp.inf, result)
        return jnp.broadcast_to(result, out_shape)

    def prob(self, value) -> jax.Array:
        """Density (or mass) of `value`: `exp(log_prob(value))`."""
        return jnp.exp(self.log_prob(value))

    def _log_prob(self, value):
        raise self._not_implemented("log_prob")

    def cdf(self, value) -> jax.Array:
        """P[X <= value]."""
        return self._apply_pointwise("_cdf", value, "cdf")

    def log_cdf(self, value) -> jax.Array:
        """Log P[X <= value], computed without forming the cdf where a stable form exists."""
        return self._apply_pointwise("_log_cdf", value, "log_cdf")

    def survival_function(self, value) -> jax.Array:
        """P[X > value] = 1 - cdf(value)."""
        return self._apply_pointwise("_survival_function", value, "survival_function")

    def log_survival_function(self, value) -> jax.Array:
        """Log P[X > value]."""
        return self._apply_pointwise("_log_survival_function", value, "log_survival_function")

    def _implements(self, method: str) -> bool:
        return getattr(type(self), method) is not getattr(Distribution, method)

    def _require_any(self, public: str, *methods: str) -> None:
        if not any(self._implements(m) for m in methods):
            raise self._not_implemented(public)

    def _cdf(self, value):
        self._require_any("cdf", "_cdf", "_log_cdf")
        return jnp.exp(self._log_cdf(value))

    def _log_cdf(self, value):
        self._require_any("log_cdf", "_cdf", "_log_cdf")
        return jnp.log(self._cdf(value))

    def _survival_function(self, value):
        if self._implements("_log_survival_function"):
            return jnp.exp(self._log_survival_function(value))
        self._require_any("survival_function", "_cdf", "_log_cdf")
        return -jnp.expm1(self._log_cdf(value))

    def _log_survival_function(self, value):
        if self._implements("_survival_function"):
            return jnp.log(self._survival_function(value))
        self._require_any("log_survival_function", "_cdf", "_log_cdf")
        return jnp.log(-jnp.expm1(self._log_cdf(value)))

    def quantile(self, value) -> jax.Array:
        """Inverse cdf: the smallest x with cdf(x) >= value; NaN for value outside [0, 1]."""
        if self.event_shape:
            raise self._not_implemented("quantile")
        probability = self._value_as_array(value)
        aligned, probability, out_shape = self._aligned_with_value(probability, "quantile")
        outside = (probability < 0) | (probability > 1)
        if self.validate_args:
            checks.check(~outside, f"{type(self).__name__}.quantile: value must be in [0, 1].")
        result = aligned._quantile(jnp.where(outside, 0.5, probability))
        return jnp.broadcast_to(jnp.where(outside, jnp.nan, result), out_shape)

    def _quantile(self, probability):
        raise self._not_implemented("quantile")

    # ------------------------------------------------------------------ summaries
    def _summary(self, method: str, public: str) -> jax.Array:
        aligned = self._with_batch_rank(len(self.batch_shape))
        result = jnp.broadcast_to(getattr(aligned, method)(), self.batch_shape + self.event_shape)
        if not self.allow_nan_stats:
            checks.check(
                ~jnp.isnan(result),
                f"{type(self).__name__}.{public} is undefined (NaN) for these parameters; "
                "pass allow_nan_stats=True to get NaN instead of an error.",
            )
        return result

    def mean(self) -> jax.Array:
        """Expected value, shaped `batch_shape + event_shape`."""
        return self._summary("_mean", "mean")

    def variance(self) -> jax.Array:
        """Variance of each event coordinate."""
        return self._summary("_variance", "variance")

    def stddev(self) -> jax.Array:
        """Standard deviation: `sqrt(variance)`."""
        return self._summary("_stddev", "stddev")

    def mode(self) -> jax.Array:
        """Most likely value (the first one where several tie)."""
        return self._summary("_mode", "mode")

    def entropy(self) -> jax.Array:
        """Shannon entropy in nats, shaped `batch_shape`."""
        aligned = self._with_batch_rank(len(self.batch_shape))
        return jnp.broadcast_to(aligned._entropy(), self.batch_shape)

    def covariance(self) -> jax.Array:
        """Covariance matrix of the event, shaped `batch_shape + event_shape + event_shape`."""
        raise self._not_implemented("covariance")

    def _mean(self):
        raise self._not_implemented("mean")

    def _variance(self):
        if self._implements("_stddev"):
            return jnp.square(self._stddev())
        raise self._not_implemented("variance")

    def _stddev(self):
        if self._implements("_variance"):
            return jnp.sqrt(self._variance())
        raise self._not_implemented("stddev")

    def _mode(self):
        raise self._not_implemented("mode")

    def _entropy(self):
        raise self._not_implemented("entropy")

    def experimental_default_event_space_bijector(self):
        """A bijector from unconstrained space onto the support (TFP's name); see `event_space`.

        Example:
          >>> from probax.distributions import Gamma
          >>> bijector = Gamma(2., 1.).experimental_default_event_space_bijector()
          >>> round(float(bijector.forward(0.)), 6)  # softplus(0)
          0.693147

        """
        from probax.distributions.event_space import bijector_onto

        return bijector_onto(self._support(), type(self).__name__)

    # ------------------------------------------------------------------ comparisons
    def kl_divergence(self, other: Distribution) -> jax.Array:
        """KL[self || other] from the registry of analytic pairs."""
        from probax.distributions.kl import kl_divergence

        return kl_divergence(self, other)

    def cross_entropy(self, other: Distribution) -> jax.Array:
        """Cross entropy H[self, other] = H[self] + KL[self || other]."""
        return self.entropy() + self.kl_divergence(other)

    # ------------------------------------------------------------------ slicing
    def __getitem__(self, index) -> Distribution:
        """Slice the batch dimensions, e.g. `d[0]`, `d[:, 1:]`, `d[..., None]`.

        Event dimensions are never sliced.
        """
        batch_shape = self.batch_shape
        index = expand_batch_index(index, batch_shape, type(self).__name__)
        sliced = {}
        for key, (value, prop) in self._present_parameters().items():
            event_part = value.shape[value.ndim - prop.event_ndims :]
            full = jnp.broadcast_to(value, batch_shape + event_part)
            sliced[key] = full[index + (slice(None),) * prop.event_ndims]
        return self._replace_parameters(**sliced)

    # ------------------------------------------------------------------ errors
    def _not_implemented(self, method: str) -> NotImplementedError:
        return NotImplementedError(f"{type(self).__name__} does not implement `{method}`.")
