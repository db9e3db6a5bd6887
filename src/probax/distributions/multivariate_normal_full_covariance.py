"""The multivariate normal parameterized by its covariance matrix."""

from __future__ import annotations

from typing import ClassVar

import jax
import jax.numpy as jnp

from probax.distributions import constraints
from probax.distributions._linear_scale import DiagScale, TriLScale
from probax.distributions._mvn_linear import MultivariateNormalLinear
from probax.distributions.distribution import ParameterProperties
from probax.distributions.matrix_constraints import positive_definite


class MultivariateNormalFullCovariance(MultivariateNormalLinear):
    """Multivariate normal `N(loc, covariance_matrix)`.

    The scale is the Cholesky factor of `covariance_matrix` (of its symmetric part), computed
    where it is needed; inside `jit` that is once per compiled call.

    Args:
      loc: mean, shaped `batch_shape + [d]` (None: zero; a last axis of size 1 broadcasts).
      covariance_matrix: symmetric positive-definite, `batch_shape + [d, d]` (None: the identity).
      validate_args: check parameters, raising `ValueError` on bad ones.
      allow_nan_stats: return NaN for undefined statistics instead of raising.
      name: a name for this distribution.

    Example:
      >>> d = MultivariateNormalFullCovariance(covariance_matrix=[[4., 2.], [2., 2.]])
      >>> d.scale_tril.tolist()
      [[2.0, 0.0], [1.0, 1.0]]
      >>> round(float(d.entropy()), 6)  # 1 + log(2 pi) + log(2)
      3.531024

    """

    _event_axes: ClassVar[dict[str, tuple[int, ...]]] = {"loc": (-1,), "covariance_matrix": (-1, -2)}

    def __init__(self, loc=None, covariance_matrix=None, validate_args=False, allow_nan_stats=True,
                 name=None):
        super().__init__(loc=loc, covariance_matrix=covariance_matrix, validate_args=validate_args,
                         allow_nan_stats=allow_nan_stats, name=name)

    @classmethod
    def _parameter_properties(cls):
        return dict(
            loc=ParameterProperties(event_ndims=1, constraint=constraints.real),
            covariance_matrix=ParameterProperties(event_ndims=2, constraint=positive_definite),
        )

    def _symmetric_covariance(self):
        return 0.5 * (self.covariance_matrix + jnp.swapaxes(self.covariance_matrix, -1, -2))

    def _scale(self):
        if self.covariance_matrix is None:
            return DiagScale(None, self.event_shape[0])
        return TriLScale(jnp.linalg.cholesky(self._symmetric_covariance()))

    def _covariance(self):
        if self.covariance_matrix is None:
            return super()._covariance()
        return self._symmetric_covariance()

    @property
    def scale_tril(self) -> jax.Array:
        """Cholesky factor of the covariance, `batch_shape + [d, d]`."""
        return self._dense_scale_tril()
