"""Sigmoid: y = low + (high - low) / (1 + exp(-x))."""

from __future__ import annotations

import jax
import jax.numpy as jnp

from probax._internal import checks
from probax.bijectors.bijector import Bijector


class Sigmoid(Bijector):
    """y = low + (high - low) * sigmoid(x), mapping the real line onto (low, high).

    Without `low` and `high` the output interval is (0, 1):

        y = 1 / (1 + exp(-x)),   x = log(y) - log(1 - y),
        log|dy/dx| = -softplus(-x) - softplus(x) + log(high - low).

    Args:
      low: lower end of the output interval; give both `low` and `high` or neither.
      high: upper end of the output interval, greater than `low`.
      validate_args: check that `low < high`.
      name: a name.

    Example:
      >>> from probax.bijectors import Sigmoid
      >>> float(Sigmoid().forward(0.))
      0.5
      >>> float(Sigmoid(low=-1., high=3.).inverse(1.))
      0.0

    """

    def __init__(self, low=None, high=None, validate_args: bool = False, name: str | None = None):
        if (low is None) != (high is None):
            raise ValueError(
                f"Sigmoid: give both `low` and `high` or neither; got low={low!r}, high={high!r}."
            )
        super().__init__(
            low=low, high=high, forward_min_event_ndims=0, validate_args=validate_args, name=name
        )

    @classmethod
    def _parameter_properties(cls):
        return {"low": 0, "high": 0}

    def _validate_parameters(self):
        if self.low is not None:
            checks.check(self.low < self.high, "Sigmoid: parameters must satisfy `low` < `high`.")

    def _is_increasing(self):
        return True

    def _forward(self, x):
        if self.low is None:
            return jax.nn.sigmoid(x)
        width = self.high - self.low
        # Measure from the nearer end so that the saturated side keeps its precision.
        from_low = self.low + width * jax.nn.sigmoid(x)
        from_high = self.high - width * jax.nn.sigmoid(-x)
        return jnp.where(x < 0, from_low, from_high)

    def _inverse(self, y):
        if self.low is None:
            return jnp.log(y) - jnp.log1p(-y)
        return jnp.log(y - self.low) - jnp.log(self.high - y)

    # The base derives the inverse log-det from this one at x = inverse(y), so the two are
    # exact negatives of each other.
    def _forward_log_det_jacobian(self, x):
        # softplus(x) + softplus(-x) = |x| + 2 log1p(exp(-|x|)): one exp, never overflows.
        magnitude = jnp.abs(x)
        log_det = -magnitude - 2.0 * jnp.log1p(jnp.exp(-magnitude))
        return log_det if self.low is None else log_det + jnp.log(self.high - self.low)
