"""LKJ: the Lewandowski-Kurowicka-Joe distribution over correlation matrices."""

from __future__ import annotations

import jax.numpy as jnp

from probax.distributions import constraints, matrix_constraints
from probax.distributions.cholesky_lkj import (
    check_dimension,
    lkj_log_normalization,
    sample_correlation_cholesky,
)
from probax.distributions.distribution import NOT_REPARAMETERIZED, Distribution, ParameterProperties


class LKJ(Distribution):
    """The LKJ distribution over d x d correlation matrices C.

        p(C) = det(C)^(concentration - 1) / c_d(concentration)

    (Lewandowski, Kurowicka and Joe, 2009). concentration = 1 is uniform over correlation
    matrices; larger values concentrate around the identity. Each off-diagonal entry has
    mean 0 and variance 1 / (2 concentration + d - 1).

    With `input_output_cholesky=True`, samples are Cholesky factors L of C and `log_prob`
    takes such factors, returning the density of C = L L^T (as TFP does: the density of the
    matrix, not of its factor; see `CholeskyLKJ` for the latter).

    Args:
      dimension: d, a Python int (static).
      concentration: eta > 0 (TFP asks for eta >= 1 under `validate_args`).
      input_output_cholesky: work with Cholesky factors in `sample` and `log_prob`.
      validate_args: check parameters and values, raising `ValueError` on bad ones.
      allow_nan_stats: return NaN for undefined statistics instead of raising.
      name: a name for this distribution.

    Example:
      >>> d = LKJ(dimension=2, concentration=2.)
      >>> C = d.sample(5, seed=0)
      >>> C.shape
      (5, 2, 2)
      >>> round(float(d.log_prob(jnp.eye(2))), 6)  # log(3/4): the density of r at 0 is 3/4
      -0.287682

    """

    reparameterization_type = NOT_REPARAMETERIZED
    _static_names = ("dimension", "input_output_cholesky")

    def __init__(self, dimension, concentration, input_output_cholesky=False, validate_args=False,
                 allow_nan_stats=True, name=None):
        super().__init__(dimension=check_dimension(dimension, "LKJ"), concentration=concentration,
                         input_output_cholesky=bool(input_output_cholesky), validate_args=validate_args,
                         allow_nan_stats=allow_nan_stats, name=name)

    @classmethod
    def _parameter_properties(cls):
        return dict(concentration=ParameterProperties(constraint=constraints.positive))

    def _event_shape(self):
        return (self.dimension, self.dimension)

    def _support(self):
        if self.input_output_cholesky:
            return matrix_constraints.correlation_cholesky
        return matrix_constraints.correlation_matrix

    def _log_prob(self, x):
        cholesky = x if self.input_output_cholesky else jnp.linalg.cholesky(x)
        log_det = 2 * jnp.sum(jnp.log(jnp.diagonal(cholesky, 0, -2, -1)), axis=-1)
        return (self.concentration - 1) * log_det - lkj_log_normalization(self.concentration, self.dimension)

    def _sample(self, shape, key):
        cholesky = sample_correlation_cholesky(self.concentration, self.dimension, shape, key)
        if self.input_output_cholesky:
            return cholesky
        correlation = jnp.matmul(cholesky, jnp.swapaxes(cholesky, -1, -2))
        # Exactly symmetric with an exactly unit diagonal, whatever the rounding in the product.
        correlation = 0.5 * (correlation + jnp.swapaxes(correlation, -1, -2))
        eye = jnp.eye(self.dimension, dtype=correlation.dtype).reshape((1,) * len(shape) + self.event_shape)
        return correlation * (1 - eye) + eye

    def _eye(self):
        eye = jnp.eye(self.dimension, dtype=self.concentration.dtype)
        return jnp.broadcast_to(eye, self.concentration.shape + self.event_shape)

    def _mean(self):
        # Flipping the sign of variable k leaves det(C) unchanged, so E[C_ij] = 0 off the diagonal.
        return self._eye()

    def _variance(self):
        # The marginal of C_ij is 2 Beta(a, a) - 1 with a = eta - 1 + d / 2: variance 1 / (2 a + 1).
        off_diagonal = 1 / (2 * self.concentration + self.dimension - 1)
        return (1 - self._eye()) * off_diagonal[..., None, None]

    def experimental_default_event_space_bijector(self):
        """TFP's choice: `CorrelationCholesky`, followed by `CholeskyOuterProduct` unless Cholesky I/O.

        TFP also clips the matrix into [-1, 1]; probax does not, and the support check allows
        the diagonal its rounding error instead.

        Example:
          >>> bijector = LKJ(2, 1.).experimental_default_event_space_bijector()
          >>> bijector.forward(jnp.array([0.75])).round(4).tolist()
          [[1.0, 0.6], [0.6, 1.0]]

        """
        from probax.bijectors import Chain, CholeskyOuterProduct, CorrelationCholesky

        cholesky = CorrelationCholesky(validate_args=self.validate_args)
        if self.input_output_cholesky:
            return cholesky
        return Chain([CholeskyOuterProduct(validate_args=self.validate_args), cholesky],
                     validate_args=self.validate_args)
