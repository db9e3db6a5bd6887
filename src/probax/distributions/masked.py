"""Masked: switch batch members of a distribution off with a boolean mask (TFP semantics).

Where `validity_mask` is False a member contributes nothing: `log_prob` is 0 (with no
gradient to the value or the parameters), draws are a fixed "safe" value, and statistics take
neutral values. This pads ragged data to one dense shape without NaNs leaking into gradients.
"""

from __future__ import annotations

from collections.abc import Callable

import jax
import jax.numpy as jnp

from probax._internal import checks
from probax._internal.shapes import Shape, broadcast_shapes, expand_batch_index, pad_leading
from probax.bijectors.bijector import Bijector
from probax.distributions.batch_broadcast import broadcast_sample, slice_broadcast
from probax.distributions.composite import CompositeDistribution, require_distribution
from probax.distributions.distribution import Distribution
from probax.distributions.kl import RegisterKL, kl_divergence


def fixed_sample(distribution: Distribution) -> jax.Array:
    """A draw of `distribution` with the fixed key 0: TFP's default `safe_sample_fn`.

    Example:
      >>> from probax.distributions.normal import Normal
      >>> fixed_sample(Normal(jnp.zeros(2), 1.)).shape
      (2,)

    """
    return distribution.sample(seed=jax.random.key(0))


def _where(mask, value, fallback):
    """`where(mask, value, fallback)` with explicit rank alignment (mask, then trailing event dims)."""
    value, fallback = jnp.asarray(value), jnp.asarray(fallback, jnp.asarray(value).dtype)
    rank = max(mask.ndim, value.ndim, fallback.ndim)
    return jnp.where(pad_leading(mask, rank), pad_leading(value, rank), pad_leading(fallback, rank))


class Masked(CompositeDistribution):
    """A distribution whose batch members are valid only where `validity_mask` is True.

    `validity_mask` broadcasts with the inner batch shape; the result's batch shape is the
    broadcast. Where the mask is False: `log_prob` = 0 (`prob` = 1), `log_cdf` = 0, the
    survival function is 0, `entropy`, `variance`, `stddev` and `covariance` are 0, and
    `sample`, `mean`, `mode` and `quantile` give the safe value `safe_sample_fn(distribution)`
    (its gradient is stopped). Values at invalid members are replaced by the safe value before
    the inner distribution sees them, so their gradients are zero, never NaN.

    Args:
      distribution: the inner distribution.
      validity_mask: boolean array, True where a member is valid.
      safe_sample_fn: maps the inner distribution to a safe value shaped like one of its draws
        (default: a draw with the fixed key 0, as in TFP).
      validate_args: check values, raising `ValueError` on bad ones.
      allow_nan_stats: return NaN for undefined statistics instead of raising.
      name: a name for this distribution.

    Example:
      >>> from probax.distributions.normal import Normal
      >>> d = Masked(Normal(jnp.zeros(3), 1.), jnp.array([True, False, True]))
      >>> d.log_prob(jnp.zeros(3)).round(4).tolist()
      [-0.9189, 0.0, -0.9189]

    """

    _child_names = ("distribution", "validity_mask")
    _static_names = ("safe_sample_fn",)

    def __init__(
        self,
        distribution: Distribution,
        validity_mask,
        safe_sample_fn: Callable[[Distribution], jax.Array] = fixed_sample,
        validate_args: bool = False,
        allow_nan_stats: bool = True,
        name: str | None = None,
    ):
        require_distribution(distribution, "Masked")
        mask = jnp.asarray(validity_mask)
        if mask.dtype != jnp.bool_:
            raise ValueError(f"Masked: validity_mask must be a boolean array, got dtype {mask.dtype}.")
        broadcast_shapes(
            distribution.batch_shape, mask.shape, what="Masked: inner batch_shape and validity_mask"
        )
        if not callable(safe_sample_fn):
            raise ValueError(f"Masked: safe_sample_fn must be callable, got {safe_sample_fn!r}.")
        super().__init__(
            distribution=distribution,
            validity_mask=mask,
            safe_sample_fn=safe_sample_fn,
            validate_args=validate_args,
            allow_nan_stats=allow_nan_stats,
            name=name,
        )

    # ------------------------------------------------------------------ shapes
    def _batch_shape(self) -> Shape:
        return broadcast_shapes(self.distribution.batch_shape, self.validity_mask.shape, what="Masked")

    def _event_shape(self) -> Shape:
        return self.distribution.event_shape

    def _value_as_array(self, value):
        return jnp.asarray(value)  # the inner distribution converts the dtype

    def _event_mask(self):
        """The mask with unit dimensions for the event appended."""
        mask = self.validity_mask
        return mask.reshape(mask.shape + (1,) * len(self.event_shape))

    def _safe_value(self):
        return jax.lax.stop_gradient(jnp.asarray(self.safe_sample_fn(self.distribution), self.dtype))

    def _masked(self, method: str, invalid_value, value=None, per_event: bool = False):
        """The inner `method` where valid, `invalid_value` elsewhere; a value argument made safe first."""
        args = ()
        if value is not None:
            args = (_where(self._event_mask(), value, self._safe_value()),)
        result = getattr(self.distribution, method)(*args)
        return _where(self._event_mask() if per_event else self.validity_mask, result, invalid_value)

    # ------------------------------------------------------------------ sampling and pointwise methods
    def _sample(self, shape: Shape, key: jax.Array) -> jax.Array:
        draws = broadcast_sample(self.distribution, shape, self.batch_shape, key)
        return _where(self._event_mask(), draws, self._safe_value())

    def _log_prob(self, value):
        return self._masked("log_prob", 0.0, value)

    def _cdf(self, value):
        return self._masked("cdf", 1.0, value)

    def _log_cdf(self, value):
        return self._masked("log_cdf", 0.0, value)

    def _survival_function(self, value):
        return self._masked("survival_function", 0.0, value)

    def _log_survival_function(self, value):
        return self._masked("log_survival_function", -jnp.inf, value)

    def _quantile(self, probability):
        return self._masked("quantile", self._safe_value(), _where(self.validity_mask, probability, 0.5))

    # ------------------------------------------------------------------ summaries
    def _mean(self):
        return self._masked("mean", self._safe_value(), per_event=True)

    def _mode(self):
        return self._masked("mode", self._safe_value(), per_event=True)

    def _variance(self):
        return self._masked("variance", 0.0, per_event=True)

    def _stddev(self):
        return self._masked("stddev", 0.0, per_event=True)

    def _entropy(self):
        return self._masked("entropy", 0.0)

    def covariance(self) -> jax.Array:
        """The inner covariance where valid, zero elsewhere, shaped `batch_shape + ...`."""
        covariance = self.distribution.covariance()
        trailing = covariance.ndim - len(self.distribution.batch_shape)
        mask = self.validity_mask.reshape(self.validity_mask.shape + (1,) * trailing)
        covariance = _where(mask, covariance, 0.0)
        return jnp.broadcast_to(covariance, self.batch_shape + covariance.shape[covariance.ndim - trailing :])

    def experimental_default_event_space_bijector(self) -> Bijector:
        """The inner bijector where valid; invalid members map to (and from) the safe value."""
        return MaskedEventSpaceBijector(
            self.distribution.experimental_default_event_space_bijector(),
            self.validity_mask,
            self._safe_value(),
            len(self.event_shape),
        )

    # ------------------------------------------------------------------ slicing
    def __getitem__(self, index) -> Masked:
        """Slice the batch: the inner distribution and the mask alike."""
        inner, _ = slice_broadcast(self.distribution, self.batch_shape, index, type(self).__name__)
        mask = jnp.broadcast_to(self.validity_mask, self.batch_shape)
        mask = mask[expand_batch_index(index, self.batch_shape, type(self).__name__)]
        return Masked(inner, mask, self.safe_sample_fn, self.validate_args, self.allow_nan_stats, self.name)


class MaskedEventSpaceBijector(Bijector):
    """A distribution's event-space bijector, acting only on the valid members of a `Masked`.

    Invalid members: the input is replaced by 0 (unconstrained) before the forward map and the
    output by the safe value; their log-determinant is 0. The log-determinant is taken over
    whole events (the minimum event rank is the distribution's).

    Args:
      bijector: the inner distribution's event-space bijector.
      validity_mask: the `Masked` distribution's mask.
      safe_value: the value invalid members take (its gradient is stopped).
      output_event_ndims: the rank of the distribution's event (the bijector's output).

    Example:
      >>> from probax.bijectors.softplus import Softplus
      >>> b = MaskedEventSpaceBijector(Softplus(), jnp.array([True, False]), jnp.array(1.), 0)
      >>> b.forward(jnp.array([0., 5.])).round(4).tolist()
      [0.6931, 1.0]

    """

    _child_names = ("bijector", "validity_mask", "safe_value")
    _static_names = ("input_event_ndims", "output_event_ndims")

    def __init__(self, bijector: Bijector, validity_mask, safe_value, output_event_ndims: int):
        input_event_ndims = bijector.inverse_event_ndims(output_event_ndims)
        super().__init__(
            bijector=bijector,
            validity_mask=jnp.asarray(validity_mask),
            safe_value=jax.lax.stop_gradient(jnp.asarray(safe_value)),
            input_event_ndims=input_event_ndims,
            output_event_ndims=output_event_ndims,
            forward_min_event_ndims=input_event_ndims,
            inverse_min_event_ndims=output_event_ndims,
            is_constant_jacobian=bijector.is_constant_jacobian,
            validate_args=bijector.validate_args,
            name=f"masked_{bijector.name}",
        )

    def _mask(self, event_ndims: int):
        return self.validity_mask.reshape(self.validity_mask.shape + (1,) * event_ndims)

    def _safe_x(self, x):
        return _where(self._mask(self.input_event_ndims), x, 0.0)

    def _safe_y(self, y):
        return _where(self._mask(self.output_event_ndims), y, self.safe_value)

    def _forward(self, x):
        return self._safe_y(self.bijector.forward(self._safe_x(x)))

    def _inverse(self, y):
        return self._safe_x(self.bijector.inverse(self._safe_y(y)))

    def _forward_and_log_det(self, x):
        y, log_det = self.bijector.forward_and_log_det(self._safe_x(x), self.input_event_ndims)
        return self._safe_y(y), _where(self.validity_mask, log_det, 0.0)

    def _inverse_and_log_det(self, y):
        x, log_det = self.bijector.inverse_and_log_det(self._safe_y(y), self.output_event_ndims)
        return self._safe_x(x), _where(self.validity_mask, log_det, 0.0)

    def _forward_event_shape(self, shape: Shape) -> Shape:
        return self.bijector.forward_event_shape(shape)

    def _inverse_event_shape(self, shape: Shape) -> Shape:
        return self.bijector.inverse_event_shape(shape)


@RegisterKL(Masked, Masked)
def _kl_masked_masked(a: Masked, b: Masked):
    """The inner KL where both are valid, 0 where neither is, NaN where exactly one is (TFP)."""
    inner = kl_divergence(a.distribution, b.distribution)
    rank = max(a.validity_mask.ndim, b.validity_mask.ndim, inner.ndim)
    a_valid, b_valid = pad_leading(a.validity_mask, rank), pad_leading(b.validity_mask, rank)
    if not (a.allow_nan_stats and b.allow_nan_stats):
        checks.check(
            a_valid == b_valid, "kl_divergence(Masked, Masked) is only defined where the masks agree."
        )
    both = a_valid & b_valid
    neither = ~a_valid & ~b_valid
    return jnp.where(both, pad_leading(inner, rank), jnp.where(neither, 0.0, jnp.nan))
