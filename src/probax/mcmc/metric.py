"""The Euclidean metric of Hamiltonian samplers: momentum draws and kinetic energy.

A metric is the inverse mass matrix `M^{-1}` over the chain state flattened
with `jax.flatten_util.ravel_pytree`: a vector `(d,)` for a diagonal metric or a
matrix `(d, d)` for a dense one (the array's rank says which, statically).
Momenta are drawn from `N(0, M)` and the kinetic energy is `0.5 p^T M^{-1} p`.
The factor that turns standard normal draws into momenta is computed once, when
the metric is made, never per step.
"""

from __future__ import annotations

from typing import NamedTuple

import jax
import jax.numpy as jnp

from probax._internal import threefry


class Metric(NamedTuple):
    """A diagonal or dense Euclidean metric (a pytree of arrays).

    Attributes:
      inverse_mass_matrix: `(d,)` (diagonal) or `(d, d)` (dense, symmetric positive definite).
      momentum_scale: maps a standard normal vector `z` to a momentum `p ~ N(0, M)`:
        `p = momentum_scale * z` when diagonal (`1 / sqrt(inverse_mass_matrix)`), `p = momentum_scale @ z`
        when dense (the transposed inverse of the Cholesky factor of `inverse_mass_matrix`).

    """

    inverse_mass_matrix: jax.Array
    momentum_scale: jax.Array

    @property
    def is_dense(self) -> bool:
        """Whether the inverse mass matrix is a full matrix (static, from its rank)."""
        return self.inverse_mass_matrix.ndim == 2


def make_metric(inverse_mass_matrix: jax.typing.ArrayLike) -> Metric:
    """A metric from a diagonal `(d,)` or dense `(d, d)` inverse mass matrix.

    Args:
      inverse_mass_matrix: the inverse mass matrix, usually an estimate of the
        posterior (co)variance of the flattened state.

    Returns:
      The metric, with its momentum factor computed once.

    Raises:
      ValueError: when the array is not a vector or a square matrix.

    Example:
      >>> import jax.numpy as jnp
      >>> metric = make_metric(jnp.array([4.0, 0.25]))
      >>> [round(float(v), 3) for v in metric.momentum_scale]
      [0.5, 2.0]

    """
    inverse_mass_matrix = jnp.asarray(inverse_mass_matrix)
    if not jnp.issubdtype(inverse_mass_matrix.dtype, jnp.floating):
        inverse_mass_matrix = inverse_mass_matrix.astype(jnp.result_type(float))
    shape = inverse_mass_matrix.shape
    if inverse_mass_matrix.ndim == 1:
        return Metric(inverse_mass_matrix, jax.lax.rsqrt(inverse_mass_matrix))
    if inverse_mass_matrix.ndim == 2 and shape[0] == shape[1]:
        cholesky = jnp.linalg.cholesky(inverse_mass_matrix)
        identity = jnp.eye(shape[0], dtype=inverse_mass_matrix.dtype)
        # With M^{-1} = L L^T, M = L^{-T} L^{-1}, so p = L^{-T} z has covariance M.
        inverse_cholesky = jax.scipy.linalg.solve_triangular(cholesky, identity, lower=True)
        return Metric(inverse_mass_matrix, inverse_cholesky.T)
    raise ValueError(
        f"inverse_mass_matrix must have shape (d,) (diagonal) or (d, d) (dense); got shape {shape}."
    )


def identity_metric(dimension: int, dtype: jnp.dtype | None = None, dense: bool = False) -> Metric:
    """The unit metric (`M = I`) over a state of `dimension` numbers (default dtype: JAX's float).

    Args:
      dimension: the number of numbers in the flat state.
      dtype: the metric's dtype (default: JAX's default float).
      dense: store it as a `(d, d)` matrix (the shape a dense metric keeps when adapted).

    Example:
      >>> identity_metric(3).inverse_mass_matrix.tolist()
      [1.0, 1.0, 1.0]
      >>> identity_metric(2, dense=True).momentum_scale.tolist()
      [[1.0, 0.0], [0.0, 1.0]]

    """
    dtype = jnp.result_type(float) if dtype is None else dtype
    ones = jnp.eye(dimension, dtype=dtype) if dense else jnp.ones((dimension,), dtype)
    return Metric(ones, ones)


def sample_momentum(metric: Metric, key: jax.Array) -> jax.Array:
    """A momentum `p ~ N(0, M)` (a flat vector in the metric's dtype).

    Example:
      >>> import jax
      >>> sample_momentum(identity_metric(2), jax.random.key(0)).shape
      (2,)

    """
    scale = metric.momentum_scale
    z = threefry.normal(key, scale.shape[-1:], scale.dtype)
    return scale @ z if metric.is_dense else scale * z


def velocity(metric: Metric, momentum: jax.Array) -> jax.Array:
    """`M^{-1} p`: the position's rate of change (Betancourt's "sharp" momentum).

    Example:
      >>> import jax.numpy as jnp
      >>> velocity(make_metric(jnp.array([2.0, 3.0])), jnp.array([1.0, 1.0])).tolist()
      [2.0, 3.0]

    """
    inverse_mass = metric.inverse_mass_matrix.astype(momentum.dtype)
    return inverse_mass @ momentum if metric.is_dense else inverse_mass * momentum


def kinetic_energy(momentum: jax.Array, momentum_velocity: jax.Array) -> jax.Array:
    """`0.5 p^T M^{-1} p` from a momentum and its `velocity` (computed once, shared).

    Example:
      >>> import jax.numpy as jnp
      >>> metric = make_metric(jnp.array([2.0, 3.0]))
      >>> p = jnp.array([1.0, 2.0])
      >>> float(kinetic_energy(p, velocity(metric, p)))
      7.0

    """
    return 0.5 * jnp.dot(momentum, momentum_velocity)
