"""monte_carlo_variational_loss: Monte Carlo estimates of f-divergences and their gradient estimators.

The loss is `E_q[f(log p(Z) - log q(Z))]` averaged over `sample_size` draws, or, with
`importance_sample_size = K > 1`, `E[f(log mean_k w_k)]` over groups of K importance
weights (the importance-weighted bound of Burda et al., 2016: `-IWAE` for `kl_reverse`).
The value is the same for every gradient estimator; only the gradient differs:

* REPARAMETERIZATION: differentiate through reparameterized draws.
* SCORE_FUNCTION: draws are held fixed; the gradient is `E[grad f] + E[(f - b) grad log q]`
  with the leave-one-out mean of the other draws' `f` as baseline `b` (unbiased).
* DOUBLY_REPARAMETERIZED: reparameterized draws with the surrogate's parameters stopped in
  `log q` (Tucker et al., 2018); the importance weights enter squared. With one importance
  draw this is the "sticking the landing" estimator (Roeder et al., 2017).
* VIMCO: score function with leave-one-out control variates across the K importance draws.

A `MixedGradientEstimator` instead mixes the two per part: reparameterization for the
smooth parts, score function for the named ones (see `mixed_estimator`).
"""

from __future__ import annotations

import enum
from collections.abc import Callable

import jax
import jax.numpy as jnp

from probax._internal.prng import as_key
from probax.vi import _target
from probax.vi.csiszar_divergence import CsiszarFunction, kl_reverse, vimco_loss
from probax.vi.mixed_estimator import MixedGradientEstimator, mixed_loss


class GradientEstimators(enum.Enum):
    """How `monte_carlo_variational_loss` lets gradients reach the surrogate's parameters.

    Example:
      >>> GradientEstimators.REPARAMETERIZATION.name
      'REPARAMETERIZATION'

    """

    REPARAMETERIZATION = "reparameterization"
    SCORE_FUNCTION = "score_function"
    DOUBLY_REPARAMETERIZED = "doubly_reparameterized"
    VIMCO = "vimco"


def _positive_int(value, argument: str) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or value < 1:
        raise ValueError(f"monte_carlo_variational_loss: {argument} must be a positive int, got {value!r}.")
    return value


def monte_carlo_variational_loss(
    target_log_prob_fn: Callable,
    surrogate_posterior,
    sample_size: int = 1,
    importance_sample_size: int = 1,
    discrepancy_fn: CsiszarFunction = kl_reverse,
    gradient_estimator: GradientEstimators | MixedGradientEstimator = GradientEstimators.REPARAMETERIZATION,
    stopped_surrogate_posterior=None,
    seed=None,
) -> jax.Array:
    """Monte Carlo estimate of `E_q[discrepancy_fn(log p(Z) - log q(Z))]` (the negative ELBO by default).

    Args:
      target_log_prob_fn: the (unnormalized) log density of the target, called on one draw at a
        time: `fn(z)` for an array-valued surrogate, `fn(*parts)` for a list or tuple of parts,
        `fn(**parts)` for a dict (a pinned JointDistribution's `unnormalized_log_prob` takes all
        three). It is vmapped over the draws, so it need not broadcast over sample dimensions.
      surrogate_posterior: the distribution q (with `sample` and `log_prob`, and preferably
        `sample_and_log_prob`), or a `Trainable`.
      sample_size: number of draws (of groups of importance draws) averaged over.
      importance_sample_size: K; above 1, the importance-weighted bound over groups of K draws.
      discrepancy_fn: a Csiszar function of `logu` (see `csiszar_divergence`).
      gradient_estimator: a `GradientEstimators` member, or a `MixedGradientEstimator` (per-part
        mix of reparameterization and score function, for a mean-field surrogate).
      stopped_surrogate_posterior: q with stopped parameters (for DOUBLY_REPARAMETERIZED); derived
        from `surrogate_posterior` when None.
      seed: a `jax.random` key or an int.

    Returns:
      The scalar loss.

    Example:
      >>> from probax.distributions import Normal
      >>> loss = monte_carlo_variational_loss(Normal(0., 1.).log_prob, Normal(0., 1.), sample_size=8, seed=0)
      >>> round(float(loss), 4)  # q = p: KL is zero
      0.0

    """
    caller = "monte_carlo_variational_loss"
    sample_size = _positive_int(sample_size, "sample_size")
    k = _positive_int(importance_sample_size, "importance_sample_size")
    if not isinstance(gradient_estimator, GradientEstimators | MixedGradientEstimator):
        raise TypeError(
            f"{caller}: gradient_estimator must be a GradientEstimators member or a MixedGradientEstimator, "
            f"got {gradient_estimator!r}."
        )
    key = as_key(seed, caller)
    q = _target.as_surrogate(surrogate_posterior, caller)
    shape = (k, sample_size) if k > 1 else (sample_size,)

    def target_at(draws):
        return _target.log_prob_of_draws(target_log_prob_fn, draws, shape)

    def bound(log_weights):
        return _target.log_mean_exp(log_weights) if k > 1 else log_weights

    if isinstance(gradient_estimator, MixedGradientEstimator):
        return mixed_loss(
            target_log_prob_fn, q, gradient_estimator, shape, bound, discrepancy_fn, key, caller
        )

    if gradient_estimator is GradientEstimators.REPARAMETERIZATION:
        draws, q_log_prob = _target.sample_and_log_prob(q, shape, key, caller)
        return jnp.mean(discrepancy_fn(bound(target_at(draws) - q_log_prob)))

    if gradient_estimator is GradientEstimators.DOUBLY_REPARAMETERIZED:
        stopped = stopped_surrogate_posterior
        if stopped is None:
            stopped = _target.stopped_surrogate(surrogate_posterior, caller)
        draws = _target.reparameterized_draws(q, shape, key, caller)
        log_weights = target_at(draws) - stopped.log_prob(draws)
        if k > 1:
            # Value: the bound; gradient: sum_k w~_k^2 grad log w_k (the DReG estimator).
            squared_weights = jax.lax.stop_gradient(jnp.square(jax.nn.softmax(log_weights, axis=0)))
            change = jnp.sum(squared_weights * (log_weights - jax.lax.stop_gradient(log_weights)), axis=0)
            log_weights = jax.lax.stop_gradient(bound(log_weights)) + change
        return jnp.mean(discrepancy_fn(log_weights))

    draws = _target.stopped_draws(q, shape, key, caller)
    q_log_prob = q.log_prob(draws)
    log_weights = target_at(draws) - q_log_prob
    if gradient_estimator is GradientEstimators.VIMCO:
        if k < 2:
            raise ValueError(f"{caller}: the VIMCO estimator needs importance_sample_size >= 2, got {k}.")
        return vimco_loss(discrepancy_fn, log_weights, q_log_prob)
    return _target.score_function_loss(
        discrepancy_fn(bound(log_weights)), jnp.sum(q_log_prob, axis=0) if k > 1 else q_log_prob
    )
