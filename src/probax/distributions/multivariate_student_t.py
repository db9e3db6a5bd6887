"""The multivariate Student t with a lower-triangular scale (TFP's MultivariateStudentTLinearOperator)."""

from __future__ import annotations

import math
from typing import ClassVar

import jax
import jax.numpy as jnp
from jax.scipy.special import digamma, gammaln

from probax._internal import threefry
from probax.distributions import constraints
from probax.distributions._linear_scale import tril_scale
from probax.distributions._mvn_linear import LinearScaleDistribution
from probax.distributions.distribution import ParameterProperties
from probax.distributions.matrix_constraints import nonsingular_lower_triangular
from probax.math import random_gamma

_LOG_PI = math.log(math.pi)
_LOG_TWO = math.log(2.0)


class MultivariateStudentTTriL(LinearScaleDistribution):
    """Multivariate Student t: `x = loc + L z / sqrt(g / df)`, `z ~ N(0, I_d)`, `g ~ Chi2(df)`.

    log p(x) = lgamma((df + d)/2) - lgamma(df/2) - d log(df pi)/2 - log|det L|
               - (df + d)/2 log(1 + |L^{-1}(x - loc)|^2 / df).

    TFP calls this `MultivariateStudentTLinearOperator(df, loc, scale)`; probax has no
    LinearOperator, so the scale is given as its lower-triangular matrix, as in NumPyro's
    `MultivariateStudentT(df, loc, scale_tril)` (also exported under that name). The mean is
    `loc` for df > 1 (NaN otherwise); the covariance is `df / (df - 2) L L^T` for df > 2, infinite
    for 1 < df <= 2 and NaN for df <= 1.

    Args:
      df: degrees of freedom, positive, shaped `batch_shape`.
      loc: location, `batch_shape + [d]` (None: zero; a last axis of size 1 broadcasts).
      scale_tril: lower-triangular `L` with non-zero diagonal, `batch_shape + [d, d]`; entries
        above the diagonal are ignored (None: the identity).
      validate_args: check parameters, raising `ValueError` on bad ones.
      allow_nan_stats: return NaN for undefined statistics instead of raising.
      name: a name for this distribution.

    Example:
      >>> d = MultivariateStudentTTriL(df=3., loc=[0., 0.], scale_tril=[[1., 0.], [0., 1.]])
      >>> round(float(d.log_prob([0., 0.])), 6)  # log(1 / (2 pi)): the center density is df-free
      -1.837877
      >>> d.sample(5, seed=0).shape
      (5, 2)

    """

    _event_axes: ClassVar[dict[str, tuple[int, ...]]] = {"loc": (-1,), "scale_tril": (-1, -2)}

    def __init__(self, df, loc=None, scale_tril=None, validate_args=False, allow_nan_stats=True, name=None):
        super().__init__(df=df, loc=loc, scale_tril=scale_tril, validate_args=validate_args,
                         allow_nan_stats=allow_nan_stats, name=name)

    @classmethod
    def _parameter_properties(cls):
        return dict(
            df=ParameterProperties(constraint=constraints.positive),
            loc=ParameterProperties(event_ndims=1, constraint=constraints.real),
            scale_tril=ParameterProperties(event_ndims=2, constraint=nonsingular_lower_triangular),
        )

    def _scale(self):
        return tril_scale(self.scale_tril, self.event_shape[0])

    @property
    def scale(self) -> jax.Array:
        """The scale matrix `L` (TFP's `scale`, here as its dense lower triangle), `batch_shape + [d, d]`."""
        aligned = self._with_batch_rank(len(self.batch_shape))
        dense = aligned._scale().to_dense(self._parameter_dtype())
        return jnp.broadcast_to(dense, self.batch_shape + self.event_shape * 2)

    def _sample(self, shape, key):
        normal_key, gamma_key = jax.random.split(key)
        dtype = self._parameter_dtype()
        z = threefry.normal(normal_key, (*shape, *self.event_shape), dtype)
        # sqrt(df / chi2) with chi2 = 2 gamma(df / 2), in logs: tiny df would round gamma draws to 0.
        log_gamma = random_gamma(gamma_key, 0.5 * self.df, shape, dtype, log_space=True)
        stretch = jnp.exp(0.5 * (jnp.log(self.df) - _LOG_TWO - log_gamma))
        draws = self._scale().matvec(z * stretch[..., None])
        return draws if self.loc is None else self.loc + draws

    def _log_prob(self, x):
        scale = self._scale()
        size = self.event_shape[0]
        df = self.df
        squared_norm = scale.squared_mahalanobis(self._centered(x))
        return (gammaln(0.5 * (df + size)) - gammaln(0.5 * df) - 0.5 * size * (jnp.log(df) + _LOG_PI)
                - scale.log_abs_determinant() - 0.5 * (df + size) * jnp.log1p(squared_norm / df))

    def _entropy(self):
        size = self.event_shape[0]
        half_df, half_total = 0.5 * self.df, 0.5 * (self.df + size)
        return (gammaln(half_df) - gammaln(half_total) + 0.5 * size * (jnp.log(self.df) + _LOG_PI)
                + self._scale().log_abs_determinant() + half_total * (digamma(half_total) - digamma(half_df)))

    def _mean(self):
        loc = super()._mean()
        return jnp.where(self.df[..., None] > 1, loc, jnp.nan)

    def _mode(self):
        return super()._mean()

    def _moment_factor(self, event_ndims: int):
        """The factor df / (df - 2) (df > 2; inf for 1 < df <= 2, else NaN), with `event_ndims` unit axes."""
        df = self.df.reshape(self.df.shape + (1,) * event_ndims)
        safe_df = jnp.where(df > 2, df, 3.0)
        return jnp.where(df > 2, safe_df / (safe_df - 2), jnp.where(df > 1, jnp.inf, jnp.nan))

    def _variance(self):
        return self._moment_factor(1) * self._scale().covariance_diag(self._parameter_dtype())

    def _covariance(self):
        factor = self._moment_factor(2)
        covariance = factor * self._scale().covariance(self._parameter_dtype())
        # Infinite everywhere for 1 < df <= 2, as in TFP (not inf * 0 = NaN off the diagonal).
        return jnp.where(jnp.isinf(factor), jnp.inf, covariance)


MultivariateStudentT = MultivariateStudentTTriL
