"""WishartTriL: the Wishart distribution with its scale matrix given by a Cholesky factor."""

from __future__ import annotations

import math

import jax
import jax.numpy as jnp
from jax.scipy.linalg import solve_triangular
from jax.scipy.special import digamma, multigammaln

from probax._internal import checks, threefry
from probax.distributions import constraints, matrix_constraints
from probax.distributions.distribution import Distribution, ParameterProperties
from probax.math.random import random_gamma


class WishartTriL(Distribution):
    """Wishart distribution over d x d positive-definite matrices, scale = scale_tril scale_tril^T.

        p(X) = det(X)^((df - d - 1) / 2) exp(-tr(scale^-1 X) / 2) / Z,
        Z = 2^(df d / 2) det(scale)^(df / 2) Gamma_d(df / 2),

    with Gamma_d the multivariate gamma function. X is the sum of df outer products of
    Normal(0, scale) vectors when df is an integer. Only the lower triangle of `scale_tril`
    is read. Samples come from the Bartlett decomposition and are reparameterized (the
    chi-square parts through implicit gradients).

    With `input_output_cholesky=True`, `sample`, `mean` and `mode` return Cholesky factors
    and `log_prob` takes them, still returning the density of the matrix X = L L^T (TFP's
    convention); `variance` is that of X either way.

    Args:
      df: degrees of freedom, df > d - 1 (TFP asks for df >= d).
      scale_tril: lower-triangular Cholesky factor of the scale matrix, shaped
        `batch_shape + [d, d]`, with a positive diagonal.
      input_output_cholesky: work with Cholesky factors in `sample`, `log_prob`, `mean`, `mode`.
      validate_args: check parameters and values, raising `ValueError` on bad ones.
      allow_nan_stats: return NaN for undefined statistics instead of raising.
      name: a name for this distribution.

    Example:
      >>> d = WishartTriL(df=4., scale_tril=jnp.eye(2))
      >>> d.sample(3, seed=0).shape
      (3, 2, 2)
      >>> d.mean().tolist()
      [[4.0, 0.0], [0.0, 4.0]]

    """

    _static_names = ("input_output_cholesky",)

    def __init__(self, df, scale_tril=None, input_output_cholesky=False, validate_args=False,
                 allow_nan_stats=True, name=None):
        if scale_tril is None:
            raise ValueError("WishartTriL: scale_tril is required.")
        shape = jnp.shape(scale_tril)
        if len(shape) < 2 or shape[-1] != shape[-2]:
            raise ValueError(f"WishartTriL: scale_tril must end in a square matrix, got shape {shape}.")
        super().__init__(df=df, scale_tril=scale_tril, input_output_cholesky=bool(input_output_cholesky),
                         validate_args=validate_args, allow_nan_stats=allow_nan_stats, name=name)

    @classmethod
    def _parameter_properties(cls):
        return dict(
            df=ParameterProperties(constraint=constraints.positive),
            scale_tril=ParameterProperties(event_ndims=2, constraint=matrix_constraints.positive_diagonal),
        )

    def _validate_parameter_relations(self):
        checks.check(self.df > self._dimension() - 1,
                     f"WishartTriL: df must be greater than dimension - 1 = {self._dimension() - 1}.")

    def _dimension(self) -> int:
        return self.scale_tril.shape[-1]

    def _event_shape(self):
        return self.scale_tril.shape[-2:]

    def _support(self):
        if self.input_output_cholesky:
            return matrix_constraints.lower_cholesky
        return matrix_constraints.positive_definite

    # ------------------------------------------------------------------ helpers
    def _tril(self):
        return jnp.tril(self.scale_tril)

    def _scale_matrix(self):
        tril = self._tril()
        return jnp.matmul(tril, jnp.swapaxes(tril, -1, -2))

    def _log_det_scale(self):
        return 2 * jnp.sum(jnp.log(jnp.diagonal(self.scale_tril, 0, -2, -1)), axis=-1)

    def _multivariate_digamma(self, a):
        d = self._dimension()
        offsets = 0.5 * jnp.arange(d, dtype=a.dtype).reshape((1,) * a.ndim + (d,))
        return jnp.sum(digamma(a[..., None] - offsets), axis=-1)

    def log_normalization(self) -> jax.Array:
        """The log normalizer, shaped batch_shape.

        log Z = (df / 2) log det(scale) + (df d / 2) log 2 + log Gamma_d(df / 2).
        """
        aligned = self._with_batch_rank(len(self.batch_shape))
        return jnp.broadcast_to(aligned._log_normalization(), self.batch_shape)

    def _log_normalization(self):
        d = self._dimension()
        return (0.5 * self.df * self._log_det_scale() + 0.5 * d * math.log(2.0) * self.df
                + multigammaln(0.5 * self.df, d))

    def mean_log_det(self) -> jax.Array:
        """E[log det X] = psi_d(df / 2) + d log 2 + log det(scale), shaped batch_shape."""
        aligned = self._with_batch_rank(len(self.batch_shape))
        value = (aligned._multivariate_digamma(0.5 * aligned.df) + self._dimension() * math.log(2.0)
                 + aligned._log_det_scale())
        return jnp.broadcast_to(value, self.batch_shape)

    # ------------------------------------------------------------------ maths
    def _log_prob(self, x):
        d = self._dimension()
        cholesky = x if self.input_output_cholesky else jnp.linalg.cholesky(x)
        # tr(scale^-1 X) = |scale_tril^-1 L|_F^2 with X = L L^T.
        tril = self._tril()
        shape = jnp.broadcast_shapes(tril.shape, cholesky.shape)
        whitened = solve_triangular(jnp.broadcast_to(tril, shape), jnp.broadcast_to(cholesky, shape),
                                    lower=True)
        trace = jnp.sum(jnp.square(whitened), axis=(-2, -1))
        half_log_det_x = jnp.sum(jnp.log(jnp.diagonal(cholesky, 0, -2, -1)), axis=-1)
        return (self.df - d - 1) * half_log_det_x - 0.5 * trace - self._log_normalization()

    def _sample(self, shape, key):
        d = self._dimension()
        dtype = self.scale_tril.dtype
        normal_key, gamma_key = jax.random.split(key)
        # Bartlett: X = (S A)(S A)^T, A lower triangular with N(0, 1) below the diagonal and
        # A_ii^2 ~ chi-square(df - i) = 2 Gamma((df - i) / 2) on it (0-based i).
        below = jnp.tril(threefry.normal(normal_key, (*shape, d, d), dtype), -1)
        offsets = jnp.arange(d, dtype=dtype).reshape((1,) * len(shape) + (d,))
        concentration = 0.5 * (jnp.broadcast_to(self.df, shape)[..., None] - offsets)
        log_gamma = random_gamma(gamma_key, concentration, (*shape, d), log_space=True)
        diagonal = jnp.exp(0.5 * (log_gamma + math.log(2.0)))
        eye = jnp.eye(d, dtype=dtype).reshape((1,) * len(shape) + (d, d))
        factor = jnp.matmul(jnp.broadcast_to(self._tril(), (*shape, d, d)), below + diagonal[..., None] * eye)
        if self.input_output_cholesky:
            return factor
        x = jnp.matmul(factor, jnp.swapaxes(factor, -1, -2))
        return 0.5 * (x + jnp.swapaxes(x, -1, -2))

    def _mean(self):
        df = self.df[..., None, None]
        if self.input_output_cholesky:
            return jnp.sqrt(df) * self._tril()
        return df * self._scale_matrix()

    def _mode(self):
        excess = self.df[..., None, None] - self._dimension() - 1
        # The density peaks inside the cone only for df >= d + 1.
        excess = jnp.where(excess < 0, jnp.nan, excess)
        if self.input_output_cholesky:
            return jnp.sqrt(excess) * self._tril()
        return excess * self._scale_matrix()

    def _variance(self):
        scale = self._scale_matrix()
        diagonal = jnp.diagonal(scale, 0, -2, -1)
        products = diagonal[..., :, None] * diagonal[..., None, :]
        return self.df[..., None, None] * (jnp.square(scale) + products)

    def _entropy(self):
        d = self._dimension()
        half_df = 0.5 * self.df
        half_d_plus_1 = 0.5 * (d + 1)
        return (d * (half_df + half_d_plus_1 * math.log(2.0)) + half_d_plus_1 * self._log_det_scale()
                + multigammaln(half_df, d) + (half_d_plus_1 - half_df) * self._multivariate_digamma(half_df))

    def experimental_default_event_space_bijector(self):
        """TFP's choice: `FillScaleTriL` then a softplus on the diagonal, then `CholeskyOuterProduct`.

        The outer product is left out with `input_output_cholesky=True`.

        Example:
          >>> bijector = WishartTriL(3., jnp.eye(2)).experimental_default_event_space_bijector()
          >>> bijector.forward(jnp.zeros(3)).shape
          (2, 2)

        """
        from probax.bijectors import (
            Chain,
            CholeskyOuterProduct,
            FillScaleTriL,
            Softplus,
            TransformDiagonal,
        )

        validate = self.validate_args
        tril = Chain([TransformDiagonal(Softplus(validate_args=validate), validate_args=validate),
                      FillScaleTriL(validate_args=validate)], validate_args=validate)
        if self.input_output_cholesky:
            return tril
        return Chain([CholeskyOuterProduct(validate_args=validate), tril], validate_args=validate)
