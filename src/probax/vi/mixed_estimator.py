"""Per-part gradient estimators: reparameterization for smooth parts, score function for the rest.

A target can be smooth in some latent parts and piecewise constant in others (a changepoint's
location, a threshold, anything rounded or compared): there a reparameterization gradient is
exactly zero and says nothing about where the mass should move. `MixedGradientEstimator`
keeps reparameterized draws for the smooth parts and treats the named parts by the score
function, as Pyro's TraceGraph ELBO does per site. For a mean-field surrogate
`q(x) = q_R(x_R) q_S(x_S)` on the unconstrained coordinates,

    grad E_q[f] = E[grad_pathwise f(x_R(eps), x_S)] + E[(f - b) grad log q_S(x_S)],

with `x_S` held fixed in the first term and `b` the leave-one-out mean of the other draws'
`f` (so the estimator stays unbiased). The identity needs `q` to factor between the two
groups, so the surrogate must be a mean-field one (`build_factored_surrogate_posterior`).
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable

import jax
import jax.numpy as jnp

from probax.distributions.multivariate_normal_diag import MultivariateNormalDiag
from probax.distributions.normal import Normal
from probax.vi import _target
from probax.vi.surrogate_distribution import SurrogatePosterior


@dataclasses.dataclass(frozen=True)
class MixedGradientEstimator:
    """Score-function gradients for the parts `score_function_parts`, reparameterization for the others.

    Pass it as `gradient_estimator=` to `monte_carlo_variational_loss` or
    `fit_surrogate_posterior`. Parts are named as in the surrogate's structure: dict keys (a
    `JointDistributionNamed`), field names (a named tuple) or positions (a list). The
    surrogate must be mean-field (`build_factored_surrogate_posterior`).

    Args:
      score_function_parts: the names (or positions) of the parts whose gradient is the score function.

    Example:
      >>> import optax
      >>> import probax as px
      >>> from probax.vi.fit import fit_surrogate_posterior
      >>> from probax.vi.surrogate_builders import build_factored_surrogate_posterior
      >>> tfd = px.distributions
      >>> def target(a, b):  # smooth in a; in b a standard normal with 80% of its mass moved below 0
      ...     return tfd.Normal(1., 0.5).log_prob(a) + tfd.Normal(0., 1.).log_prob(b) + jnp.log(
      ...         jnp.where(b < 0., 1.6, 0.4))
      >>> q, _ = fit_surrogate_posterior(
      ...     target, build_factored_surrogate_posterior([(), ()], initial_unconstrained_scale=1.),
      ...     optax.adam(optax.cosine_decay_schedule(0.05, 500)), num_steps=500, sample_size=16, seed=0,
      ...     verbose=False, gradient_estimator=MixedGradientEstimator(score_function_parts=(1,)))
      >>> draws = q.sample(10_000, seed=1)  # reparameterization alone leaves b at N(0, 1): half below 0
      >>> round(float(draws[0].mean()), 1), round(float((draws[1] < 0.).mean()), 1)
      (1.0, 0.7)

    """

    score_function_parts: tuple

    def __post_init__(self):
        parts = self.score_function_parts
        if isinstance(parts, str | int):
            parts = (parts,)
        if not isinstance(parts, list | tuple) or not parts:
            raise ValueError(
                "MixedGradientEstimator: score_function_parts must be a non-empty tuple of part names "
                f"or positions, got {self.score_function_parts!r}."
            )
        object.__setattr__(self, "score_function_parts", tuple(parts))

    def coordinate_mask(self, surrogate: SurrogatePosterior) -> jax.Array:
        """Boolean `[D]`: which unconstrained coordinates belong to the score-function parts."""
        layout = surrogate.layout
        indices = layout.unflatten(jnp.arange(layout.size))
        mask = jnp.zeros((layout.size,), bool)
        found = set()
        for path, part_indices in jax.tree_util.tree_flatten_with_path(indices)[0]:
            name = _part_name(path)
            if name in self.score_function_parts:
                found.add(name)
                mask = mask.at[part_indices.reshape(-1)].set(True)
        missing = [p for p in self.score_function_parts if p not in found]
        if missing:
            names = [_part_name(path) for path, _ in jax.tree_util.tree_flatten_with_path(indices)[0]]
            raise ValueError(
                f"MixedGradientEstimator: score_function_parts {missing} are not parts of the surrogate "
                f"(its parts are {names})."
            )
        return mask


def _part_name(path):
    """The top-level name (key, field or position) of a part's path in the surrogate's structure."""
    if not path:
        return 0
    entry = path[0]
    for attribute in ("key", "name", "idx"):
        if hasattr(entry, attribute):
            return getattr(entry, attribute)
    return str(entry)


def mixed_loss(
    target_log_prob_fn: Callable,
    surrogate: SurrogatePosterior,
    estimator: MixedGradientEstimator,
    shape: tuple[int, ...],
    bound: Callable[[jax.Array], jax.Array],
    discrepancy_fn: Callable[[jax.Array], jax.Array],
    key: jax.Array,
    caller: str,
) -> jax.Array:
    """The variational loss whose gradient is `estimator`'s mix (see the module docstring).

    `shape` is the draws' shape (importance draws first when `bound` averages over them).
    """
    flat = surrogate.distribution if isinstance(surrogate, SurrogatePosterior) else None
    if not isinstance(flat, MultivariateNormalDiag):
        raise TypeError(
            f"{caller}: MixedGradientEstimator needs a mean-field surrogate (from "
            f"build_factored_surrogate_posterior), got {type(surrogate).__name__}"
            + ("" if flat is None else f" over {type(flat).__name__}")
            + "."
        )
    mask = estimator.coordinate_mask(surrogate)
    x = flat.sample(shape, seed=key)
    x = jnp.where(mask, jax.lax.stop_gradient(x), x)
    y, log_det = surrogate.constrain(x)
    log_weights = _target.log_prob_of_draws(target_log_prob_fn, y, shape) + log_det - flat.log_prob(x)
    divergences = discrepancy_fn(bound(log_weights))
    # log q_S(x_S): the score-function parts' own factor, with the draws held fixed.
    coordinates = Normal(flat.loc, flat.scale_diag).log_prob(jax.lax.stop_gradient(x))
    score_log_prob = jnp.sum(jnp.where(mask, coordinates, 0.0), axis=-1)
    if len(shape) > 1:
        score_log_prob = jnp.sum(score_log_prob, axis=0)
    return _target.score_function_loss(divergences, score_log_prob)
