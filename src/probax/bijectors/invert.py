"""Invert: a bijector run backwards."""

from __future__ import annotations

from probax.bijectors.bijector import Bijector


class Invert(Bijector):
    """The inverse of `bijector`: `Invert(b).forward = b.inverse` and vice versa.

    An inverse autoregressive flow is `Invert(MaskedAutoregressiveFlow(...))`: sampling
    becomes one network pass and density evaluation the sequential direction.

    Args:
      bijector: the bijector to invert.
      validate_args: check parameters.
      name: a name (default `invert_<inner name>`).

    Example:
      >>> from probax.bijectors import Exp, Invert
      >>> float(Invert(Exp()).forward(1.))  # log
      0.0

    """

    _child_names = ("bijector",)

    def __init__(self, bijector: Bijector, validate_args: bool = False, name: str | None = None):
        if not isinstance(bijector, Bijector):
            raise TypeError(f"Invert: bijector must be a Bijector, got {type(bijector).__name__}.")
        super().__init__(
            bijector=bijector,
            forward_min_event_ndims=bijector.inverse_min_event_ndims,
            inverse_min_event_ndims=bijector.forward_min_event_ndims,
            is_constant_jacobian=bijector.is_constant_jacobian,
            validate_args=validate_args,
            name=name or f"invert_{bijector.name}",
        )

    def _accepted_keywords(self) -> frozenset[str]:
        return self.bijector._accepted_keywords()

    def _forward(self, x, **kwargs):
        return self.bijector.inverse(x, **kwargs)

    def _inverse(self, y, **kwargs):
        return self.bijector.forward(y, **kwargs)

    def _forward_and_log_det(self, x, **kwargs):
        return self.bijector.inverse_and_log_det(x, self.bijector.inverse_min_event_ndims, **kwargs)

    def _inverse_and_log_det(self, y, **kwargs):
        return self.bijector.forward_and_log_det(y, self.bijector.forward_min_event_ndims, **kwargs)

    def _forward_event_shape(self, shape):
        return self.bijector.inverse_event_shape(shape)

    def _inverse_event_shape(self, shape):
        return self.bijector.forward_event_shape(shape)

    def _batch_shape(self):
        return self.bijector.batch_shape

    def experimental_batch_shape(self, x_event_ndims=None):
        """The inner bijector's batch shape, at the matching rank of its output events."""
        if x_event_ndims is None:
            return self.batch_shape
        return self.bijector.experimental_batch_shape(self.forward_event_ndims(x_event_ndims))

    def _is_increasing(self):
        return self.bijector._is_increasing()
