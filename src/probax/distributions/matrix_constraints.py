"""Event constraints for matrix and sphere families: covariance, correlation, Cholesky, unit vectors.

Membership allows rounding: a matrix is symmetric when |x - x^T| is within about a thousand
float64 units in the last place (100 float32 ones) of its entries, a vector is a unit vector when
| |x|^2 - 1 | is, and so on, so that values built in floating point (samples, bijector outputs,
float32 values used in a float64 model) pass.
"""

from __future__ import annotations

from dataclasses import dataclass

import jax.numpy as jnp

from probax.distributions import constraints


def _tolerance(x, size: int):
    """Rounding allowance for sums of `size` terms computed in float32 or better."""
    return 100 * float(jnp.finfo(jnp.float32).eps) * max(size, 1)


def _diagonal(x):
    return jnp.diagonal(x, 0, -2, -1)


def _is_symmetric(x):
    size = x.shape[-1]
    transposed = jnp.swapaxes(x, -1, -2)
    scale = jnp.abs(x) + jnp.abs(transposed)
    return jnp.all(jnp.abs(x - transposed) <= _tolerance(x, size) * scale, axis=(-2, -1))


def _has_cholesky(x):
    return jnp.all(jnp.isfinite(jnp.linalg.cholesky(x)), axis=(-2, -1))


def _is_lower_triangular(x):
    return jnp.all(jnp.triu(x, 1) == 0, axis=(-2, -1))


def _unit_rows(x, size: int):
    return jnp.abs(jnp.sum(jnp.square(x), axis=-1) - 1) <= _tolerance(x, size)


@dataclass(frozen=True)
class PositiveDefinite(constraints.Constraint):
    """Symmetric positive-definite matrices (a Cholesky factorization exists)."""

    def check(self, x):
        """Per matrix membership of `x`."""
        return _is_symmetric(x) & _has_cholesky(x)


@dataclass(frozen=True)
class LowerCholesky(constraints.Constraint):
    """Lower-triangular matrices with a positive diagonal (Cholesky factors)."""

    def check(self, x):
        """Per matrix membership of `x`."""
        return _is_lower_triangular(x) & jnp.all(_diagonal(x) > 0, axis=-1)


@dataclass(frozen=True)
class PositiveDiagonal(constraints.Constraint):
    """Square matrices with a positive diagonal (the upper triangle is ignored, as TFP does)."""

    def check(self, x):
        """Per matrix membership of `x`."""
        return jnp.all(_diagonal(x) > 0, axis=-1)


@dataclass(frozen=True)
class CorrelationMatrix(constraints.Constraint):
    """Symmetric positive-definite matrices with a unit diagonal."""

    def check(self, x):
        """Per matrix membership of `x`."""
        unit_diagonal = jnp.all(jnp.abs(_diagonal(x) - 1) <= _tolerance(x, 1), axis=-1)
        return unit_diagonal & _is_symmetric(x) & _has_cholesky(x)


@dataclass(frozen=True)
class CorrelationCholesky(constraints.Constraint):
    """Cholesky factors of correlation matrices: lower triangular, positive diagonal, unit rows."""

    def check(self, x):
        """Per matrix membership of `x`."""
        unit_rows = jnp.all(_unit_rows(x, x.shape[-1]), axis=-1)
        return LowerCholesky("").check(x) & unit_rows


@dataclass(frozen=True)
class UnitVector(constraints.Constraint):
    """Vectors of Euclidean norm 1 (points on the unit sphere)."""

    def check(self, x):
        """Per vector membership of `x`."""
        return _unit_rows(x, x.shape[-1])


@dataclass(frozen=True)
class NonSingularLowerTriangular(constraints.Constraint):
    """Square matrices whose lower triangle has a non-zero diagonal and no NaN (entries above are ignored)."""

    def check(self, x):
        """Per matrix: diagonal non-zero, lower triangle free of NaN."""
        diagonal_ok = jnp.all(_diagonal(x) != 0, axis=-1)
        return diagonal_ok & ~jnp.any(jnp.isnan(jnp.tril(x)), axis=(-2, -1))


nonsingular_lower_triangular = NonSingularLowerTriangular(
    "a lower-triangular matrix with a non-zero diagonal", event_ndims=2
)
positive_definite = PositiveDefinite("a symmetric positive-definite matrix", event_ndims=2)
lower_cholesky = LowerCholesky("a lower-triangular matrix with a positive diagonal", event_ndims=2)
positive_diagonal = PositiveDiagonal("a square matrix with a positive diagonal", event_ndims=2)
correlation_matrix = CorrelationMatrix("a correlation matrix (positive definite, unit diagonal)",
                                       event_ndims=2)
correlation_cholesky = CorrelationCholesky(
    "the Cholesky factor of a correlation matrix (lower triangular, positive diagonal, unit rows)",
    event_ndims=2,
)
unit_vector = UnitVector("a unit vector (Euclidean norm 1)", event_ndims=1)
