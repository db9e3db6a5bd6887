"""The multivariate normal parameterized by a lower-triangular scale (Cholesky factor)."""

from __future__ import annotations

from typing import ClassVar

from probax.distributions import constraints
from probax.distributions._linear_scale import tril_scale
from probax.distributions._mvn_linear import MultivariateNormalLinear
from probax.distributions.distribution import ParameterProperties
from probax.distributions.matrix_constraints import nonsingular_lower_triangular


class MultivariateNormalTriL(MultivariateNormalLinear):
    """Multivariate normal `N(loc, L L^T)` with `L = scale_tril` lower triangular.

    log_prob solves `L w = x - loc` by one triangular solve per distinct `L` (values that share
    an `L` are solved together), so no matrix is inverted or factored.

    Args:
      loc: mean, shaped `batch_shape + [d]` (None: zero; a last axis of size 1 broadcasts).
      scale_tril: lower-triangular `L` with non-zero diagonal, `batch_shape + [d, d]`; entries
        above the diagonal are ignored (None: the identity).
      validate_args: check parameters, raising `ValueError` on bad ones.
      allow_nan_stats: return NaN for undefined statistics instead of raising.
      name: a name for this distribution.

    Example:
      >>> d = MultivariateNormalTriL(loc=[0., 0.], scale_tril=[[1., 0.], [0.5, 2.]])
      >>> d.covariance().tolist()
      [[1.0, 0.5], [0.5, 4.25]]
      >>> d.sample((4, 3), seed=0).shape
      (4, 3, 2)

    """

    _event_axes: ClassVar[dict[str, tuple[int, ...]]] = {"loc": (-1,), "scale_tril": (-1, -2)}

    def __init__(self, loc=None, scale_tril=None, validate_args=False, allow_nan_stats=True, name=None):
        super().__init__(loc=loc, scale_tril=scale_tril, validate_args=validate_args,
                         allow_nan_stats=allow_nan_stats, name=name)

    @classmethod
    def _parameter_properties(cls):
        return dict(
            loc=ParameterProperties(event_ndims=1, constraint=constraints.real),
            scale_tril=ParameterProperties(event_ndims=2, constraint=nonsingular_lower_triangular),
        )

    def _scale(self):
        return tril_scale(self.scale_tril, self.event_shape[0])
