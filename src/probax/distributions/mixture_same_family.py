"""MixtureSameFamily: a finite mixture whose components are one batched distribution.

p(x) = sum_k w_k p_k(x), with the weights `w` from a Categorical and the K
components taken from the last batch dimension of `components_distribution`.
The helpers at the end (mixture moments, the quantile root search, broadcast-aware
batch slicing of parts) are shared with `Mixture` and `Inflated`.
"""

from __future__ import annotations

import math

import jax
import jax.numpy as jnp
from jax.scipy.linalg import solve_triangular
from jax.scipy.special import logsumexp

from probax._internal.shapes import Shape, broadcast_shapes, expand_batch_index, pad_leading
from probax.distributions.categorical import Categorical
from probax.distributions.composite import CompositeDistribution, require_distribution
from probax.distributions.distribution import (
    FULLY_REPARAMETERIZED,
    NOT_REPARAMETERIZED,
    Distribution,
)
from probax.distributions.independent import Independent
from probax.math.root_search import find_root_chandrupatla


class ScalarMixtureMethods:
    """Log weights and the weighted cdf family and quantile shared by both mixtures.

    Users of this mixin supply `_mixture_logits()` and `_component_values(method, x)`: each
    component's `method(x)` with the component axis last.
    """

    def _log_weights(self, rank: int) -> jax.Array:
        """Normalized log mixture weights, shaped `[1, ...] + mixture batch + [K]` of rank `rank`."""
        return pad_leading(jax.nn.log_softmax(self._mixture_logits(), axis=-1), rank)

    def _require_scalar_event(self, method: str) -> None:
        if self.event_shape:
            raise self._not_implemented(f"{method} (defined for scalar components only)")

    def _weighted_pointwise(self, method: str, x):
        self._require_scalar_event(method)
        values = self._component_values(method, x)
        if method.startswith("log"):
            return logsumexp(values + self._log_weights(values.ndim), axis=-1)
        return jnp.sum(jnp.exp(self._log_weights(values.ndim)) * values, axis=-1)

    def _cdf(self, x):
        return self._weighted_pointwise("cdf", x)

    def _log_cdf(self, x):
        return self._weighted_pointwise("log_cdf", x)

    def _survival_function(self, x):
        return self._weighted_pointwise("survival_function", x)

    def _log_survival_function(self, x):
        return self._weighted_pointwise("log_survival_function", x)

    def _quantile(self, p):
        self._require_scalar_event("quantile")
        return mixture_quantile(self, p, lambda q: self._component_values("quantile", q))


class MixtureSameFamily(ScalarMixtureMethods, CompositeDistribution):
    """Mixture of the K distributions on the last batch axis of `components_distribution`.

    log p(x) = logsumexp_k(log w_k + log p_k(x)). Shapes follow TFP: with
    `components_distribution.batch_shape = B + [K]` and mixture batch shape broadcasting
    with `B`, the mixture has batch shape `B` and the components' event shape.

    Sampling draws one class index per draw and then one draw of the selected component
    only (its parameters are gathered), not K draws. `quantile` (scalar events; TFP has
    none) inverts the cdf by a bracketed root search; `entropy` has no closed form and
    is not provided.

    With `reparameterize=True`, samples carry implicit reparameterization gradients
    (Figurnov et al., 2018): for scalar events dx/dtheta = -(dF/dtheta)(x) / p(x), F the
    mixture cdf; for `Independent` components of scalar distributions, the same rule
    applied to the distributional transform (the conditional cdfs of one coordinate
    given the previous ones), as in TFP. Only first derivatives are supported.

    Args:
      mixture_distribution: a `Categorical` over the K components (batch shape
        broadcasting with `B`).
      components_distribution: a distribution with batch shape `B + [K]`.
      reparameterize: attach implicit reparameterization gradients to samples.
      validate_args: check parameters and values, raising `ValueError` on bad ones.
      allow_nan_stats: return NaN for undefined statistics instead of raising.
      name: a name for this distribution.

    Example:
      >>> from probax.distributions.normal import Normal
      >>> d = MixtureSameFamily(Categorical(probs=[0.3, 0.7]), Normal(jnp.array([-1., 1.]), 0.5))
      >>> d.batch_shape, d.event_shape
      ((), ())
      >>> round(float(d.mean()), 6)
      0.4
      >>> round(float(d.cdf(d.quantile(0.9))), 6)
      0.9

    """

    _child_names = ("mixture_distribution", "components_distribution")
    _static_names = ("reparameterize",)

    def __init__(self, mixture_distribution, components_distribution, reparameterize=False,
                 validate_args=False, allow_nan_stats=True, name=None):
        require_distribution(mixture_distribution, "MixtureSameFamily", "mixture_distribution")
        require_distribution(components_distribution, "MixtureSameFamily", "components_distribution")
        if not hasattr(mixture_distribution, "logits_parameter") or mixture_distribution.event_shape:
            raise ValueError(
                "MixtureSameFamily: mixture_distribution must be a Categorical (scalar events with "
                f"`logits_parameter`), got {type(mixture_distribution).__name__}."
            )
        components_batch = components_distribution.batch_shape
        if not components_batch:
            raise ValueError(
                "MixtureSameFamily: components_distribution must have at least one batch dimension "
                "(the components), got batch_shape ()."
            )
        num_classes = getattr(mixture_distribution, "num_categories", components_batch[-1])
        if num_classes != components_batch[-1]:
            raise ValueError(
                f"MixtureSameFamily: mixture_distribution has {num_classes} classes but "
                f"components_distribution has {components_batch[-1]} components "
                f"(the last of its batch_shape {components_batch})."
            )
        broadcast_shapes(mixture_distribution.batch_shape, components_batch[:-1],
                         what="MixtureSameFamily: mixture and components batch shapes")
        if reparameterize:
            _factorized_scalar_components(components_distribution)
        super().__init__(
            mixture_distribution=mixture_distribution,
            components_distribution=components_distribution,
            reparameterize=bool(reparameterize),
            validate_args=validate_args,
            allow_nan_stats=allow_nan_stats,
            name=name,
        )

    # ------------------------------------------------------------------ shapes
    @property
    def dtype(self):
        """Dtype of the samples: the components'."""
        return self.components_distribution.dtype

    @property
    def reparameterization_type(self):
        """FULLY_REPARAMETERIZED when built with `reparameterize=True`."""
        return FULLY_REPARAMETERIZED if self.reparameterize else NOT_REPARAMETERIZED

    @property
    def num_components(self) -> int:
        """The number of components K."""
        return self.components_distribution.batch_shape[-1]

    def _batch_shape(self) -> Shape:
        return broadcast_shapes(self.mixture_distribution.batch_shape,
                                self.components_distribution.batch_shape[:-1],
                                what="MixtureSameFamily batch shapes")

    def _event_shape(self) -> Shape:
        return self.components_distribution.event_shape

    def _value_as_array(self, value):
        return self.components_distribution._value_as_array(value)

    def _mixture_logits(self) -> jax.Array:
        return self.mixture_distribution.logits_parameter()

    def _component_values(self, method: str, x) -> jax.Array:
        return getattr(self.components_distribution, method)(x[..., None])

    def _with_component_axis(self, x):
        """`x` (ending in the event shape) with a unit component axis before the event dims."""
        return jnp.expand_dims(x, x.ndim - len(self.event_shape))

    # ------------------------------------------------------------------ densities
    def _component_log_probs(self, x):
        """The joint log density log w_k + log p_k(x), with the component axis last."""
        log_probs = self.components_distribution.log_prob(self._with_component_axis(x))
        return log_probs + self._log_weights(log_probs.ndim)

    def _log_prob(self, x):
        return logsumexp(self._component_log_probs(x), axis=-1)

    def posterior_marginal(self, observations) -> Categorical:
        """The posterior over which component produced each observation.

        Args:
          observations: values shaped `sample_shape + batch_shape + event_shape` (broadcasting).

        Returns:
          A `Categorical` with batch shape `sample_shape + batch_shape`.

        """
        value = self._value_as_array(observations)
        _, value, out_shape = self._aligned_with_value(value, "posterior_marginal")
        logits = self._component_log_probs(value)
        return Categorical(logits=jnp.broadcast_to(logits, out_shape + logits.shape[-1:]))

    def posterior_mode(self, observations) -> jax.Array:
        """The most probable component for each observation (int32, shaped like a log_prob)."""
        return self.posterior_marginal(observations).mode()

    # ------------------------------------------------------------------ sampling
    def _broadcast_mixture(self) -> Categorical:
        logits = self.mixture_distribution.logits_parameter()
        full = self.batch_shape + logits.shape[-1:]
        return Categorical(logits=jnp.broadcast_to(pad_leading(logits, len(full)), full))

    def _sample(self, shape, key):
        mixture_key, component_key = jax.random.split(key)
        sample_shape = shape[: len(shape) - len(self.batch_shape)]
        index = self._broadcast_mixture().sample(sample_shape, seed=mixture_key)
        if _gatherable(self.components_distribution):
            x = self._sample_selected(index, component_key)
        else:
            x = self._sample_all_and_select(index, component_key)
        if self.reparameterize:
            x = _with_implicit_gradient(self, x)
        return x

    def _sample_selected(self, index, key):
        """One draw per mixture draw, from the component its class index selects (parameters gathered)."""
        components = self.components_distribution
        component_batch = components.batch_shape[:-1]
        lead = index.ndim - len(component_batch)
        positions = tuple(
            jnp.arange(size).reshape((1,) * (lead + i) + (size,) + (1,) * (len(component_batch) - i - 1))
            if size > 1 else jnp.zeros((1,) * index.ndim, jnp.int32)
            for i, size in enumerate(component_batch)
        )
        return components[(*positions, index)].sample(seed=key)

    def _sample_all_and_select(self, index, key):
        """Draw every component, then keep the selected one (for components that cannot be gathered)."""
        event_rank = len(self.event_shape)
        draws = draw_broadcast(self.components_distribution, (*index.shape, self.num_components), key)
        index = index.reshape(index.shape + (1,) * (event_rank + 1))
        return jnp.take_along_axis(draws, index, axis=index.ndim - event_rank - 1)[
            (..., 0) + (slice(None),) * event_rank
        ]

    # ------------------------------------------------------------------ summaries
    def _weights_and_moments(self, *methods: str):
        """Mixture weights and the components' `methods`, aligned to one rank with K before the event."""
        values = [getattr(self.components_distribution, m)() for m in methods]
        event_rank = len(self.event_shape)
        logits_rank = self.mixture_distribution.logits_parameter().ndim
        rank = max(logits_rank + event_rank, *(v.ndim for v in values))
        weights = jnp.exp(self._log_weights(rank - event_rank))
        weights = weights.reshape(weights.shape + (1,) * event_rank)
        return weights, [pad_leading(v, rank) for v in values]

    def _mean(self):
        weights, (means,) = self._weights_and_moments("mean")
        return jnp.sum(weights * means, axis=-1 - len(self.event_shape))

    def _variance(self):
        weights, (means, variances) = self._weights_and_moments("mean", "variance")
        return total_variance(weights, means, variances, axis=-1 - len(self.event_shape))

    def covariance(self) -> jax.Array:
        """Covariance of vector events by the law of total covariance.

        Shaped `batch_shape + event_shape + event_shape`.
        """
        if len(self.event_shape) != 1:
            raise self._not_implemented("covariance (defined for vector events)")
        weights, (means,) = self._weights_and_moments("mean")
        covariances = self.components_distribution.covariance()
        rank = max(means.ndim, covariances.ndim - 1)
        weights, means = pad_leading(weights, rank), pad_leading(means, rank)
        covariances = pad_leading(covariances, rank + 1)
        mean = jnp.sum(weights * means, axis=-2, keepdims=True)
        centered = means - mean
        outer = centered[..., :, None] * centered[..., None, :]
        result = jnp.sum(weights[..., None] * (covariances + outer), axis=-3)
        return jnp.broadcast_to(result, self.batch_shape + self.event_shape * 2)

    def experimental_default_event_space_bijector(self):
        """The components' event-space bijector (every component shares the support)."""
        return self.components_distribution.experimental_default_event_space_bijector()

    # ------------------------------------------------------------------ slicing
    def __getitem__(self, index) -> MixtureSameFamily:
        """Slice the batch dimensions (the component axis is kept whole)."""
        batch_shape = self.batch_shape
        index = expand_batch_index(index, batch_shape, type(self).__name__)
        components = self.components_distribution
        mixture = slice_part(self.mixture_distribution, index, batch_shape)
        components = slice_part(components, (*index, slice(None)), (*batch_shape, self.num_components))
        return self._tree_unflatten(self._tree_flatten()[1], (mixture, components))


# ---------------------------------------------------------------------- shared helpers
def total_variance(weights, means, variances, axis: int) -> jax.Array:
    """Var = E[Var | k] + Var(E[X | k]) over the component `axis` (law of total variance).

    Example:
      >>> w = jnp.array([0.5, 0.5])
      >>> float(total_variance(w, jnp.array([-1., 1.]), jnp.array([1., 1.]), axis=-1))
      2.0

    """
    mean = jnp.sum(weights * means, axis=axis, keepdims=True)
    return jnp.sum(weights * (variances + jnp.square(means - mean)), axis=axis)


def mixture_quantile(dist: Distribution, p, component_quantiles) -> jax.Array:
    """Quantiles of a scalar mixture by a bracketed root search on its log cdf (or log survival).

    Every component's p-quantile lies on one side of the mixture's, so the smallest and
    largest of them bracket it exactly (for continuous components). Below the median the
    search solves log F(x) = log p, above it log S(x) = log(1 - p), so far tails keep
    their relative precision. Gradients flow implicitly through the root.

    Args:
      dist: the mixture (implements `_log_cdf` and `_log_survival_function` on aligned values).
      p: probabilities in [0, 1], rank-aligned with `dist`'s batch.
      component_quantiles: maps `p` to the components' quantiles, component axis last.

    Returns:
      The quantiles, shaped like `p` broadcast with the batch.

    """
    lower_tail = p <= 0.5
    inside = (p > 0) & (p < 1)
    safe_p = jnp.where(inside, p, 0.5)
    try:
        per_component = component_quantiles(p)
        low, high = jnp.min(per_component, axis=-1), jnp.max(per_component, axis=-1)
        safe = component_quantiles(safe_p)
        safe_low, safe_high = jnp.min(safe, axis=-1), jnp.max(safe, axis=-1)
    except NotImplementedError:
        safe_low, safe_high = _expanding_bracket(dist, safe_p)
        low = jnp.where(p <= 0, -jnp.inf, safe_low)
        high = jnp.where(p >= 1, jnp.inf, safe_high)
    log_p, log_q = jnp.log(safe_p), jnp.log1p(-safe_p)

    def objective(x):
        # Both branches increase with x; the root is where the mixture's cdf equals p.
        return jnp.where(lower_tail, dist._log_cdf(x) - log_p, log_q - dist._log_survival_function(x))

    root = find_root_chandrupatla(objective, safe_low, safe_high)
    return jnp.where(p <= 0, low, jnp.where(p >= 1, high, root))


def _expanding_bracket(dist: Distribution, p, max_doublings: int = 200):
    """A bracket [low, high] with cdf(low) <= p <= cdf(high), found by doubling a unit interval."""
    zero = jnp.zeros_like(p)

    def needs_widening(state):
        low, high, _width, step = state
        unbracketed = (dist._cdf(low) > p) | (dist._cdf(high) < p)
        return jnp.any(unbracketed) & (step < max_doublings)

    def widen(state):
        low, high, width, step = state
        low = jnp.where(dist._cdf(low) > p, low - width, low)
        high = jnp.where(dist._cdf(high) < p, high + width, high)
        return low, high, 2 * width, step + 1

    low, high, _, _ = jax.lax.while_loop(needs_widening, widen, (zero - 1, zero + 1, zero + 1, 0))
    return low, high


def draw_broadcast(dist: Distribution, shape: Shape, key) -> jax.Array:
    """Independent draws of `dist` shaped `shape + event_shape`, its batch broadcast to `shape`'s tail.

    Batch dims where `dist` has size 1 but `shape` does not get their own draws (drawn as
    extra sample dims, then moved into place), rather than one draw repeated.

    Example:
      >>> from probax.distributions.normal import Normal
      >>> x = draw_broadcast(Normal(jnp.zeros([1, 3]), 1.), (5, 2, 3), jax.random.key(0))
      >>> x.shape, bool(x[0, 0, 0] != x[0, 1, 0])
      ((5, 2, 3), True)

    """
    batch = dist.batch_shape
    lead = len(shape) - len(batch)
    widened = [i for i, size in enumerate(batch) if size == 1 and shape[lead + i] != 1]
    extra = tuple(shape[lead + i] for i in widened)
    draws = dist.sample(shape[:lead] + extra, seed=key)
    draws = jnp.squeeze(draws, axis=tuple(lead + len(extra) + i for i in widened))
    return jnp.moveaxis(draws, tuple(range(lead, lead + len(extra))), tuple(lead + i for i in widened))


def slice_part(part: Distribution, index: tuple, batch_shape: Shape) -> Distribution:
    """Slice `part` (whose batch shape broadcasts to `batch_shape`) by an index over `batch_shape`.

    `index` comes from `expand_batch_index` for `batch_shape`. Dims the part lacks (leading)
    are skipped, and dims where the part has size 1 but the batch does not are kept at size 1
    (or indexed at 0), so the sliced part still broadcasts to the sliced batch.

    Example:
      >>> from probax.distributions.normal import Normal
      >>> slice_part(Normal(jnp.zeros(3), 1.), (0, slice(None)), (2, 3)).batch_shape
      (3,)

    """
    part_shape = part.batch_shape
    lead = len(batch_shape) - len(part_shape)
    converted, dim = [], 0
    for entry in index:
        if entry is None:
            if dim >= lead:
                converted.append(None)
            continue
        if dim >= lead:
            if part_shape[dim - lead] == 1 and batch_shape[dim] != 1:
                entry = slice(None) if isinstance(entry, slice) else jnp.zeros_like(jnp.asarray(entry))
            converted.append(entry)
        dim += 1
    return part[tuple(converted)] if converted else part


def _gatherable(dist: Distribution) -> bool:
    """Whether `dist[index_arrays]` gathers batch members (the base class's slicing does)."""
    if isinstance(dist, Independent):
        return _gatherable(dist.distribution)
    return type(dist).__getitem__ is Distribution.__getitem__


def _factorized_scalar_components(components: Distribution) -> Distribution:
    """The scalar distribution whose coordinates make up each component (for reparameterization)."""
    if components.event_shape == ():
        return components
    if isinstance(components, Independent) and components.distribution.event_shape == ():
        return components.distribution
    raise NotImplementedError(
        "MixtureSameFamily(reparameterize=True) supports scalar components and Independent "
        f"components of scalar distributions, got {type(components).__name__} with event_shape "
        f"{components.event_shape}."
    )


def _distributional_transform(mixture: MixtureSameFamily, x):
    """Per coordinate, the mixture's cdf of x_i given x_1..x_{i-1} (coordinates flattened).

    With factorized components, F(x_i | x_<i) = sum_k w_ik F_k(x_i), where the posterior
    weights w_ik are proportional to w_k prod_{j<i} p_k(x_j).
    """
    event_shape = mixture.event_shape
    scalars = _factorized_scalar_components(mixture.components_distribution)
    padded = mixture._with_component_axis(x)
    log_probs, cdfs = scalars.log_prob(padded), scalars.cdf(padded)
    size = math.prod(event_shape)
    flat = (*log_probs.shape[:log_probs.ndim - len(event_shape)], size)
    log_probs, cdfs = log_probs.reshape(flat), cdfs.reshape(flat)
    # Exclusive cumulative sum (subtracting log_probs would turn -inf into NaN).
    previous = jnp.cumsum(log_probs, axis=-1)
    previous = jnp.concatenate([jnp.zeros_like(previous[..., :1]), previous[..., :-1]], axis=-1)
    log_weights = mixture._log_weights(previous.ndim - 1)[..., None] + previous
    weights = jax.nn.softmax(log_weights, axis=-2)
    return jnp.sum(weights * cdfs, axis=-2)


def _with_implicit_gradient(mixture: MixtureSameFamily, x):
    """`x`, whose derivatives w.r.t. the mixture's parameters follow the implicit rule."""

    @jax.custom_jvp
    def reparameterized(dist, draws):
        return draws

    @reparameterized.defjvp
    def _jvp(primals, tangents):
        dist, draws = primals
        dist_dot, _ = tangents
        transform, transform_dot = jax.jvp(
            lambda d: _distributional_transform(d, draws), (dist,), (dist_dot,)
        )
        event_shape = dist.event_shape
        if event_shape == ():
            density = jnp.exp(dist.log_prob(draws))
            slope = transform_dot[..., 0] / jnp.where(density > 0, density, 1.0)
            return draws, jnp.where(density > 0, -slope, 0.0)
        size = transform.shape[-1]
        flat = draws.reshape(transform.shape)

        def column(unit):
            tangent = jnp.broadcast_to(unit, flat.shape).reshape(draws.shape)
            return jax.jvp(lambda v: _distributional_transform(dist, v), (draws,), (tangent,))[1]

        # The Jacobian of the transform in x is lower triangular: coordinate i sees only x_<=i.
        jacobian = jnp.moveaxis(jax.vmap(column)(jnp.eye(size, dtype=flat.dtype)), 0, -1)
        solved = solve_triangular(jacobian, transform_dot[..., None], lower=True)[..., 0]
        return draws, -solved.reshape(draws.shape)

    return reparameterized(mixture, jax.lax.stop_gradient(x))
