"""QuantizedDistribution: the integer-valued Y = ceiling(X), optionally clipped to [low, high]."""

from __future__ import annotations

import jax
import jax.numpy as jnp

from probax._internal import checks
from probax._internal.shapes import Shape, broadcast_shapes, expand_batch_index, pad_leading
from probax.distributions import constraints
from probax.distributions.composite import CompositeDistribution, require_distribution
from probax.distributions.distribution import NOT_REPARAMETERIZED
from probax.distributions.mixture_same_family import draw_broadcast, slice_part


def _log_sub_exp(big, small):
    """log(exp(big) - exp(small)) for small <= big; -inf where big is -inf."""
    finite = big > -jnp.inf
    safe_big = jnp.where(finite, big, 0.0)
    return jnp.where(finite, safe_big + jnp.log1p(-jnp.exp(jnp.where(finite, small, -jnp.inf) - safe_big)),
                     -jnp.inf)


class QuantizedDistribution(CompositeDistribution):
    """The distribution of Y = ceiling(X), with Y set to `low` below it and to `high` above it.

    P[Y = j] = P[j - 1 < X <= j] for low < j < high, P[Y = low] = P[X <= low] and
    P[Y = high] = P[X > high - 1]. Y lives on the integers in [low, high]: log_prob is
    -inf at any other value (TFP floors non-integer values instead), and cdf(y) =
    P[Y <= floor(y)], survival_function(y) = P[Y > floor(y)] for every real y. Masses are
    computed from the cdf on the left of the median and from the survival function on its
    right, so both tails keep their precision. Shift X by -0.5 to round instead of ceil.

    Args:
      distribution: a scalar distribution with `cdf` (and `log_cdf`, `survival_function`).
      low: lowest value (an integer-valued float), or None for no lower cutoff.
      high: highest value (an integer-valued float), or None for no upper cutoff.
      validate_args: check parameters and values, raising `ValueError` on bad ones.
      name: a name for this distribution.

    Example:
      >>> from probax.distributions.normal import Normal
      >>> d = QuantizedDistribution(Normal(0., 1.), low=-2., high=2.)
      >>> round(float(d.prob(0.)), 6)  # P[-1 < X <= 0]
      0.341345
      >>> round(float(d.prob(2.)), 6)  # P[X > 1]
      0.158655

    """

    reparameterization_type = NOT_REPARAMETERIZED
    _child_names = ("distribution", "low", "high")

    def __init__(self, distribution, low=None, high=None, validate_args=False, name=None):
        require_distribution(distribution, "QuantizedDistribution")
        if distribution.event_shape:
            raise ValueError(
                "QuantizedDistribution: distribution must have scalar events, got event_shape "
                f"{distribution.event_shape}."
            )
        dtype = distribution.dtype
        if not jnp.issubdtype(dtype, jnp.floating):
            raise ValueError(f"QuantizedDistribution: distribution must be real valued, got dtype {dtype}.")
        low = None if low is None else jnp.asarray(low, dtype)
        high = None if high is None else jnp.asarray(high, dtype)
        super().__init__(distribution=distribution, low=low, high=high, validate_args=validate_args,
                         allow_nan_stats=distribution.allow_nan_stats, name=name)
        if validate_args:
            for argument, bound in (("low", low), ("high", high)):
                if bound is not None:
                    checks.check(bound == jnp.floor(bound),
                                 f"QuantizedDistribution: `{argument}` must be integer valued.")
            if low is not None and high is not None:
                checks.check(low < high, "QuantizedDistribution: `low` must be below `high`.")

    # ------------------------------------------------------------------ shapes
    def _bounds(self) -> list[jax.Array]:
        return [b for b in (self.low, self.high) if b is not None]

    def _batch_shape(self) -> Shape:
        return broadcast_shapes(self.distribution.batch_shape, *(b.shape for b in self._bounds()),
                                what="QuantizedDistribution distribution, low and high")

    def _with_batch_rank(self, rank: int) -> QuantizedDistribution:
        low = None if self.low is None else pad_leading(self.low, rank)
        high = None if self.high is None else pad_leading(self.high, rank)
        return self._replace_parameters(low=low, high=high)

    def _support(self):
        low = -jnp.inf if self.low is None else self.low
        high = jnp.inf if self.high is None else self.high
        return constraints.integer_interval(low, high, "an integer in [low, high]")

    # ------------------------------------------------------------------ cdf and survival of Y
    def _clip_cdf(self, j, value, below, above):
        """`value` (computed from X) replaced by `below` for j < low and by `above` for j >= high."""
        if self.low is not None:
            value = jnp.where(j < self.low, below, value)
        if self.high is not None:
            value = jnp.where(j >= self.high, above, value)
        return value

    def _cdf(self, y):
        j = jnp.floor(y)
        return self._clip_cdf(j, self.distribution.cdf(j), 0.0, 1.0)

    def _log_cdf(self, y):
        j = jnp.floor(y)
        return self._clip_cdf(j, self.distribution.log_cdf(j), -jnp.inf, 0.0)

    def _survival_function(self, y):
        j = jnp.floor(y)
        return self._clip_cdf(j, self.distribution.survival_function(j), 1.0, 0.0)

    def _log_survival_function(self, y):
        j = jnp.floor(y)
        return self._clip_cdf(j, self.distribution.log_survival_function(j), 0.0, -jnp.inf)

    # ------------------------------------------------------------------ mass and sampling
    def _log_prob(self, y):
        y = jnp.floor(y)
        log_cdf_y, log_cdf_before = self._log_cdf(y), self._log_cdf(y - 1)
        log_sf_y, log_sf_before = self._log_survival_function(y), self._log_survival_function(y - 1)
        right_of_median = log_sf_y < log_cdf_y
        return jnp.where(right_of_median, _log_sub_exp(log_sf_before, log_sf_y),
                         _log_sub_exp(log_cdf_y, log_cdf_before))

    def _sample(self, shape, key):
        y = jnp.ceil(draw_broadcast(self.distribution, shape, key))
        if self.low is not None:
            y = jnp.maximum(y, self.low)
        if self.high is not None:
            y = jnp.minimum(y, self.high)
        return y

    def experimental_default_event_space_bijector(self):
        """QuantizedDistribution is discrete: there is no event-space bijector."""
        raise NotImplementedError(
            "QuantizedDistribution is discrete: it has no default event-space bijector."
        )

    # ------------------------------------------------------------------ slicing
    def __getitem__(self, index) -> QuantizedDistribution:
        """Slice the batch dimensions of the distribution and of `low` and `high`."""
        batch_shape = self.batch_shape
        index = expand_batch_index(index, batch_shape, type(self).__name__)
        distribution = slice_part(self.distribution, index, batch_shape)
        low, high = (
            None if b is None else jnp.broadcast_to(b, batch_shape)[index] for b in (self.low, self.high)
        )
        return self._replace_parameters(distribution=distribution, low=low, high=high)
