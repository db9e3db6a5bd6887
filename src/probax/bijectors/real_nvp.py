"""RealNVP (Dinh et al., 2017): an affine coupling layer."""

from __future__ import annotations

import jax.numpy as jnp

from probax.bijectors.bijector import Bijector, as_network
from probax.bijectors.masked_autoregressive_flow import split_shift_and_log_scale


class RealNVP(Bijector):
    """Coupling layer: y[:m] = x[:m]; y[m:] = x[m:] exp(log_scale(x[:m])) + shift(x[:m]).

    Both directions are one network pass; log|det J| = sum(log_scale). A negative
    `num_masked` keeps the last |m| coordinates fixed instead (TFP's convention), so
    alternating signs (or a Permute in between) lets every coordinate be transformed.

    Args:
      num_masked: how many leading coordinates pass through unchanged (negative: trailing).
      fraction_masked: instead, that fraction of the event size (in (-1, 1)).
      shift_and_log_scale_fn: `fn(x_masked, **condition) -> (shift, log_scale)` (or an array
        ending in 2 or 1), shaped like the transformed part; typically a Flax NNX module.
      bijector_fn: instead, `fn(x_masked, **condition) -> Bijector` applied elementwise to the rest
        (e.g. a RationalQuadraticSpline: a neural spline coupling layer).
      is_constant_jacobian: True for shift-only couplings.
      validate_args: check arguments.
      name: a name.

    Example:
      >>> from probax.bijectors import RealNVP
      >>> layer = RealNVP(num_masked=1, shift_and_log_scale_fn=lambda x0: (x0, 0.5 * x0))
      >>> [round(v, 4) for v in layer.forward(jnp.array([1., 2.])).tolist()]
      [1.0, 4.2974]

    """

    _child_names = ("shift_and_log_scale_fn", "bijector_fn")
    _static_names = ("num_masked", "fraction_masked")
    _conditional_names = ("conditional_input",)

    def __init__(
        self,
        num_masked: int | None = None,
        fraction_masked: float | None = None,
        shift_and_log_scale_fn=None,
        bijector_fn=None,
        is_constant_jacobian: bool = False,
        validate_args: bool = False,
        name: str | None = None,
    ):
        if (num_masked is None) == (fraction_masked is None):
            raise ValueError("RealNVP: give exactly one of num_masked and fraction_masked.")
        if fraction_masked is not None and not -1 < fraction_masked < 1:
            raise ValueError(f"RealNVP: fraction_masked must be in (-1, 1), got {fraction_masked}.")
        if (shift_and_log_scale_fn is None) == (bijector_fn is None):
            raise ValueError("RealNVP: give exactly one of shift_and_log_scale_fn and bijector_fn.")
        super().__init__(
            num_masked=None if num_masked is None else int(num_masked),
            fraction_masked=None if fraction_masked is None else float(fraction_masked),
            shift_and_log_scale_fn=as_network(shift_and_log_scale_fn),
            bijector_fn=as_network(bijector_fn),
            forward_min_event_ndims=1,
            is_constant_jacobian=is_constant_jacobian,
            validate_args=validate_args,
            name=name or "real_nvp",
        )

    def _split_index(self, event_size: int) -> int:
        masked = self.num_masked if self.num_masked is not None else int(self.fraction_masked * event_size)
        if not -event_size < masked < event_size:
            raise ValueError(
                f"RealNVP: num_masked={masked} leaves nothing to transform in events of size {event_size}."
            )
        return masked if masked >= 0 else event_size + masked

    def _parts(self, x):
        """(fixed part, transformed part, whether the fixed part comes first)."""
        index = self._split_index(x.shape[-1])
        leading = self.num_masked >= 0 if self.num_masked is not None else self.fraction_masked >= 0
        first, second = x[..., :index], x[..., index:]
        return (first, second, True) if leading else (second, first, False)

    def _join(self, fixed, changed, leading):
        return jnp.concatenate([fixed, changed] if leading else [changed, fixed], axis=-1)

    def _coupling(self, fixed, part, inverse: bool, condition):
        if self.bijector_fn is not None:
            bijector = self.bijector_fn(fixed, **condition)
            if inverse:
                return bijector.inverse_and_log_det(part, 1)
            return bijector.forward_and_log_det(part, 1)
        shift, log_scale = split_shift_and_log_scale(self.shift_and_log_scale_fn(fixed, **condition))
        if log_scale is None:
            return (part - shift if inverse else part + shift), jnp.zeros(part.shape[:-1], part.dtype)
        if inverse:
            return (part - shift) * jnp.exp(-log_scale), -jnp.sum(log_scale, axis=-1)
        return part * jnp.exp(log_scale) + shift, jnp.sum(log_scale, axis=-1)

    def _forward_and_log_det(self, x, **condition):
        fixed, part, leading = self._parts(x)
        changed, log_det = self._coupling(fixed, part, False, condition)
        return self._join(fixed, changed, leading), log_det

    def _inverse_and_log_det(self, y, **condition):
        fixed, part, leading = self._parts(y)
        changed, log_det = self._coupling(fixed, part, True, condition)
        return self._join(fixed, changed, leading), log_det
