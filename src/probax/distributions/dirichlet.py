"""The Dirichlet distribution over probability vectors."""

from __future__ import annotations

import jax
import jax.numpy as jnp
from jax.scipy import special

from probax.distributions import constraints
from probax.distributions.distribution import Distribution, ParameterProperties
from probax.distributions.kl import RegisterKL
from probax.distributions.simplex_covariance import SimplexCovarianceMixin
from probax.math.log_beta import log_beta
from probax.math.random import random_gamma


def log_multivariate_beta(concentration: jax.Array) -> jax.Array:
    """The log multivariate Beta function, log B(c) = sum_k lgamma(c_k) - lgamma(sum_k c_k).

    Computed as the telescoping sum of two-argument log-Beta functions,
    B(c) = prod_{k >= 1} B(c_0 + ... + c_{k-1}, c_k), so that large concentrations do
    not cancel catastrophically as `sum(lgamma(c)) - lgamma(sum(c))` does.

    Args:
      concentration: positive array; the last axis holds one vector c.

    Returns:
      log B(c), shaped `concentration.shape[:-1]`.

    Example:
      >>> round(float(log_multivariate_beta(jnp.array([1.0, 2.0, 3.0]))), 6)  # log(2 / 120)
      -4.094345

    """
    partial_sums = jnp.cumsum(concentration, axis=-1)
    return jnp.sum(log_beta(partial_sums[..., :-1], concentration[..., 1:]), axis=-1)


def sample_dirichlet(key: jax.Array, concentration: jax.Array, shape: tuple[int, ...], dtype) -> jax.Array:
    """Dirichlet draws of shape `shape + [K]`, differentiable in `concentration`.

    Normalized Gamma draws, formed as a softmax of log-Gamma draws so that tiny
    concentrations do not underflow to 0 / 0; gradients are the Gammas' implicit ones.

    Args:
      key: a `jax.random` key.
      concentration: positive array broadcastable to `shape + [K]`.
      shape: the shape of the draws without the class axis.
      dtype: floating dtype of the draws.

    Returns:
      Probability vectors shaped `shape + [K]`.

    Example:
      >>> sample_dirichlet(jax.random.key(0), jnp.ones(3), (2,), jnp.float32).shape
      (2, 3)

    """
    full_shape = (*shape, concentration.shape[-1])
    return jax.nn.softmax(random_gamma(key, concentration, full_shape, dtype, log_space=True), axis=-1)


class Dirichlet(SimplexCovarianceMixin, Distribution):
    """Dirichlet distribution over probability vectors of length K = `concentration.shape[-1]`.

    pdf(x) = prod_k x_k**(c_k - 1) / B(c) on the simplex (x_k >= 0, sum_k x_k = 1), with
    B(c) = prod_k Gamma(c_k) / Gamma(sum_k c_k); the density is with respect to the
    Lebesgue measure on the first K - 1 coordinates (as in scipy and TFP).

    Samples are normalized Gamma draws, reparameterized through the Gammas' implicit
    gradients. `log_prob` is `-inf` off the simplex.

    Args:
      concentration: positive concentrations, shaped `batch_shape + [K]`.
      validate_args: check parameters and values, raising `ValueError` on bad ones.
      allow_nan_stats: return NaN for undefined statistics (the mode unless all
        concentrations exceed 1) instead of raising.
      force_probs_to_zero_outside_support: accepted for TFP compatibility; probax always
        gives `-inf` log-density off the simplex.
      name: a name for this distribution.

    Example:
      >>> d = Dirichlet(jnp.array([1.0, 2.0, 3.0]))
      >>> d.event_shape
      (3,)
      >>> [round(m, 4) for m in d.mean().tolist()]
      [0.1667, 0.3333, 0.5]
      >>> round(float(d.log_prob(jnp.array([0.2, 0.3, 0.5]))), 4)  # log(60 * 0.3 * 0.5**2)
      1.5041

    """

    _static_names = ("force_probs_to_zero_outside_support",)
    _value_support = constraints.simplex

    def __init__(self, concentration, validate_args=False, allow_nan_stats=True,
                 force_probs_to_zero_outside_support=False, name=None):
        super().__init__(concentration=concentration,
                         force_probs_to_zero_outside_support=bool(force_probs_to_zero_outside_support),
                         validate_args=validate_args, allow_nan_stats=allow_nan_stats, name=name)

    @classmethod
    def _parameter_properties(cls):
        return dict(concentration=ParameterProperties(event_ndims=1, constraint=constraints.positive))

    def _event_shape(self):
        return self.concentration.shape[-1:]

    def _total_concentration(self):
        return jnp.sum(self.concentration, axis=-1)

    def _sample(self, shape, key):
        return sample_dirichlet(key, self.concentration, shape, self.dtype)

    def _log_prob(self, x):
        concentration = self.concentration
        # xlogy: a coordinate at 0 with concentration 1 contributes 0, not 0 * -inf.
        return jnp.sum(special.xlogy(concentration - 1, x), axis=-1) - log_multivariate_beta(concentration)

    def _mean(self):
        return self.concentration / self._total_concentration()[..., None]

    def _covariance_parts(self):
        return 1 / (self._total_concentration() + 1), self._mean()

    def _mode(self):
        concentration = self.concentration
        num_classes = concentration.shape[-1]
        defined = jnp.all(concentration > 1, axis=-1, keepdims=True)
        denominator = jnp.where(defined, self._total_concentration()[..., None] - num_classes, 1.0)
        return jnp.where(defined, (concentration - 1) / denominator, jnp.nan)

    def _entropy(self):
        concentration = self.concentration
        total = self._total_concentration()
        num_classes = concentration.shape[-1]
        return (log_multivariate_beta(concentration) + (total - num_classes) * special.digamma(total)
                - jnp.sum((concentration - 1) * special.digamma(concentration), axis=-1))


@RegisterKL(Dirichlet, Dirichlet)
def _kl_dirichlet_dirichlet(p: Dirichlet, q: Dirichlet):
    a, b = p.concentration, q.concentration
    digamma_gap = special.digamma(a) - special.digamma(jnp.sum(a, axis=-1, keepdims=True))
    return (log_multivariate_beta(b) - log_multivariate_beta(a)
            + jnp.sum((a - b) * digamma_gap, axis=-1))
