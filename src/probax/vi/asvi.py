"""ASVI: automatic structured variational inference, surrogates shaped like the prior's graph.

Ambrogioni et al. (2021) build the surrogate from the prior itself: the surrogate runs the
prior's model, and each latent node `z_i ~ p(z_i | parents)` becomes a node of the same
family whose parameters are, per parameter `theta`,

    theta_q = w * theta_prior(surrogate's parent draws) + (1 - w) * theta_free,

with a learned prior weight `w` in (0, 1) and a free value `theta_free` (TFP's
`tfp.experimental.vi.build_asvi_surrogate_posterior`). The surrogate thus inherits the
prior's dependencies (a child's location follows its parent's draw), which a mean-field
surrogate cannot. The rule applies to families with real, positive or unit-interval scalar
parameters and a support that does not move with them (Normal, LogNormal, Gamma, Beta,
Exponential, HalfNormal, StudentT, ...), also inside `Independent`. Every other node gets a
mean-field Normal on its unconstrained coordinates pushed through its own event-space
bijector (built from the parent draws, so parent-dependent supports are respected).
"""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Any

import jax
import jax.numpy as jnp

from probax._internal.prng import as_key
from probax._internal.shapes import as_shape, broadcast_sum
from probax.bijectors.sigmoid import Sigmoid
from probax.bijectors.softplus import Softplus
from probax.distributions import constraints
from probax.distributions.beta import Beta
from probax.distributions.distribution import Distribution
from probax.distributions.exponential import Exponential
from probax.distributions.gamma import Gamma
from probax.distributions.half_normal import HalfNormal
from probax.distributions.independent import Independent
from probax.distributions.joint_distribution import JointDistribution
from probax.distributions.joint_distribution_pinned import JointDistributionPinned
from probax.distributions.laplace import Laplace
from probax.distributions.log_normal import LogNormal
from probax.distributions.normal import Normal
from probax.distributions.student_t import StudentT
from probax.distributions.transformed_distribution import TransformedDistribution
from probax.vi.trainable import Trainable

# Families whose support does not depend on their parameters, all scalar and real, positive
# or in the unit interval: a convex combination of two valid parameter sets is valid.
STRUCTURED_FAMILIES = (Normal, LogNormal, Gamma, Beta, Exponential, HalfNormal, StudentT, Laplace)


def _parameter_bijector(constraint):
    """The map from the reals onto a parameter's constraint set, or None for an unsupported set."""
    if constraint is constraints.real:
        return None
    if constraint is constraints.positive:
        return Softplus()
    if constraint in (constraints.unit_interval, constraints.open_unit_interval):
        return Sigmoid()
    raise NotImplementedError


def _structured_parameters(distribution: Distribution) -> dict | None:
    """`{name: (value, bijector or None)}` of a family the ASVI rule covers, else None."""
    if not isinstance(distribution, STRUCTURED_FAMILIES):
        return None
    parameters = {}
    for name, (value, properties) in distribution._present_parameters().items():
        if properties.event_ndims or not jnp.issubdtype(value.dtype, jnp.floating):
            return None
        try:
            parameters[name] = (value, _parameter_bijector(properties.constraint))
        except NotImplementedError:
            return None
    return parameters


def _innermost(distribution: Distribution):
    """The distribution under any `Independent` wrappers, and how to put the wrappers back."""
    if isinstance(distribution, Independent):
        inner, wrap = _innermost(distribution.distribution)
        ndims = distribution.reinterpreted_batch_ndims
        return inner, lambda d: Independent(wrap(d), ndims)
    return distribution, lambda d: d


def _node_kind(distribution: Distribution) -> str:
    inner, _ = _innermost(distribution)
    return "structured" if _structured_parameters(inner) is not None else "fallback"


def _unconstrained_event_shape(distribution: Distribution):
    bijector = distribution.experimental_default_event_space_bijector()
    return tuple(bijector.inverse_event_shape(distribution.event_shape)), bijector


def _initial_node_params(distribution, draw, prior_weight_logit, mean_field: bool, dtype) -> dict:
    """A node's trainable parameters, starting at the prior's parameters (at the parents' prior draws)."""
    batch = tuple(distribution.batch_shape)
    if _node_kind(distribution) == "fallback":
        shape, bijector = _unconstrained_event_shape(distribution)
        loc = bijector.inverse(draw).astype(dtype)
        return {"loc": jnp.broadcast_to(loc, batch + shape), "scale": jnp.full(batch + shape, -2.0, dtype)}
    inner, _ = _innermost(distribution)
    inner_batch = tuple(inner.batch_shape)
    free = {}
    for name, (value, bijector) in _structured_parameters(inner).items():
        value = jnp.broadcast_to(value, inner_batch).astype(dtype)
        free[name] = value if bijector is None else bijector.inverse(value)
    if mean_field:
        return {"free": free}
    return {"free": free, "prior_weight": {k: jnp.full(inner_batch, prior_weight_logit, dtype) for k in free}}


def _surrogate_node(distribution: Distribution, params: dict) -> Distribution:
    """The surrogate of one node, from the prior node (built from the surrogate's parent draws)."""
    if "loc" in params:  # a fallback node
        shape, bijector = _unconstrained_event_shape(distribution)
        base = Normal(params["loc"], jax.nn.softplus(params["scale"]))
        if shape:
            base = Independent(base, len(shape))
        return TransformedDistribution(base, bijector)
    inner, wrap = _innermost(distribution)
    mixed = {}
    for name, (prior_value, bijector) in _structured_parameters(inner).items():
        free = params["free"][name]
        free = free if bijector is None else bijector.forward(free)
        if "prior_weight" in params:
            weight = jax.nn.sigmoid(params["prior_weight"][name])
            rank = max(prior_value.ndim, free.ndim)
            prior_value, free, weight = (_pad(v, rank) for v in (prior_value, free, weight))
            free = weight * prior_value + (1 - weight) * free
        mixed[name] = free
    return wrap(inner.copy(**mixed))


def _pad(value: jax.Array, rank: int) -> jax.Array:
    return value.reshape((1,) * (rank - value.ndim) + value.shape)


def _model_and_pins(prior, caller: str):
    if isinstance(prior, JointDistributionPinned):
        return prior.distribution, prior.pins
    if isinstance(prior, JointDistribution):
        return prior, (None,) * len(prior._part_names())
    raise TypeError(
        f"{caller}: prior must be a JointDistribution (Sequential, Named or Coroutine) or a pinned one, "
        f"got {type(prior).__name__}."
    )


class ASVISurrogatePosterior:
    """The ASVI surrogate: the prior's model run with every free node replaced by its surrogate node.

    Built by `build_asvi_surrogate_posterior`; draws and values have the structure of the
    prior's free parts (a dict for Named, a list for Sequential, a named tuple for Coroutine).

    Args:
      model: the prior JointDistribution.
      pins: per part, its pinned value, or None for a free (latent) part.
      params: `{part name: node parameters}` for the free parts.
      batch_shapes: `(part name, the node's own batch shape)` pairs (without sample dimensions).

    Example:
      >>> from probax.distributions import JointDistributionNamed, Gamma, Normal
      >>> model = JointDistributionNamed(dict(s=Gamma(2., 2.), x=lambda s: Normal(0., s)))
      >>> q = build_asvi_surrogate_posterior(model, seed=0).build()
      >>> draws, log_q = q.sample_and_log_prob(3, seed=1)
      >>> draws['x'].shape, bool(jnp.allclose(q.log_prob(draws), log_q))
      ((3,), True)

    """

    def __init__(self, model: JointDistribution, pins: tuple, params: dict, batch_shapes: tuple):
        self.model, self.pins, self.params, self.batch_shapes = model, pins, params, batch_shapes

    def __repr__(self) -> str:
        return f"<probax.vi.ASVISurrogatePosterior over {sorted(self.params)}>"

    def _names(self) -> tuple[str, ...]:
        return self.model._part_names()

    def _run(self, choose: Callable[[int, str, Distribution], Any]) -> tuple[Any, jax.Array]:
        """Run the model; `choose(index, name, surrogate node)` gives each free part's value."""
        names = self._names()
        values, log_probs = [], []

        def chooser(index, distribution, is_root):
            if self.pins[index] is not None:
                return jnp.asarray(self.pins[index], distribution.dtype)
            node = _surrogate_node(distribution, self.params[names[index]])
            value = choose(index, names[index], node)
            values.append(value)
            log_probs.append(node.log_prob(value))
            return value

        self.model._execute(chooser)
        free_names = [n for n, pin in zip(names, self.pins, strict=True) if pin is None]
        return self.model._pack(values, free_names), broadcast_sum(log_probs)

    def sample_and_log_prob(self, sample_shape=(), seed=None):
        """Draws of the free parts and their log density under the surrogate, in one run."""
        key = as_key(seed, "ASVISurrogatePosterior.sample")
        shape = as_shape(sample_shape, "sample_shape")

        def draw(index, name, node):
            # A node that does not carry the sample dimensions yet (a root, a mean-field node) gets them here.
            carried = tuple(node.batch_shape) == shape + dict(self.batch_shapes)[name]
            return node.sample(() if carried else shape, seed=jax.random.fold_in(key, index))

        return self._run(draw)

    experimental_sample_and_log_prob = sample_and_log_prob

    def sample(self, sample_shape=(), seed=None):
        """Draws of the free parts (leading dimensions `sample_shape`)."""
        return self.sample_and_log_prob(sample_shape, seed)[0]

    def log_prob(self, *args, **kwargs) -> jax.Array:
        """Log density of values of the free parts (one structure, positionals, or by name)."""
        free_names = [n for n, pin in zip(self._names(), self.pins, strict=True) if pin is None]
        flat = dict(zip(free_names, self.model._flat_values(args, kwargs, "log_prob", names=free_names),
                        strict=True))
        return self._run(lambda index, name, node: jnp.asarray(flat[name], node.dtype))[1]

    def unnormalized_log_prob(self, *args, **kwargs) -> jax.Array:
        """The same as `log_prob`."""
        return self.log_prob(*args, **kwargs)


jax.tree_util.register_pytree_node(
    ASVISurrogatePosterior,
    lambda s: ((s.model, s.pins, s.params), s.batch_shapes),
    lambda batch_shapes, children: ASVISurrogatePosterior(*children, batch_shapes),
)


def build_asvi_surrogate_posterior(
    prior, mean_field: bool = False, initial_prior_weight: float = 0.5, seed=None
) -> Trainable:
    """An ASVI surrogate posterior for a JointDistribution prior (see the module docstring).

    Args:
      prior: a JointDistribution (every part latent) or a pinned one (the observed parts
        pinned; the surrogate covers the free parts and reads the pins where the model uses them).
      mean_field: drop the prior dependence (`w = 0`): independent nodes of the prior's families.
      initial_prior_weight: the initial `w` of every parameter, in (0, 1).
      seed: a `jax.random` key or an int: the parents' prior draws that the free parameters
        start from (root nodes start exactly at the prior).

    Returns:
      A `Trainable` whose params are `{part name: node params}`: for a structured node
      `{'free': {parameter: unconstrained value}, 'prior_weight': {parameter: logit of w}}`,
      for a fallback node `{'loc', 'scale'}` (the scale before a softplus).

    Example:
      >>> import optax
      >>> from probax.distributions import JointDistributionNamed, Normal
      >>> from probax.vi.fit import fit_surrogate_posterior
      >>> from probax.vi.variational_loss import GradientEstimators
      >>> model = JointDistributionNamed(dict(mu=Normal(0., 1.), y=lambda mu: Normal(mu, 1.)))
      >>> posterior = model.experimental_pin(y=2.)
      >>> q, _ = fit_surrogate_posterior(
      ...     posterior.unnormalized_log_prob, build_asvi_surrogate_posterior(posterior, seed=0),
      ...     optax.adam(0.05), num_steps=400, sample_size=8, seed=0, verbose=False,
      ...     gradient_estimator=GradientEstimators.DOUBLY_REPARAMETERIZED)
      >>> draws = q.sample(20_000, seed=1)['mu']  # exact posterior: Normal(1, 1/sqrt(2))
      >>> round(float(draws.mean()), 1), round(float(draws.std()), 2)
      (1.0, 0.71)

    """
    caller = "build_asvi_surrogate_posterior"
    model, pins = _model_and_pins(prior, caller)
    weight = float(initial_prior_weight)
    if not 0.0 < weight < 1.0:
        raise ValueError(f"{caller}: initial_prior_weight must lie in (0, 1), got {initial_prior_weight!r}.")
    key = as_key(seed, caller)
    names = model._part_names()
    params, batch_shapes = {}, []

    def chooser(index, distribution, is_root):
        if pins[index] is not None:
            return jnp.asarray(pins[index], distribution.dtype)
        draw = distribution.sample(seed=jax.random.fold_in(key, index))
        dtype = distribution.dtype if jnp.issubdtype(distribution.dtype, jnp.floating) else float
        params[names[index]] = _initial_node_params(
            distribution, draw, math.log(weight / (1 - weight)), mean_field, jnp.dtype(dtype)
        )
        batch_shapes.append((names[index], tuple(distribution.batch_shape)))
        return draw

    model._execute(chooser)

    def build(p):
        return ASVISurrogatePosterior(model, pins, p, tuple(batch_shapes))

    return Trainable(build, params)
