"""Csiszar f-divergences in log space, TFP's `tfp.vi` functions and argument names.

A Csiszar function `f` is convex with `f(1) = 0`; the f-divergence of p from q is
`D_f[p, q] = E_q[f(p(Z) / q(Z))]`. Every function here takes `logu = log p(z) - log q(z)`
(so it stays finite where `u` would overflow) and returns `f(exp(logu))`. With
`self_normalized=True` a multiple of `u - 1` is added so that `f'(1) = 0`, which leaves the
divergence of normalized densities unchanged and makes it non-negative pointwise.

`csiszar_vimco` is the VIMCO estimator (Mnih and Rezende, 2016) of an importance-weighted
f-divergence, with leave-one-out control variates for its score-function gradient.
"""

from __future__ import annotations

import math
from collections.abc import Callable

import jax
import jax.numpy as jnp
import numpy as np

from probax.vi._target import as_surrogate, log_prob_of_draws, stopped_draws

CsiszarFunction = Callable[[jax.Array], jax.Array]


def amari_alpha(logu, alpha: float = 1.0, self_normalized: bool = False) -> jax.Array:
    """The Amari alpha-divergence's Csiszar function.

    `f(u) = (u**alpha - 1) / (alpha (alpha - 1))`, with the limits `-log u` at `alpha = 0`
    and `u log u` at `alpha = 1`. Self-normalized, `(u - 1) / (alpha - 1)` is subtracted (`u - 1`
    added at `alpha = 0`, subtracted at `alpha = 1`).

    Args:
      logu: log of the density ratio `p(z) / q(z)`.
      alpha: the divergence's order (a Python float).
      self_normalized: add the multiple of `u - 1` that makes `f'(1) = 0`.

    Returns:
      `f(exp(logu))`, shaped like `logu`.

    Example:
      >>> round(float(amari_alpha(jnp.log(2.), alpha=0.5)), 4)  # (sqrt(2) - 1) / (-1 / 4)
      -1.6569

    """
    if not isinstance(alpha, int | float | np.floating | np.integer):
        raise TypeError(f"amari_alpha: alpha must be a Python float, got {type(alpha).__name__}.")
    logu = jnp.asarray(logu)
    alpha = float(alpha)
    if alpha == 0.0:
        f = -logu
    elif alpha == 1.0:
        f = jnp.exp(logu) * logu
    else:
        f = jnp.expm1(alpha * logu) / (alpha * (alpha - 1.0))
    if not self_normalized:
        return f
    if alpha == 0.0:
        return f + jnp.expm1(logu)
    if alpha == 1.0:
        return f - jnp.expm1(logu)
    return f - jnp.expm1(logu) / (alpha - 1.0)


def kl_reverse(logu, self_normalized: bool = False) -> jax.Array:
    """KL[q || p]'s Csiszar function, `f(u) = -log u` (`u - 1 - log u` self-normalized).

    Its expectation under q is the negative ELBO when p is an unnormalized posterior.

    Example:
      >>> round(float(kl_reverse(jnp.log(2.))), 4)
      -0.6931

    """
    return amari_alpha(logu, alpha=0.0, self_normalized=self_normalized)


def kl_forward(logu, self_normalized: bool = False) -> jax.Array:
    """KL[p || q]'s Csiszar function, `f(u) = u log u` (`u log u - (u - 1)` self-normalized).

    Example:
      >>> round(float(kl_forward(jnp.log(2.))), 4)  # 2 log 2
      1.3863

    """
    return amari_alpha(logu, alpha=1.0, self_normalized=self_normalized)


def jensen_shannon(logu, self_normalized: bool = False) -> jax.Array:
    """The Jensen-Shannon divergence's Csiszar function.

    `f(u) = u log u - (1 + u) log(1 + u)`, or `u log u - (1 + u) log((1 + u) / 2)` when
    self-normalized (then `D_f` is twice the Jensen-Shannon divergence of normalized densities).

    Example:
      >>> round(float(jensen_shannon(0., self_normalized=True)), 4)
      0.0

    """
    logu = jnp.asarray(logu)
    log1p_u = jax.nn.softplus(logu)
    if self_normalized:
        log1p_u = log1p_u - math.log(2.0)
    # u log u - (1 + u) log1p_u, grouped so a large u does not subtract two huge terms.
    return jnp.exp(logu) * (logu - log1p_u) - log1p_u


def pearson(logu) -> jax.Array:
    """Pearson's chi-square Csiszar function, `f(u) = (u - 1)**2`.

    Example:
      >>> round(float(pearson(jnp.log(3.))), 4)
      4.0

    """
    return jnp.square(jnp.expm1(jnp.asarray(logu)))


def chi_square(logu) -> jax.Array:
    """The chi-square divergence's Csiszar function, `f(u) = u**2 - 1`.

    Example:
      >>> round(float(chi_square(jnp.log(3.))), 4)
      8.0

    """
    return jnp.expm1(2.0 * jnp.asarray(logu))


def squared_hellinger(logu) -> jax.Array:
    """The squared Hellinger distance's Csiszar function, `f(u) = (sqrt(u) - 1)**2`.

    Example:
      >>> round(float(squared_hellinger(jnp.log(4.))), 4)
      1.0

    """
    return pearson(0.5 * jnp.asarray(logu))


def total_variation(logu) -> jax.Array:
    """The total variation distance's Csiszar function, `f(u) = |u - 1| / 2`.

    Example:
      >>> round(float(total_variation(jnp.log(3.))), 4)
      1.0

    """
    return 0.5 * jnp.abs(jnp.expm1(jnp.asarray(logu)))


def symmetrized_csiszar_function(logu, csiszar_function: CsiszarFunction) -> jax.Array:
    """The symmetrized Csiszar function `g(u) = f(u) + u f(1 / u)`, so `D_g[p, q] = D_f[p, q] + D_f[q, p]`.

    Args:
      logu: log of the density ratio.
      csiszar_function: `f`, a function of `logu`.

    Example:
      >>> round(float(symmetrized_csiszar_function(jnp.log(2.), kl_reverse)), 4)  # Jeffreys: (u-1) log u
      0.6931

    """
    logu = jnp.asarray(logu)
    return csiszar_function(logu) + jnp.exp(logu) * csiszar_function(-logu)


def csiszar_vimco_helper(logu) -> tuple[jax.Array, jax.Array]:
    """Log-average and leave-one-out log-averages of `u` over the draws axis (axis 0).

    `log_sooavg_u[k]` is the log of the average of `u` with `u[k]` replaced by the geometric
    mean of the other draws: VIMCO's control variate for draw `k`.

    Args:
      logu: shape `[num_draws, ...]`, with `num_draws >= 2`.

    Returns:
      `(log_avg_u, log_sooavg_u)`, shaped `logu.shape[1:]` and `logu.shape`.

    Example:
      >>> avg, soo = csiszar_vimco_helper(jnp.log(jnp.array([1., 4.])))
      >>> round(float(jnp.exp(avg)), 4), [round(float(v), 4) for v in jnp.exp(soo)]
      (2.5, [4.0, 1.0])

    """
    logu = jnp.asarray(logu)
    n = logu.shape[0] if logu.ndim else 0
    if n < 2:
        raise ValueError(
            f"csiszar_vimco_helper: logu needs at least 2 draws on axis 0, got shape {logu.shape}."
        )
    log_n = math.log(n)
    log_avg_u = jax.nn.logsumexp(logu, axis=0) - log_n
    # Sum over the other draws, one row per left-out draw: an [n, n, ...] masked logsumexp.
    others = jnp.where(_left_out_mask(n, logu.ndim), -jnp.inf, logu[None])
    log_sum_others = jax.nn.logsumexp(others, axis=1)
    log_geometric_mean_others = (jnp.sum(logu, axis=0)[None] - logu) / (n - 1)
    log_sooavg_u = jnp.logaddexp(log_sum_others, log_geometric_mean_others) - log_n
    return log_avg_u, log_sooavg_u


def _left_out_mask(n: int, rank: int) -> jax.Array:
    """Identity of shape [n, n, 1, ..., 1] (rank + 1 dimensions): marks draw k in row k."""
    return jnp.eye(n, dtype=bool).reshape((n, n) + (1,) * (rank - 1))


def vimco_loss(f: CsiszarFunction, logu: jax.Array, surrogate_log_prob: jax.Array) -> jax.Array:
    """VIMCO's surrogate loss from `logu` and the surrogate's log density at stopped draws, `[K, S]`.

    The value is the average over the S batches of `f(log mean_k u_k)`; the gradient adds
    the score-function term `sum_k (f(log_avg_u) - f(log_sooavg_u_k)) grad log q(z_k)`.
    """
    log_avg_u, log_sooavg_u = csiszar_vimco_helper(logu)
    f_log_avg_u = f(log_avg_u)
    advantages = jax.lax.stop_gradient(f_log_avg_u[None] - f(log_sooavg_u))
    score = jnp.sum(advantages * surrogate_log_prob, axis=0)
    return jnp.mean(f_log_avg_u + (score - jax.lax.stop_gradient(score)))


def csiszar_vimco(
    f: CsiszarFunction, p_log_prob: Callable, q, num_draws: int, num_batch_draws: int = 1, seed=None
) -> jax.Array:
    """VIMCO estimate of `E[f(log mean_k u_k)]` over `num_batch_draws` batches of `num_draws` draws from q.

    Gradients flow through q's log density only (score function with leave-one-out control
    variates), so q need not be reparameterizable.

    Args:
      f: a Csiszar function of `logu`.
      p_log_prob: the target's log density, called as in `monte_carlo_variational_loss`.
      q: the surrogate distribution (or a `Trainable`).
      num_draws: importance draws per batch (at least 2).
      num_batch_draws: independent batches averaged over.
      seed: a `jax.random` key or an int.

    Returns:
      The scalar loss.

    Example:
      >>> from probax.distributions import Normal
      >>> loss = csiszar_vimco(kl_reverse, Normal(0., 1.).log_prob, Normal(0., 1.), num_draws=4, seed=0)
      >>> round(float(loss), 4)  # q = p: every log-ratio is 0
      0.0

    """
    if int(num_draws) < 2:
        raise ValueError(f"csiszar_vimco: num_draws must be at least 2, got {num_draws!r}.")
    surrogate = as_surrogate(q, "csiszar_vimco")
    draws = stopped_draws(surrogate, (int(num_draws), int(num_batch_draws)), seed, "csiszar_vimco")
    q_log_prob = surrogate.log_prob(draws)
    logu = log_prob_of_draws(p_log_prob, draws, (int(num_draws), int(num_batch_draws))) - q_log_prob
    return vimco_loss(f, logu, q_log_prob)
