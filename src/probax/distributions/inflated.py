"""Inflated: a distribution with extra probability mass at one point (e.g. zero inflation)."""

from __future__ import annotations

import jax
import jax.numpy as jnp

from probax._internal import threefry
from probax._internal.dtypes import common_float_dtype
from probax._internal.shapes import Shape, broadcast_shapes, expand_batch_index, pad_leading
from probax.distributions import constraints
from probax.distributions.composite import require_distribution
from probax.distributions.distribution import NOT_REPARAMETERIZED, Distribution, ParameterProperties
from probax.distributions.empirical import Empirical
from probax.distributions.finite_discrete import FiniteDiscrete
from probax.distributions.mixture_same_family import draw_broadcast, slice_part
from probax.distributions.parameterization import exactly_one

_PARAMETERS = ("inflated_loc_logits", "inflated_loc_probs", "inflated_loc", "inflated_loc_atol",
               "inflated_loc_rtol")


def is_discrete(distribution: Distribution) -> bool:
    """Whether `distribution` puts its mass on isolated points (so its log_prob is a log mass).

    Example:
      >>> from probax.distributions.poisson import Poisson
      >>> is_discrete(Poisson(3.))
      True

    """
    if isinstance(distribution, Empirical | FiniteDiscrete):
        return True
    return isinstance(distribution._support(), constraints.IntegerInterval)


class Inflated(Distribution):
    """A mixture of a point mass at `inflated_loc` (weight p) and `distribution` (weight 1 - p).

    For a discrete `distribution`, P[X = x] = p 1[x = loc] + (1 - p) P_d[X = x] (so zero
    inflation of a Poisson adds p to P[X = 0]). For a continuous one, as in TFP, the
    log_prob mixes units the censored way: log p at the point and log(1 - p) + log p_d(x)
    elsewhere, with gradients kept finite at the point. A value counts as `inflated_loc`
    when |x - loc| <= atol + rtol |loc|.

    `inflated_loc_logits` are the log-odds of p, p = sigmoid(logits), as TFP documents them
    (TFP's code uses sigmoid(2 logits)).

    Args:
      distribution: a scalar distribution (discrete for a proper mass function).
      inflated_loc_logits: log-odds of the point mass's weight p.
      inflated_loc_probs: the weight p in [0, 1]. Give exactly one of the two.
      inflated_loc: where the point mass sits (default 0).
      inflated_loc_atol: non-negative absolute tolerance for matching the point (default 0).
      inflated_loc_rtol: non-negative relative tolerance for matching the point (default 0).
      validate_args: check parameters and values, raising `ValueError` on bad ones.
      allow_nan_stats: return NaN for undefined statistics instead of raising.
      name: a name for this distribution.

    Example:
      >>> from probax.distributions.poisson import Poisson
      >>> d = Inflated(Poisson(2.), inflated_loc_probs=0.3)
      >>> round(float(d.prob(0.)), 6)  # 0.3 + 0.7 exp(-2)
      0.394735
      >>> round(float(d.mean()), 6)
      1.4

    """

    reparameterization_type = NOT_REPARAMETERIZED
    _child_names = ("distribution",)

    def __init__(self, distribution, inflated_loc_logits=None, inflated_loc_probs=None, inflated_loc=0.0,
                 inflated_loc_atol=None, inflated_loc_rtol=None, validate_args=False, allow_nan_stats=True,
                 name=None):
        exactly_one("Inflated", inflated_loc_logits=inflated_loc_logits,
                    inflated_loc_probs=inflated_loc_probs)
        require_distribution(distribution, "Inflated")
        if distribution.event_shape:
            raise ValueError(
                f"Inflated: distribution must have scalar events, got event_shape {distribution.event_shape}."
            )
        values = dict(zip(_PARAMETERS, (inflated_loc_logits, inflated_loc_probs, inflated_loc,
                                        inflated_loc_atol, inflated_loc_rtol), strict=True))
        hint = distribution.dtype if jnp.issubdtype(distribution.dtype, jnp.floating) else None
        dtype = common_float_dtype(*values.values(), dtype_hint=hint)
        values = {k: None if v is None else jnp.asarray(v, dtype) for k, v in values.items()}
        super().__init__(distribution=distribution, **values, validate_args=validate_args,
                         allow_nan_stats=allow_nan_stats, name=name)

    @classmethod
    def _parameter_properties(cls):
        return dict(
            inflated_loc_logits=ParameterProperties(constraint=constraints.real),
            inflated_loc_probs=ParameterProperties(constraint=constraints.unit_interval),
            inflated_loc=ParameterProperties(constraint=constraints.real),
            inflated_loc_atol=ParameterProperties(constraint=constraints.nonnegative),
            inflated_loc_rtol=ParameterProperties(constraint=constraints.nonnegative),
        )

    # ------------------------------------------------------------------ shapes
    def _batch_shape(self) -> Shape:
        return broadcast_shapes(super()._batch_shape(), self.distribution.batch_shape,
                                what="Inflated parameters and distribution")

    def _value_as_array(self, value):
        return self.distribution._value_as_array(value)

    def __getitem__(self, index) -> Inflated:
        """Slice the batch dimensions of the parameters and of the distribution."""
        batch_shape = self.batch_shape
        index = expand_batch_index(index, batch_shape, type(self).__name__)
        sliced = super().__getitem__(index)
        return sliced._replace_parameters(distribution=slice_part(self.distribution, index, batch_shape))

    # ------------------------------------------------------------------ the point mass
    def _log_weights(self) -> tuple[jax.Array, jax.Array]:
        """(log p, log(1 - p)), each computed directly from the given parameter."""
        if self.inflated_loc_logits is not None:
            logits = self.inflated_loc_logits
            return jax.nn.log_sigmoid(logits), jax.nn.log_sigmoid(-logits)
        probs = self.inflated_loc_probs
        return jnp.log(probs), jnp.log1p(-probs)

    def _slack(self):
        slack = jnp.zeros_like(self.inflated_loc)
        if self.inflated_loc_atol is not None:
            slack = slack + self.inflated_loc_atol
        if self.inflated_loc_rtol is not None:
            slack = slack + self.inflated_loc_rtol * jnp.abs(self.inflated_loc)
        return slack

    def _at_loc(self, x):
        return jnp.abs(x - self.inflated_loc) <= self._slack()

    # ------------------------------------------------------------------ densities
    def _log_prob(self, x):
        log_p, log_q = self._log_weights()
        at_loc = self._at_loc(x)
        if is_discrete(self.distribution):
            point = jnp.where(at_loc, log_p, -jnp.inf)
            return jnp.logaddexp(point, log_q + self.distribution.log_prob(x))
        # Evaluate the continuous part away from the point, where its log_prob (and gradient) may
        # be infinite or NaN: a draw from it is a safe stand-in (cf. TFP).
        stand_in = pad_leading(self.distribution.sample(seed=jax.random.key(0)), x.ndim)
        safe_x = jnp.where(at_loc, stand_in, x)
        return jnp.where(at_loc, log_p, log_q + self.distribution.log_prob(safe_x))

    def _below_loc(self, x):
        """Whether the point mass is at or below x (it counts toward cdf(x))."""
        return x >= self.inflated_loc - self._slack()

    def _log_cdf(self, x):
        log_p, log_q = self._log_weights()
        point = jnp.where(self._below_loc(x), log_p, -jnp.inf)
        return jnp.logaddexp(point, log_q + self.distribution.log_cdf(x))

    def _cdf(self, x):
        log_p, log_q = self._log_weights()
        point = jnp.where(self._below_loc(x), jnp.exp(log_p), 0.0)
        return point + jnp.exp(log_q) * self.distribution.cdf(x)

    def _log_survival_function(self, x):
        log_p, log_q = self._log_weights()
        point = jnp.where(self._below_loc(x), -jnp.inf, log_p)
        return jnp.logaddexp(point, log_q + self.distribution.log_survival_function(x))

    def _survival_function(self, x):
        log_p, log_q = self._log_weights()
        point = jnp.where(self._below_loc(x), 0.0, jnp.exp(log_p))
        return point + jnp.exp(log_q) * self.distribution.survival_function(x)

    # ------------------------------------------------------------------ sampling and summaries
    def _sample(self, shape, key):
        point_key, draw_key = jax.random.split(key)
        log_p, _ = self._log_weights()
        inflated = jnp.log(threefry.uniform(point_key, shape, log_p.dtype)) < log_p
        draws = draw_broadcast(self.distribution, shape, draw_key)
        return jnp.where(inflated, self.inflated_loc, draws).astype(self.dtype)

    def _mean(self):
        log_p, log_q = self._log_weights()
        mean = pad_leading(self.distribution.mean(), log_p.ndim)
        return jnp.exp(log_p) * self.inflated_loc + jnp.exp(log_q) * mean

    def _variance(self):
        log_p, log_q = self._log_weights()
        p, q = jnp.exp(log_p), jnp.exp(log_q)
        mean = pad_leading(self.distribution.mean(), p.ndim)
        variance = pad_leading(self.distribution.variance(), p.ndim)
        # Law of total variance over the two parts (the point has no spread).
        return q * variance + p * q * jnp.square(mean - self.inflated_loc)

    def entropy_lower_bound(self) -> jax.Array:
        """(1 - p) H[distribution], TFP's mixture bound (the point mass has entropy 0)."""
        rank = len(self.batch_shape)
        _, log_q = self._with_batch_rank(rank)._log_weights()
        entropy = pad_leading(self.distribution.entropy(), rank)
        return jnp.broadcast_to(jnp.exp(log_q) * entropy, self.batch_shape)

    def experimental_default_event_space_bijector(self):
        """A point mass inside a distribution has no bijection onto its support."""
        raise NotImplementedError("Inflated mixes a point mass in: it has no default event-space bijector.")
