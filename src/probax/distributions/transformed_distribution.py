"""TransformedDistribution: the distribution of Y = f(X) for a bijector f.

This is where distributions and bijectors meet; the seam is the bijector's public
contract only (`forward`, `inverse_and_log_det`, `forward_and_log_det`, event
shapes and, for cdf/quantile, `_is_increasing`).
"""

from __future__ import annotations

from typing import Any, ClassVar

import jax
import jax.numpy as jnp

from probax._internal.shapes import Shape, as_shape, broadcast_shapes, pad_leading
from probax.bijectors.bijector import Bijector
from probax.distributions.composite import CompositeDistribution, require_distribution
from probax.distributions.distribution import Distribution


class TransformedDistribution(CompositeDistribution):
    """Y = bijector(X) with X ~ distribution: log p(y) = log p_X(f^{-1}(y)) + log|det J_{f^{-1}}(y)|.

    Args:
      distribution: the base distribution of X.
      bijector: the map f applied to draws of X.
      event_shape: optional, TFP's older iid form: a scalar base distribution is used as
        independent draws filling this event shape (what seed code like
        `TransformedDistribution(Normal(0., 1.), maf, event_shape=[dims])` expects).
      bijector_kwargs: keyword arguments passed to every bijector call (for example
        `{"conditional_input": c}` for a conditional flow); methods also take
        `bijector_kwargs=` to override them per call.
      validate_args: check values.
      name: a name.

    Example:
      >>> from probax import bijectors as tfb, distributions as tfd
      >>> log_normal = tfd.TransformedDistribution(tfd.Normal(0., 1.), tfb.Exp())
      >>> round(float(log_normal.log_prob(1.)), 5)  # = LogNormal(0, 1).log_prob(1)
      -0.91894

    """

    _child_names = ("distribution", "bijector", "bijector_kwargs")
    _static_names = ("iid_event_shape",)
    _argument_attributes: ClassVar[dict[str, str]] = {"event_shape": "iid_event_shape"}

    def __init__(
        self,
        distribution: Distribution,
        bijector: Bijector,
        event_shape=None,
        bijector_kwargs: dict[str, Any] | None = None,
        validate_args: bool = False,
        name: str | None = None,
    ):
        require_distribution(distribution, "TransformedDistribution")
        if not isinstance(bijector, Bijector):
            raise TypeError(
                f"TransformedDistribution: bijector must be a Bijector, got {type(bijector).__name__}."
            )
        iid_event_shape = None if event_shape is None else as_shape(event_shape, "event_shape")
        if iid_event_shape is not None and (distribution.event_shape or distribution.batch_shape):
            raise ValueError(
                "TransformedDistribution: event_shape= needs a scalar base distribution (batch_shape () and "
                f"event_shape ()), got batch_shape {distribution.batch_shape} and event_shape "
                f"{distribution.event_shape}; wrap the base in Independent/Sample instead."
            )
        base_event_ndims = len(iid_event_shape if iid_event_shape is not None else distribution.event_shape)
        if base_event_ndims < bijector.forward_min_event_ndims:
            raise ValueError(
                f"TransformedDistribution: {type(bijector).__name__} acts on events of rank >= "
                f"{bijector.forward_min_event_ndims} but the base distribution's events have rank "
                f"{base_event_ndims}; wrap the base in Independent (or Sample) to make its events vectors."
            )
        super().__init__(
            distribution=distribution,
            bijector=bijector,
            iid_event_shape=iid_event_shape,
            bijector_kwargs=None if bijector_kwargs is None else dict(bijector_kwargs),
            validate_args=validate_args,
            allow_nan_stats=distribution.allow_nan_stats,
            name=name,
        )

    def _default_name(self) -> str:
        return f"{self.bijector.name}{type(self.distribution).__name__}"

    # ------------------------------------------------------------------ shapes
    def _base_event_shape(self) -> Shape:
        return self.iid_event_shape if self.iid_event_shape is not None else self.distribution.event_shape

    def _event_shape(self) -> Shape:
        return self.bijector.forward_event_shape(self._base_event_shape())

    def _batch_shape(self) -> Shape:
        bijector_batch = self.bijector.experimental_batch_shape(len(self._base_event_shape()))
        return broadcast_shapes(
            self.distribution.batch_shape,
            bijector_batch,
            what="TransformedDistribution distribution and bijector batch shapes",
        )

    def _kwargs(self, override) -> dict[str, Any]:
        return dict(self.bijector_kwargs or {}) if override is None else dict(override)

    # ------------------------------------------------------------------ base distribution
    def _base_log_prob(self, x):
        log_prob = self.distribution.log_prob(x)
        if self.iid_event_shape is not None and self.iid_event_shape:
            log_prob = jnp.sum(log_prob, axis=tuple(range(-len(self.iid_event_shape), 0)))
        return log_prob

    def _base_sample(self, sample_shape: Shape, key):
        if self.iid_event_shape is not None:
            return self.distribution.sample(sample_shape + self.iid_event_shape, seed=key)
        return self.distribution.sample(sample_shape, seed=key)

    # ------------------------------------------------------------------ sampling and density
    def _draw(self, shape: Shape, key: jax.Array) -> jax.Array:
        # Batch dimensions that only the bijector has get their own base draws: the base is
        # sampled with them as extra leading sample dimensions.
        base_batch_rank = len(self.distribution.batch_shape)
        sample_shape = shape[: max(len(shape) - base_batch_rank, 0)]
        return self.bijector.forward(self._base_sample(sample_shape, key), **self._kwargs(None))

    def sample(self, sample_shape=(), seed=None, bijector_kwargs: dict[str, Any] | None = None) -> jax.Array:
        """Draw `bijector(x)` for base draws x, shaped `sample_shape + batch_shape + event_shape`."""
        if bijector_kwargs is None:
            return super().sample(sample_shape, seed)
        return self.copy(bijector_kwargs=bijector_kwargs).sample(sample_shape, seed)

    def sample_and_log_prob(
        self, sample_shape=(), seed=None, bijector_kwargs=None
    ) -> tuple[jax.Array, jax.Array]:
        """Draws and their log-density in one pass: log p(y) = log p_X(x) - log|det J_f(x)|.

        Uses the forward direction only, so an inverse autoregressive flow (whose inverse is
        sequential) costs one network pass per layer. TFP calls this
        `experimental_sample_and_log_prob`, which is an alias here.
        """
        from probax._internal.prng import as_key

        key = as_key(seed, "TransformedDistribution.sample_and_log_prob")
        x = self._base_sample(as_shape(sample_shape, "sample_shape"), key)
        base_log_prob = self._base_log_prob(x)
        y, log_det = self.bijector.forward_and_log_det(
            x, len(self._base_event_shape()), **self._kwargs(bijector_kwargs)
        )
        return y, _broadcast_add(base_log_prob, -log_det)

    experimental_sample_and_log_prob = sample_and_log_prob

    def log_prob(self, value, bijector_kwargs=None) -> jax.Array:
        """Log p_X(f^{-1}(y)) + log|det J_{f^{-1}}(y)|."""
        y = self._value_as_array(value)
        x, log_det = self.bijector.inverse_and_log_det(
            y, len(self.event_shape), **self._kwargs(bijector_kwargs)
        )
        return _broadcast_add(self._base_log_prob(x), log_det)

    def prob(self, value, bijector_kwargs=None) -> jax.Array:
        """exp(log_prob(value))."""
        return jnp.exp(self.log_prob(value, bijector_kwargs))

    # ------------------------------------------------------------------ scalar, monotone maps
    def _monotone_direction(self, method: str):
        """Whether the (scalar) map increases: True, False or a boolean array."""
        increasing = self.bijector._is_increasing() if self.event_shape == () else None
        if increasing is None:
            raise NotImplementedError(
                f"TransformedDistribution.{method} needs a scalar event and a bijector known to be monotone; "
                f"{type(self.bijector).__name__} does not say it is."
            )
        return increasing

    def _cdf_pair(self, value, method: str):
        """(P[Y <= y], P[Y > y]) in the base's terms, or their logs when `method` is a log one."""
        increasing = self._monotone_direction(method)
        y = self._value_as_array(value)
        x = self.bijector.inverse(y, **self._kwargs(None))
        lower, upper = (
            ("log_cdf", "log_survival_function") if method.startswith("log") else ("cdf", "survival_function")
        )
        below, above = getattr(self.distribution, lower)(x), getattr(self.distribution, upper)(x)
        return jnp.where(increasing, below, above), jnp.where(increasing, above, below)

    def cdf(self, value) -> jax.Array:
        """P[Y <= y] = P[X <= f^{-1}(y)] (or P[X >= ...] where f decreases)."""
        return self._cdf_pair(value, "cdf")[0]

    def log_cdf(self, value) -> jax.Array:
        """Log P[Y <= y]."""
        return self._cdf_pair(value, "log_cdf")[0]

    def survival_function(self, value) -> jax.Array:
        """P[Y > y]."""
        return self._cdf_pair(value, "survival_function")[1]

    def log_survival_function(self, value) -> jax.Array:
        """Log P[Y > y]."""
        return self._cdf_pair(value, "log_survival_function")[1]

    def quantile(self, value) -> jax.Array:
        """Inverse cdf: the bijector applied to the base quantile at p (at 1 - p where it decreases)."""
        increasing = self._monotone_direction("quantile")
        p = self._value_as_array(value)
        x = self.distribution.quantile(jnp.where(increasing, p, 1 - p))
        return self.bijector.forward(x, **self._kwargs(None))

    # ------------------------------------------------------------------ summaries
    def _affine_only(self, method: str) -> None:
        if not self.bijector.is_constant_jacobian:
            raise NotImplementedError(
                f"TransformedDistribution.{method} is only available for affine bijectors "
                f"(is_constant_jacobian); {type(self.bijector).__name__} is not one."
            )

    def mean(self) -> jax.Array:
        """f(E[X]) for an affine f (TFP's rule)."""
        self._affine_only("mean")
        base_mean = self.distribution.mean()
        if self.iid_event_shape is not None:
            base_mean = jnp.broadcast_to(base_mean, self.iid_event_shape)
        return jnp.broadcast_to(
            self.bijector.forward(base_mean, **self._kwargs(None)), self.batch_shape + self.event_shape
        )

    def entropy(self) -> jax.Array:
        """H[X] + log|det J_f|, for an affine f."""
        self._affine_only("entropy")
        base_entropy = self.distribution.entropy()
        if self.iid_event_shape is not None:
            base_entropy = base_entropy * max(1, _size(self.iid_event_shape))
        zero = jnp.zeros(self._base_event_shape(), self.dtype)
        log_det = self.bijector.forward_log_det_jacobian(
            zero, len(self._base_event_shape()), **self._kwargs(None)
        )
        return jnp.broadcast_to(_broadcast_add(base_entropy, log_det), self.batch_shape)

    def __getitem__(self, index):
        if self.bijector.batch_shape:
            raise NotImplementedError(
                "TransformedDistribution slicing with a batched bijector is not supported."
            )
        return self.copy(distribution=self.distribution[index])

    def experimental_default_event_space_bijector(self):
        """The bijector composed with the base distribution's event-space bijector."""
        from probax.bijectors.chain import Chain

        return Chain([self.bijector, self.distribution.experimental_default_event_space_bijector()])


def _broadcast_add(a, b):
    a, b = jnp.asarray(a), jnp.asarray(b)
    rank = max(a.ndim, b.ndim)
    return pad_leading(a, rank) + pad_leading(b, rank)


def _size(shape: Shape) -> int:
    size = 1
    for d in shape:
        size *= d
    return size
