"""Ascending (R^n onto increasing vectors) and Ordered, its inverse (TFP's deprecated name)."""

from __future__ import annotations

import jax
import jax.numpy as jnp

from probax._internal import checks
from probax.bijectors.bijector import Bijector
from probax.bijectors.invert import Invert


# Each map is compiled as one program: called eagerly, JAX would otherwise dispatch (and
# compile, for each new shape) every primitive on its own.
@jax.jit
def _forward(x):
    steps = jnp.exp(x[..., 1:])
    return jnp.concatenate([x[..., :1], x[..., :1] + jnp.cumsum(steps, axis=-1)], axis=-1)


@jax.jit
def _inverse(y):
    return jnp.concatenate([y[..., :1], jnp.log(jnp.diff(y, axis=-1))], axis=-1)


@jax.jit
def _forward_log_det_jacobian(x):
    return jnp.sum(x[..., 1:], axis=-1)


@jax.jit
def _inverse_log_det_jacobian(y):
    return -jnp.sum(jnp.log(jnp.diff(y, axis=-1)), axis=-1)


class Ascending(Bijector):
    """y_0 = x_0, y_i = y_{i-1} + exp(x_i): R^n onto strictly increasing vectors.

    The Jacobian is lower triangular with diagonal (1, exp(x_1), ..., exp(x_{n-1})), so
    log|det J| = sum_{i>=1} x_i; the inverse is x_0 = y_0, x_i = log(y_i - y_{i-1}).

    Args:
      validate_args: check in `inverse` that y is strictly increasing.
      name: a name.

    Example:
      >>> import jax.numpy as jnp
      >>> from probax.bijectors import Ascending
      >>> Ascending().forward(jnp.array([2., 0., 0.])).tolist()
      [2.0, 3.0, 4.0]

    """

    def __init__(self, validate_args: bool = False, name: str | None = None):
        super().__init__(forward_min_event_ndims=1, validate_args=validate_args, name=name)

    def _forward(self, x):
        return _forward(x)

    def _inverse(self, y):
        if self.validate_args:
            checks.check(jnp.diff(y, axis=-1) > 0,
                         "Ascending: y must be strictly increasing along its last dimension.")
        return _inverse(y)

    def _forward_log_det_jacobian(self, x):
        return _forward_log_det_jacobian(x)

    def _inverse_log_det_jacobian(self, y):
        return _inverse_log_det_jacobian(y)


class Ordered(Invert):
    """x_0 = y_0, x_i = log(y_i - y_{i-1}): increasing vectors onto R^n, the inverse of `Ascending`.

    TFP deprecated `Ordered` in favour of `Ascending` (its `forward` is `Ascending.inverse`);
    kept so that older code ports unchanged.

    Args:
      validate_args: check in `forward` that its input is strictly increasing.
      name: a name.

    Example:
      >>> import jax.numpy as jnp
      >>> from probax.bijectors import Ordered
      >>> Ordered().forward(jnp.array([2., 3., 4.])).tolist()
      [2.0, 0.0, 0.0]

    """

    def __init__(self, validate_args: bool = False, name: str | None = None):
        super().__init__(Ascending(validate_args=validate_args), validate_args=validate_args,
                         name=name or "ordered")
