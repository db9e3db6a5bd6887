"""CholeskyOuterProduct: a Cholesky factor L to the positive-definite matrix L L^T."""

from __future__ import annotations

from collections.abc import Callable

import jax
import jax.numpy as jnp

from probax._internal import checks
from probax.bijectors.bijector import Bijector


# Compiled as one program each: called eagerly, JAX would otherwise dispatch (and compile, for
# each new shape) every primitive on its own.
@jax.jit
def _outer_product(x):
    return jnp.matmul(x, jnp.swapaxes(x, -1, -2))


@jax.jit
def _forward_log_det_jacobian(x):
    n = x.shape[-1]
    # Row i (0-based) of L enters the lower triangle of L L^T with power n - i.
    log_diagonal = jnp.log(jnp.abs(jnp.diagonal(x, 0, -2, -1)))
    powers = jnp.arange(n, 0, -1, dtype=x.dtype).reshape((1,) * (log_diagonal.ndim - 1) + (n,))
    return n * jnp.log(jnp.asarray(2.0, x.dtype)) + jnp.sum(powers * log_diagonal, axis=-1)


class CholeskyOuterProduct(Bijector):
    """y = L L^T for lower-triangular L with a positive diagonal; the inverse is the Cholesky factor.

    In the free coordinates (the lower triangles of L and of the symmetric y),

        log|det J| = n log 2 + sum_{i=1}^{n} (n - i + 1) log L_ii   (1-based i).

    Args:
      cholesky_fn: the Cholesky factorization used by `inverse` (default
        `jnp.linalg.cholesky`), a function of the matrix only.
      validate_args: check that the diagonal of L is positive in `forward`.
      name: a name.

    Example:
      >>> import jax.numpy as jnp
      >>> from probax.bijectors import CholeskyOuterProduct
      >>> CholeskyOuterProduct().forward(jnp.array([[1., 0.], [2., 3.]])).tolist()
      [[1.0, 2.0], [2.0, 13.0]]

    """

    _static_names = ("cholesky_fn",)

    def __init__(self, cholesky_fn: Callable | None = None, validate_args: bool = False,
                 name: str | None = None):
        super().__init__(cholesky_fn=cholesky_fn, forward_min_event_ndims=2,
                         validate_args=validate_args, name=name)

    def _forward(self, x):
        if self.validate_args:
            checks.check(jnp.diagonal(x, 0, -2, -1) > 0,
                         "CholeskyOuterProduct: the diagonal of x must be positive.")
        return _outer_product(x)

    def _inverse(self, y):
        return (self.cholesky_fn or jnp.linalg.cholesky)(y)

    def _forward_log_det_jacobian(self, x):
        return _forward_log_det_jacobian(x)
