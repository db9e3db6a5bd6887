"""SoftmaxCentered: R^n onto the open simplex in R^{n+1}."""

from __future__ import annotations

import math

import jax
import jax.numpy as jnp

from probax.bijectors.bijector import Bijector


def _half_log(size: int, dtype):
    """log(size) / 2: the Gram-determinant factor sqrt(n + 1) of the simplex in R^{n+1}."""
    return jnp.asarray(0.5 * math.log(size), dtype)


def _append_zero(x):
    return jnp.concatenate([x, jnp.zeros((*x.shape[:-1], 1), x.dtype)], axis=-1)


# Each map is compiled as one program: called eagerly, JAX would otherwise dispatch (and
# compile, for each new shape) every primitive on its own.
@jax.jit
def _forward(x):
    return jax.nn.softmax(_append_zero(x), axis=-1)


@jax.jit
def _inverse(y):
    log_y = jnp.log(y)
    return log_y[..., :-1] - log_y[..., -1:]


@jax.jit
def _forward_log_det_jacobian(x):
    log_y = jax.nn.log_softmax(_append_zero(x), axis=-1)
    return _half_log(log_y.shape[-1], x.dtype) + jnp.sum(log_y, axis=-1)


@jax.jit
def _inverse_log_det_jacobian(y):
    return -(_half_log(y.shape[-1], y.dtype) + jnp.sum(jnp.log(y), axis=-1))


class SoftmaxCentered(Bijector):
    """y = softmax([x, 0]): R^n onto the probability vectors of length n + 1, with x = log(y_{:n} / y_n).

    As in TFP, the log-determinant measures volume on the simplex as a surface in R^{n+1}
    (the Gram determinant sqrt(det(J^T J)) of the n+1 x n Jacobian J):

        log|det J| = log(n + 1) / 2 + sum_{i=1}^{n+1} log y_i
                   = log(n + 1) / 2 + sum(log_softmax([x, 0])),

    computed from x in log space (finite wherever x is). In the coordinates y_{:n} (the
    measure `Dirichlet` densities use) the Jacobian determinant is prod y_i, without the
    sqrt(n + 1): subtract log(n + 1) / 2 to compare with such a density.

    Args:
      validate_args: check parameters.
      name: a name.

    Example:
      >>> import jax.numpy as jnp
      >>> from probax.bijectors import SoftmaxCentered
      >>> [round(float(p), 4) for p in SoftmaxCentered().forward(jnp.array([0., 0.]))]
      [0.3333, 0.3333, 0.3333]
      >>> SoftmaxCentered().forward_event_shape([4])
      (5,)

    """

    def __init__(self, validate_args: bool = False, name: str | None = None):
        super().__init__(forward_min_event_ndims=1, validate_args=validate_args, name=name)

    def _forward(self, x):
        return _forward(x)

    def _inverse(self, y):
        return _inverse(y)

    def _forward_log_det_jacobian(self, x):
        return _forward_log_det_jacobian(x)

    def _inverse_log_det_jacobian(self, y):
        return _inverse_log_det_jacobian(y)

    def _forward_event_shape(self, shape):
        if not shape:
            raise ValueError("SoftmaxCentered: input_shape must have rank >= 1.")
        return (*shape[:-1], shape[-1] + 1)

    def _inverse_event_shape(self, shape):
        if not shape or shape[-1] < 1:
            raise ValueError(f"SoftmaxCentered: output_shape must end in a dimension >= 1, got {shape}.")
        return (*shape[:-1], shape[-1] - 1)
