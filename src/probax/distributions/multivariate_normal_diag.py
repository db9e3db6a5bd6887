"""The multivariate normal with a diagonal scale: independent coordinates, no matrices."""

from __future__ import annotations

from typing import ClassVar

import jax

from probax.distributions import constraints
from probax.distributions._linear_scale import DiagScale
from probax.distributions._mvn_linear import MultivariateNormalLinear
from probax.distributions.constraints import nonzero
from probax.distributions.distribution import ParameterProperties


class MultivariateNormalDiag(MultivariateNormalLinear):
    """Multivariate normal `N(loc, diag(scale_diag)**2)` over vectors of size `d`.

    Every method works coordinate by coordinate (log_prob costs O(d) per value); only
    `covariance()` and `scale_tril` build a `d x d` matrix, because that is what they return.

    Args:
      loc: mean, shaped `batch_shape + [d]` (None: zero; a last axis of size 1 broadcasts).
      scale_diag: diagonal of the scale matrix, non-zero, shaped `batch_shape + [d]`
        (None: the identity).
      validate_args: check parameters, raising `ValueError` on bad ones.
      allow_nan_stats: return NaN for undefined statistics instead of raising.
      name: a name for this distribution.

    Example:
      >>> d = MultivariateNormalDiag(loc=[1., -1.], scale_diag=[1., 2.])
      >>> d.batch_shape, d.event_shape
      ((), (2,))
      >>> d.sample(3, seed=0).shape
      (3, 2)
      >>> round(float(d.log_prob([1., -1.])), 6)  # -log(2 pi) - log(2)
      -2.531024

    """

    _event_axes: ClassVar[dict[str, tuple[int, ...]]] = {"loc": (-1,), "scale_diag": (-1,)}

    def __init__(self, loc=None, scale_diag=None, validate_args=False, allow_nan_stats=True, name=None):
        super().__init__(loc=loc, scale_diag=scale_diag, validate_args=validate_args,
                         allow_nan_stats=allow_nan_stats, name=name)

    @classmethod
    def _parameter_properties(cls):
        return dict(
            loc=ParameterProperties(event_ndims=1, constraint=constraints.real),
            scale_diag=ParameterProperties(event_ndims=1, constraint=nonzero),
        )

    def _scale(self):
        return DiagScale(self.scale_diag, self.event_shape[0])

    @property
    def scale_tril(self) -> jax.Array:
        """The scale as a dense lower-triangular matrix with positive diagonal, `batch_shape + [d, d]`."""
        return self._dense_scale_tril()
