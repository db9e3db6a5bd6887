"""Location plus linear scale, `x = loc + S z`: the maths multivariate normals and Student t share.

`LinearScaleDistribution` holds what does not depend on the law of `z`: the event size and its
checks, centering, the mean and mode, the covariance accessor. `MultivariateNormalLinear` adds the
Gaussian maths (`z ~ N(0, I)`) for every scale structure, and the analytic KL between any two
multivariate normals is registered once, on that base, so every pair of variants shares it.
A family only names its parameters and says which scale they make (`_scale`).
"""

from __future__ import annotations

import math
from typing import ClassVar

import jax
import jax.numpy as jnp

from probax._internal import checks, threefry
from probax.distributions._linear_scale import LinearScale, covariance_trace_ratio, event_size_of, shape_of
from probax.distributions.distribution import Distribution
from probax.distributions.kl import RegisterKL

_LOG_TWO_PI = math.log(2 * math.pi)


class LinearScaleDistribution(Distribution):
    """Base of families `x = loc + S z` with a vector event of size `d`.

    Subclasses set `_event_axes` (parameter -> axes whose size is `d`) and implement `_scale()`
    on rank-aligned parameters. `loc=None` means zero.
    """

    loc: jax.Array | None
    _event_axes: ClassVar[dict[str, tuple[int, ...]]] = {"loc": (-1,)}

    def __init__(self, *, validate_args: bool = False, allow_nan_stats: bool = True, name=None, **arguments):
        # Check event sizes first, so a mismatch is reported as such rather than by a later step.
        event_size_of(type(self).__name__, self._event_dims(arguments))
        super().__init__(validate_args=validate_args, allow_nan_stats=allow_nan_stats, name=name, **arguments)

    @classmethod
    def _event_dims(cls, arguments):
        return {k: (shape_of(arguments.get(k)), axes) for k, axes in cls._event_axes.items()}

    def _event_shape(self):
        return (event_size_of(type(self).__name__, self._event_dims(self.parameters)),)

    def _scale(self) -> LinearScale:
        raise NotImplementedError(f"{type(self).__name__} must define _scale.")

    def _centered(self, x):
        return x if self.loc is None else x - self.loc

    def _mean(self):
        if self.loc is None:
            return jnp.zeros(self.event_shape, self._parameter_dtype())
        return self.loc

    def _mode(self):
        return self._mean()

    def _dense_scale_tril(self) -> jax.Array:
        """The lower-triangular `L` with positive diagonal and `L L^T` the scale's `S S^T`."""
        aligned = self._with_batch_rank(len(self.batch_shape))
        tril = aligned._scale().covariance_cholesky(self._parameter_dtype())
        return jnp.broadcast_to(tril, self.batch_shape + self.event_shape * 2)

    def covariance(self) -> jax.Array:
        """Covariance matrix of the event, shaped `batch_shape + [d, d]`.

        Example:
          >>> from probax.distributions.multivariate_normal_diag import MultivariateNormalDiag
          >>> MultivariateNormalDiag(scale_diag=[1., 2.]).covariance().tolist()
          [[1.0, 0.0], [0.0, 4.0]]

        """
        aligned = self._with_batch_rank(len(self.batch_shape))
        result = jnp.broadcast_to(aligned._covariance(), self.batch_shape + self.event_shape * 2)
        if not self.allow_nan_stats:
            checks.check(
                ~jnp.isnan(result),
                f"{type(self).__name__}.covariance is undefined (NaN) for these parameters; "
                "pass allow_nan_stats=True to get NaN instead of an error.",
            )
        return result

    def _covariance(self):
        raise self._not_implemented("covariance")


class MultivariateNormalLinear(LinearScaleDistribution):
    """Base of the multivariate normals: `x = loc + S z`, `z ~ N(0, I_d)`, covariance `S S^T`.

    log p(x) = -|S^{-1}(x - loc)|^2 / 2 - log|det S| - d log(2 pi) / 2.
    """

    def _sample(self, shape, key):
        z = threefry.normal(key, (*shape, *self.event_shape), self._parameter_dtype())
        draws = self._scale().matvec(z)
        return draws if self.loc is None else self.loc + draws

    def _log_prob(self, x):
        scale = self._scale()
        # Parameter-only terms summed first: one subtraction per value for them.
        normalizer = scale.log_abs_determinant() + 0.5 * self.event_shape[0] * _LOG_TWO_PI
        return -0.5 * scale.squared_mahalanobis(self._centered(x)) - normalizer

    def _variance(self):
        return self._scale().covariance_diag(self._parameter_dtype())

    def _covariance(self):
        return self._scale().covariance(self._parameter_dtype())

    def _entropy(self):
        return 0.5 * self.event_shape[0] * (1 + _LOG_TWO_PI) + self._scale().log_abs_determinant()


def _loc_difference(p: LinearScaleDistribution, q: LinearScaleDistribution):
    """`q.loc - p.loc` (a missing `loc` is zero), without combining arrays of different rank."""
    if p.loc is None:
        return jnp.zeros(p.event_shape, p._parameter_dtype()) if q.loc is None else q.loc
    return -p.loc if q.loc is None else q.loc - p.loc


@RegisterKL(MultivariateNormalLinear, MultivariateNormalLinear)
def _kl_mvn_mvn(p: MultivariateNormalLinear, q: MultivariateNormalLinear):
    """KL = (tr(Σq^{-1} Σp) + |Sq^{-1}(μq - μp)|^2 - d) / 2 + log|det Sq| - log|det Sp|."""
    if p.event_shape != q.event_shape:
        raise ValueError(
            f"kl_divergence({type(p).__name__}, {type(q).__name__}): event shapes {p.event_shape} "
            f"and {q.event_shape} differ."
        )
    dtype = jnp.result_type(p._parameter_dtype(), q._parameter_dtype())
    p_scale, q_scale = p._scale(), q._scale()
    difference = _loc_difference(p, q)
    mahalanobis = q_scale.squared_mahalanobis(difference)
    trace = covariance_trace_ratio(p_scale, q_scale, dtype)
    log_det_ratio = q_scale.log_abs_determinant() - p_scale.log_abs_determinant()
    return 0.5 * (trace + mahalanobis - p.event_shape[0]) + log_det_ratio
