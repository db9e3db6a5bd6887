"""The Deterministic distribution: a point mass."""

from __future__ import annotations

import jax.numpy as jnp

from probax.distributions import constraints
from probax.distributions.distribution import Distribution, ParameterProperties


class Deterministic(Distribution):
    """Point mass at `loc`: every draw equals `loc`.

    A value x counts as equal to `loc` when |x - loc| <= atol + rtol * |loc|,
    so prob(x) is 1 there and 0 elsewhere (log_prob 0 or -inf), and
    cdf(x) = 1 for x >= loc - (atol + rtol * |loc|), else 0.

    Args:
      loc: the point the mass sits on.
      atol: non-negative absolute tolerance for comparing values with `loc`
        (default 0).
      rtol: non-negative tolerance relative to |loc| (default 0).
      validate_args: check parameters and values, raising `ValueError` on bad ones.
      allow_nan_stats: return NaN for undefined statistics instead of raising.
      name: a name for this distribution.

    Example:
      >>> d = Deterministic(loc=3.)
      >>> d.sample(2, seed=0).tolist()
      [3.0, 3.0]
      >>> float(d.prob(3.)), float(d.prob(2.))
      (1.0, 0.0)

    """

    def __init__(self, loc, atol=None, rtol=None, validate_args=False, allow_nan_stats=True, name=None):
        super().__init__(loc=loc, atol=atol, rtol=rtol, validate_args=validate_args,
                         allow_nan_stats=allow_nan_stats, name=name)

    @classmethod
    def _parameter_properties(cls):
        return dict(
            loc=ParameterProperties(constraint=constraints.real),
            atol=ParameterProperties(constraint=constraints.nonnegative),
            rtol=ParameterProperties(constraint=constraints.nonnegative),
        )

    def _slack(self):
        """The half-width atol + rtol * |loc| of the set of values counted as `loc`."""
        slack = jnp.zeros_like(self.loc)
        if self.atol is not None:
            slack = slack + self.atol
        if self.rtol is not None:
            slack = slack + self.rtol * jnp.abs(self.loc)
        return slack

    def _sample(self, shape, key):
        return jnp.broadcast_to(self.loc, shape)

    def _log_prob(self, x):
        return jnp.where(jnp.abs(x - self.loc) <= self._slack(), 0.0, -jnp.inf).astype(self.dtype)

    def _cdf(self, x):
        return jnp.where(x >= self.loc - self._slack(), 1.0, 0.0).astype(self.dtype)

    def _log_cdf(self, x):
        return jnp.where(x >= self.loc - self._slack(), 0.0, -jnp.inf).astype(self.dtype)

    def _survival_function(self, x):
        return 1 - self._cdf(x)

    def _log_survival_function(self, x):
        return jnp.where(x >= self.loc - self._slack(), -jnp.inf, 0.0).astype(self.dtype)

    def _quantile(self, p):
        return jnp.broadcast_to(self.loc, jnp.broadcast_shapes(self.loc.shape, p.shape))

    def _mean(self):
        return self.loc

    def _variance(self):
        return jnp.zeros_like(self.loc)

    def _mode(self):
        return self.loc

    def _entropy(self):
        return jnp.zeros_like(self.loc)
