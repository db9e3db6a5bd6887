"""The multivariate normal whose scale is a diagonal plus a low-rank update."""

from __future__ import annotations

from typing import ClassVar

import jax

from probax.distributions import constraints
from probax.distributions._linear_scale import (
    DiagPlusLowRankScale,
    DiagScale,
    event_size_of,
    shape_of,
)
from probax.distributions._mvn_linear import MultivariateNormalLinear
from probax.distributions.constraints import nonzero
from probax.distributions.distribution import ParameterProperties


class MultivariateNormalDiagPlusLowRank(MultivariateNormalLinear):
    """Multivariate normal `loc + S z` with `S = diag(scale_diag) + U diag(m) U^T` (TFP's form).

    `U = scale_perturb_factor` is `d x r` and `m = scale_perturb_diag`; the covariance is
    `S S^T`. log_prob, entropy and sampling cost O(d r^2 + r^3) per distribution plus O(d r) per
    value: solves use the Woodbury identity and `log|det S|` the matrix determinant lemma, so no
    `d x d` matrix is factored.

    Args:
      loc: mean, shaped `batch_shape + [d]` (None: zero; a last axis of size 1 broadcasts).
      scale_diag: non-zero diagonal part, `batch_shape + [d]` (None: the identity).
      scale_perturb_factor: `U`, `batch_shape + [d, r]` (None: no low-rank part).
      scale_perturb_diag: `m`, `batch_shape + [r]` (None: ones).
      validate_args: check parameters, raising `ValueError` on bad ones.
      allow_nan_stats: return NaN for undefined statistics instead of raising.
      name: a name for this distribution.

    Example:
      >>> d = MultivariateNormalDiagPlusLowRank(
      ...     loc=[0., 0., 0.], scale_diag=[1., 1., 1.], scale_perturb_factor=[[1.], [0.], [0.]])
      >>> d.covariance().tolist()  # S = diag(2, 1, 1)
      [[4.0, 0.0, 0.0], [0.0, 1.0, 0.0], [0.0, 0.0, 1.0]]

    """

    _event_axes: ClassVar[dict[str, tuple[int, ...]]] = {
        "loc": (-1,), "scale_diag": (-1,), "scale_perturb_factor": (-2,)
    }

    def __init__(self, loc=None, scale_diag=None, scale_perturb_factor=None, scale_perturb_diag=None,
                 validate_args=False, allow_nan_stats=True, name=None):
        family = type(self).__name__
        if scale_perturb_diag is not None and scale_perturb_factor is None:
            raise ValueError(f"{family}: `scale_perturb_diag` needs `scale_perturb_factor`.")
        event_size_of(family, {"scale_perturb_factor": (shape_of(scale_perturb_factor), (-1,)),
                               "scale_perturb_diag": (shape_of(scale_perturb_diag), (-1,))}, broadcastable=())
        super().__init__(loc=loc, scale_diag=scale_diag, scale_perturb_factor=scale_perturb_factor,
                         scale_perturb_diag=scale_perturb_diag, validate_args=validate_args,
                         allow_nan_stats=allow_nan_stats, name=name)

    @classmethod
    def _parameter_properties(cls):
        return dict(
            loc=ParameterProperties(event_ndims=1, constraint=constraints.real),
            scale_diag=ParameterProperties(event_ndims=1, constraint=nonzero),
            scale_perturb_factor=ParameterProperties(event_ndims=2, constraint=constraints.real),
            scale_perturb_diag=ParameterProperties(event_ndims=1, constraint=constraints.real),
        )

    def _scale(self):
        size = self.event_shape[0]
        if self.scale_perturb_factor is None:
            return DiagScale(self.scale_diag, size)
        diag = self.scale_diag
        if diag is None:
            diag = jax.numpy.ones(self.scale_perturb_factor.shape[:-1], self.scale_perturb_factor.dtype)
        return DiagPlusLowRankScale(diag, self.scale_perturb_factor, self.scale_perturb_diag)

    @property
    def scale_tril(self) -> jax.Array:
        """Cholesky factor of the covariance, `batch_shape + [d, d]` (an O(d^3) dense factorization)."""
        return self._dense_scale_tril()
