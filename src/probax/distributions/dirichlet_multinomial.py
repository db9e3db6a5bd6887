"""The DirichletMultinomial distribution: a Multinomial whose class probabilities are Dirichlet."""

from __future__ import annotations

import jax
import jax.numpy as jnp

from probax.distributions import constraints
from probax.distributions.dirichlet import sample_dirichlet
from probax.distributions.distribution import NOT_REPARAMETERIZED, Distribution, ParameterProperties
from probax.distributions.multinomial import counts_summing_to, sample_multinomial
from probax.distributions.simplex_covariance import SimplexCovarianceMixin
from probax.math.log_beta import log_beta


class DirichletMultinomial(SimplexCovarianceMixin, Distribution):
    """Dirichlet-multinomial distribution: Multinomial(n, P) counts with P ~ Dirichlet(c).

    P[X = x] = n! Gamma(c_0) / Gamma(n + c_0) * prod_k Gamma(x_k + c_k) / (x_k! Gamma(c_k)),
    with c_0 = sum_k c_k, for counts x_k >= 0 summing to n = `total_count`. It is computed
    as n B(c_0, n) / prod_{x_k > 0} x_k B(c_k, x_k), with an accurate log-Beta, so huge
    counts and concentrations do not cancel.

    Args:
      total_count: number of trials, a non-negative integer (stored as a float).
      concentration: positive Dirichlet concentrations, shaped `batch_shape + [K]`.
      validate_args: check parameters and values, raising `ValueError` on bad ones.
      allow_nan_stats: return NaN for undefined statistics instead of raising.
      name: a name for this distribution.

    Example:
      >>> d = DirichletMultinomial(total_count=2., concentration=jnp.ones(2))
      >>> round(float(d.prob(jnp.array([1., 1.]))), 6)  # uniform over 3 outcomes
      0.333333
      >>> d.mean().tolist()
      [1.0, 1.0]

    """

    reparameterization_type = NOT_REPARAMETERIZED

    def __init__(self, total_count, concentration, validate_args=False, allow_nan_stats=True, name=None):
        super().__init__(total_count=total_count, concentration=concentration, validate_args=validate_args,
                         allow_nan_stats=allow_nan_stats, name=name)

    @classmethod
    def _parameter_properties(cls):
        return dict(
            total_count=ParameterProperties(constraint=constraints.nonnegative_integer),
            concentration=ParameterProperties(event_ndims=1, constraint=constraints.positive),
        )

    def _event_shape(self):
        return self.concentration.shape[-1:]

    def _support(self):
        return counts_summing_to(self.total_count, "counts (non-negative integers) summing to total_count")

    def _total_concentration(self):
        return jnp.sum(self.concentration, axis=-1)

    def _sample(self, shape, key):
        probs_key, counts_key = jax.random.split(key)
        probs = sample_dirichlet(probs_key, self.concentration, shape, self.dtype)
        return sample_multinomial(counts_key, self.total_count, probs, shape, self.dtype)

    def _log_prob(self, x):
        n = self.total_count
        # Classes without counts (and n = 0) contribute factors of 1; the safe substitutes keep the
        # unused branches (and their gradients) finite, also for values the base masks as outside.
        present = x > 0
        x_safe = jnp.where(present, x, 1.0)
        per_class = jnp.where(present, jnp.log(x_safe) + log_beta(self.concentration, x_safe), 0.0)
        n_safe = jnp.where(n > 0, n, 1.0)
        log_total = jnp.log(n_safe) + log_beta(self._total_concentration(), n_safe)
        log_prob = jnp.where(n > 0, log_total, 0.0) - jnp.sum(per_class, axis=-1)
        return jnp.where(jnp.any(jnp.isnan(x), axis=-1), jnp.nan, log_prob)

    def _mean(self):
        return self.total_count[..., None] * self.concentration / self._total_concentration()[..., None]

    def _covariance_parts(self):
        n, total = self.total_count, self._total_concentration()
        return n * (n + total) / (1 + total), self.concentration / total[..., None]
