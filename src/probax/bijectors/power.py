"""Power: y = x ** power."""

from __future__ import annotations

import jax.numpy as jnp
from jax.scipy.special import xlogy

from probax._internal import checks
from probax.bijectors.bijector import Bijector


def _is_odd_integer(value):
    return (value == jnp.round(value)) & (jnp.mod(value, 2.0) == 1.0)


class Power(Bijector):
    """y = x ** power on the non-negative reals (on the whole real line for odd integer powers).

        x = y ** (1 / power)   (sign(y) * |y| ** (1 / power) for an odd integer power),
        log|dy/dx| = log|power| + (power - 1) * log|x|.

    As in TFP, a reciprocal of an odd integer (power = 1/3) is not treated as an odd root:
    use `Invert(Power(3.))` for a cube root on the whole real line.

    Args:
      power: the (non-zero) exponent.
      validate_args: check that `power` is non-zero.
      name: a name.

    Example:
      >>> from probax.bijectors import Power
      >>> float(Power(2.).forward(3.))
      9.0
      >>> float(Power(3.).inverse(-8.))
      -2.0

    """

    def __init__(self, power, validate_args: bool = False, name: str | None = None):
        super().__init__(power=power, forward_min_event_ndims=0, validate_args=validate_args, name=name)

    @classmethod
    def _parameter_properties(cls):
        return {"power": 0}

    def _validate_parameters(self):
        checks.check(self.power != 0, "Power: parameter `power` must be non-zero.")

    @staticmethod
    def _odd_power(base, exponent, odd):
        """Raise `base` to `exponent`, extended oddly to negative bases where `odd` holds.

        The odd branch works on |base| so that neither its value nor its gradient (with
        respect to the exponent too) goes through the log of a negative number.
        """
        sign = jnp.where(odd, jnp.sign(base), 1.0)
        return sign * jnp.power(jnp.where(odd, jnp.abs(base), base), exponent)

    def _is_increasing(self):
        # x ** power on the positive reals increases exactly when power > 0.
        return self.power > 0

    def _forward(self, x):
        return self._odd_power(x, self.power, _is_odd_integer(self.power))

    def _inverse(self, y):
        return self._odd_power(y, 1.0 / self.power, _is_odd_integer(self.power))

    def _forward_log_det_jacobian(self, x):
        # xlogy: at x = 0 with power = 1 the slope is 1, not 0 * log 0.
        return jnp.log(jnp.abs(self.power)) + xlogy(self.power - 1.0, jnp.abs(x))
