"""CholeskyLKJ: the LKJ distribution over Cholesky factors of correlation matrices."""

from __future__ import annotations

import functools
import math

import jax
import jax.numpy as jnp
from jax.scipy.special import gammaln

from probax._internal import threefry
from probax.distributions import constraints, matrix_constraints
from probax.distributions.distribution import NOT_REPARAMETERIZED, Distribution, ParameterProperties
from probax.math.random import random_gamma


def check_dimension(dimension, family: str) -> int:
    """`dimension` as an int >= 1, or a ValueError naming `family`."""
    if isinstance(dimension, bool) or not isinstance(dimension, int) or dimension < 1:
        raise ValueError(f"{family}: dimension must be a Python int >= 1, got {dimension!r}.")
    return dimension


def lkj_log_normalization(concentration, dimension: int):
    """The log of the LKJ normalizer c_d(eta) (Lewandowski, Kurowicka and Joe, 2009).

    Integrating det(C)^(eta - 1) over d x d correlation matrices row by row of the
    Cholesky factor (the onion construction) gives

        log c_d = sum_{k=1}^{d-1} [ (k/2) log pi + lgamma(eta + (d-1-k)/2) - lgamma(eta + (d-1)/2) ].
    """
    total = jnp.zeros_like(concentration)
    for k in range(1, dimension):
        total = total + (
            0.5 * k * math.log(math.pi)
            + gammaln(concentration + 0.5 * (dimension - 1 - k))
            - gammaln(concentration + 0.5 * (dimension - 1))
        )
    return total


def _eye(dimension: int, rank: int, dtype):
    return jnp.eye(dimension, dtype=dtype).reshape((1,) * rank + (dimension, dimension))


@functools.partial(jax.jit, static_argnames=("dimension", "shape"))
def sample_correlation_cholesky(concentration, dimension: int, shape, key):
    """Draws of the Cholesky factor of an LKJ(dimension, concentration) matrix (the onion method).

    Row k (0-based, k >= 1) of the factor is (sqrt(y_k) u_k, sqrt(1 - y_k), 0, ...), with
    y_k ~ Beta(k / 2, eta + (d - 1 - k) / 2) and u_k uniform on the unit sphere in R^k, all
    independent; row 0 is e_0. The rows need no loop, so one draw is a few array operations.

    Args:
      concentration: eta > 0, broadcastable to `shape`.
      dimension: d.
      shape: the shape of the batch of draws.
      key: a `jax.random` key.

    Returns:
      Lower-triangular factors shaped `shape + (d, d)`.

    """
    dtype = concentration.dtype
    rank = len(shape)
    if dimension == 1:
        return jnp.ones((*shape, 1, 1), dtype)
    beta_key, direction_key = jax.random.split(key)
    rows = jnp.arange(1, dimension, dtype=dtype).reshape((1,) * rank + (dimension - 1,))
    eta = jnp.broadcast_to(concentration, shape)[..., None]
    gamma_shape = (*shape, dimension - 1)
    first_key, second_key = jax.random.split(beta_key)
    # Beta draws as ratios of gammas in log space: 1 - y keeps full precision when y is near 1.
    log_a = random_gamma(first_key, jnp.broadcast_to(0.5 * rows, gamma_shape), gamma_shape, log_space=True)
    log_b = random_gamma(second_key, jnp.broadcast_to(eta + 0.5 * (dimension - 1 - rows), gamma_shape),
                         gamma_shape, log_space=True)
    log_total = jnp.logaddexp(log_a, log_b)
    zero, one = jnp.zeros((*shape, 1), dtype), jnp.ones((*shape, 1), dtype)
    radius = jnp.concatenate([zero, jnp.exp(0.5 * (log_a - log_total))], axis=-1)
    diagonal = jnp.concatenate([one, jnp.exp(0.5 * (log_b - log_total))], axis=-1)
    normals = jnp.tril(threefry.normal(direction_key, (*shape, dimension, dimension), dtype), -1)
    norms = jnp.sqrt(jnp.sum(jnp.square(normals), axis=-1, keepdims=True))
    # A row of exact zeros (probability ~0) takes the direction e_0 rather than 0 / 0.
    first_column = jnp.zeros((dimension,), dtype).at[0].set(1).reshape((1,) * rank + (1, dimension))
    directions = jnp.where(norms > 0, normals / jnp.where(norms > 0, norms, 1), first_column)
    eye = _eye(dimension, rank, dtype)
    return directions * radius[..., None] * (1 - eye) + diagonal[..., None] * eye


class CholeskyLKJ(Distribution):
    """The LKJ distribution on Cholesky factors L of correlation matrices C = L L^T.

    LKJ(eta) gives a d x d correlation matrix C the density det(C)^(eta - 1) / c_d(eta)
    (Lewandowski, Kurowicka and Joe, 2009): eta = 1 is uniform over correlation matrices,
    eta > 1 favours the identity, eta < 1 strong correlations. In the free coordinates of
    L (its strictly lower triangle) the density is

        prod_{i=1}^{d-1} L_ii^(d - i - 3 + 2 eta) / c_d(eta)    (0-based i).

    Args:
      dimension: d, a Python int (static).
      concentration: eta > 0. TFP asks for eta >= 1 under `validate_args`; probax accepts any
        positive eta, for which the density and the sampler are exact.
      validate_args: check parameters and values, raising `ValueError` on bad ones.
      allow_nan_stats: return NaN for undefined statistics instead of raising.
      name: a name for this distribution.

    Example:
      >>> d = CholeskyLKJ(dimension=3, concentration=2.)
      >>> L = d.sample(seed=0)
      >>> L.shape
      (3, 3)
      >>> bool(jnp.allclose(jnp.sum(L**2, axis=-1), 1.))
      True

    """

    reparameterization_type = NOT_REPARAMETERIZED
    _static_names = ("dimension",)

    def __init__(self, dimension, concentration, validate_args=False, allow_nan_stats=True, name=None):
        super().__init__(dimension=check_dimension(dimension, "CholeskyLKJ"), concentration=concentration,
                         validate_args=validate_args, allow_nan_stats=allow_nan_stats, name=name)

    @classmethod
    def _parameter_properties(cls):
        return dict(concentration=ParameterProperties(constraint=constraints.positive))

    def _event_shape(self):
        return (self.dimension, self.dimension)

    def _support(self):
        return matrix_constraints.correlation_cholesky

    def _log_prob(self, x):
        d = self.dimension
        log_diagonal = jnp.log(jnp.diagonal(x, 0, -2, -1))
        rows = jnp.arange(d, dtype=x.dtype).reshape((1,) * (log_diagonal.ndim - 1) + (d,))
        exponents = d - rows - 3 + 2 * self.concentration[..., None]
        # Row 0 has L_00 = 1: its term is 0 whatever its exponent.
        unnormalized = jnp.sum(exponents[..., 1:] * log_diagonal[..., 1:], axis=-1)
        return unnormalized - lkj_log_normalization(self.concentration, d)

    def _sample(self, shape, key):
        return sample_correlation_cholesky(self.concentration, self.dimension, shape, key)

    def experimental_default_event_space_bijector(self):
        """`CorrelationCholesky`: from R^{d(d-1)/2} onto Cholesky factors of correlation matrices.

        Example:
          >>> bijector = CholeskyLKJ(2, 1.).experimental_default_event_space_bijector()
          >>> bijector.forward(jnp.zeros(1)).tolist()
          [[1.0, 0.0], [0.0, 1.0]]

        """
        from probax.bijectors import CorrelationCholesky

        return CorrelationCholesky(validate_args=self.validate_args)
