"""Random variate generators that JAX ships only in slow or non-differentiable form.

`random_gamma` draws standard gamma variates with Marsaglia and Tsang's (2000)
squeeze-rejection method, vectorized over the whole output: one bulk normal
and one bulk uniform array propose a candidate for every element, and the few
rejected elements (under 5% for the boosted shape >= 1) are retried in a
compact pool. JAX's `jax.random.gamma` instead runs a per-element loop with its
own key splits, several times slower on CPU. Concentrations below one use the boost
Gamma(a) = Gamma(a + 1) * U**(1/a), optionally in log space so tiny
concentrations do not underflow.

Draws carry implicit reparameterization gradients (Figurnov et al., 2018):
d x / d a = -(d F(x; a) / d a) / p(x; a), which `jax.lax.random_gamma_grad`
evaluates. The gradient therefore does not depend on how the draw was made.

`random_poisson` inverts the CDF by sequential search from one uniform per
element for rates below 10 (a few multiply-adds per step of the search, the
first 20 steps in one fused pass),
where `jax.random.poisson` multiplies fresh uniforms until their product
falls below exp(-rate), drawing a whole array of uniforms per step, and also
runs its large-rate rejection sampler over every element. Larger rates go to
that rejection sampler, and only when some rate needs it.
"""

from __future__ import annotations

import functools

import jax
import jax.numpy as jnp

from probax._internal import threefry


def _propose(key, d, c):
    """One Marsaglia-Tsang candidate per element: (accepted, log v)."""
    normal_key, uniform_key = jax.random.split(key)
    x = threefry.normal(normal_key, d.shape, d.dtype)
    u = threefry.uniform(uniform_key, d.shape, d.dtype)
    v = (1 + c * x) ** 3
    positive = v > 0
    log_v = jnp.log(jnp.where(positive, v, 1.0))
    x2 = jnp.square(x)
    # The squeeze accepts most candidates without the logarithm of u.
    squeeze = u < 1 - 0.0331 * jnp.square(x2)
    exact = jnp.log(u) < 0.5 * x2 + d * (1 - v + log_v)
    return positive & (squeeze | exact), log_v


def _marsaglia_tsang(key, concentration, log_space: bool):
    shape, dtype = concentration.shape, concentration.dtype
    alpha = concentration.reshape(-1)
    size = alpha.shape[0]
    boosted = alpha < 1
    a = jnp.where(boosted, alpha + 1, alpha)
    d = a - 1.0 / 3.0
    c = 1.0 / jnp.sqrt(9.0 * d)
    first_key, retry_key, boost_key = jax.random.split(key, 3)
    accepted, log_v = _propose(first_key, d, c)
    # Fewer than 5% of first proposals fail, so retries work on a compact pool of the
    # pending elements (a static size; more pending elements simply take more rounds).
    pool = max(size // 8, min(size, 64))

    def pending(state):
        return jnp.any(~state[1])

    def retry(state):
        round_key, done, current = state
        round_key, proposal_key = jax.random.split(round_key)
        index = jnp.nonzero(~done, size=pool, fill_value=size)[0]
        ok, candidate = _propose(proposal_key, d.at[index].get(mode="clip"), c.at[index].get(mode="clip"))
        current = current.at[index].set(jnp.where(ok, candidate, current.at[index].get(mode="clip")),
                                        mode="drop")
        return round_key, done.at[index].set(ok, mode="drop"), current

    _, _, log_v = jax.lax.while_loop(pending, retry, (retry_key, accepted, log_v))
    log_draw = jnp.log(d) + log_v

    def boost(log_draw):
        # log U with U in (0, 1]: -Exponential, so log U is never -inf.
        log_u = -threefry.exponential(boost_key, alpha.shape, dtype)
        return jnp.where(boosted, log_draw + log_u / alpha, log_draw)

    # Without a concentration below one there is nothing to boost: skip drawing U altogether.
    log_draw = jax.lax.cond(jnp.any(boosted), boost, lambda unboosted: unboosted, log_draw).reshape(shape)
    return log_draw if log_space else jnp.exp(log_draw)


def _floating_dtype(dtype, parameter, caller: str):
    """`dtype`, or the parameter's floating dtype when None; a clear error for a non-floating one."""
    dtype = jnp.dtype(dtype or jnp.result_type(parameter, float))
    if not jnp.issubdtype(dtype, jnp.floating):
        raise ValueError(f"{caller}: dtype must be a floating dtype (draws are floats); got {dtype}.")
    return dtype


@functools.partial(jax.custom_jvp, nondiff_argnums=(2,))
def _gamma_draws(key, concentration, log_space):
    return _marsaglia_tsang(key, concentration, log_space)


@_gamma_draws.defjvp
def _gamma_draws_jvp(log_space, primals, tangents):
    key, concentration = primals
    _, concentration_dot = tangents
    draws = _gamma_draws(key, concentration, log_space)
    x = jnp.exp(draws) if log_space else draws
    x = jnp.maximum(x, jnp.finfo(x.dtype).tiny)
    dx_da = jax.lax.random_gamma_grad(concentration, x)
    derivative = dx_da / x if log_space else dx_da
    return draws, derivative * concentration_dot


@functools.partial(jax.jit, static_argnames=("shape", "dtype", "log_space"))
def random_gamma(key, concentration, shape, dtype=None, log_space: bool = False):
    """Standard gamma draws (rate 1), or their logarithms, with implicit gradients.

    Args:
      key: a `jax.random` key.
      concentration: positive shape parameter, broadcastable to `shape`.
      shape: output shape.
      dtype: floating dtype of the draws (default: that of `concentration`).
      log_space: return log-draws, which stay finite when tiny concentrations
        would round the draws themselves to zero.

    Returns:
      Array of `shape` with Gamma(concentration, 1) draws (or their logs).

    Example:
      >>> import jax
      >>> x = random_gamma(jax.random.key(0), 2.0, (1000,))
      >>> x.shape
      (1000,)

    """
    dtype = _floating_dtype(dtype, concentration, "random_gamma")
    concentration = jnp.broadcast_to(jnp.asarray(concentration, dtype), tuple(shape))
    return _gamma_draws(key, concentration, log_space)


# Below this rate the search is short; above it `jax.random.poisson` rejects (Hormann's PTRS).
_INVERSION_MAX_RATE = 10.0
# Search steps taken by every element in one fused pass: at rate 10 about 0.1% of draws need more.
_UNROLLED_SEARCH_STEPS = 20


def _search_pending(u, state):
    _, term, cdf = state
    # The second condition ends the search where the remaining mass is below the CDF's rounding.
    return (u > cdf) & (term > jnp.finfo(cdf.dtype).eps * cdf)


def _search_step(pending, rate, state, next_k):
    """One step up of the search where `pending`: k becomes `next_k`, the CDF gains pmf(next_k).

    The pmf term is updated everywhere: it only matters where the search goes on, and leaving it
    unmasked keeps the first steps (constant `next_k`) one cheap fused pass.
    """
    k, term, cdf = state
    term = term * rate / next_k
    return jnp.where(pending, next_k, k), term, jnp.where(pending, cdf + term, cdf)


def _poisson_by_inversion(key, rate):
    """Smallest k with u <= F(k; rate) for one uniform u per element, searched upward from 0."""
    u = threefry.uniform(key, rate.shape, rate.dtype)
    first_term = jnp.exp(-rate)
    state = (jnp.zeros_like(rate), first_term, first_term)
    for step in range(1, _UNROLLED_SEARCH_STEPS + 1):
        state = _search_step(u > state[2], rate, state, step)
    # The few longer searches finish on a compact pool of the pending elements, as in the gamma sampler.
    size = rate.shape[0]
    pool = max(size // 64, min(size, 64))

    def finish_a_pool(state):
        index = jnp.nonzero(_search_pending(u, state), size=pool, fill_value=size)[0]
        # Out-of-range fill slots read u = 0, which is never pending, and their writes are dropped.
        pool_u, pool_rate = (a.at[index].get(mode="fill", fill_value=0) for a in (u, rate))
        pool_state = tuple(a.at[index].get(mode="fill", fill_value=1) for a in state)
        pool_state = jax.lax.while_loop(
            lambda s: jnp.any(_search_pending(pool_u, s)),
            lambda s: _search_step(_search_pending(pool_u, s), pool_rate, s, s[0] + 1),
            pool_state,
        )
        return tuple(a.at[index].set(b, mode="drop") for a, b in zip(state, pool_state, strict=True))

    k, _, _ = jax.lax.while_loop(lambda s: jnp.any(_search_pending(u, s)), finish_a_pool, state)
    return k


@functools.partial(jax.jit, static_argnames=("shape", "dtype"))
def random_poisson(key, rate, shape, dtype=None):
    """Poisson draws as floating-point counts: CDF inversion for rates below 10, else rejection.

    Args:
      key: a `jax.random` key.
      rate: non-negative rate, broadcastable to `shape`.
      shape: output shape.
      dtype: floating dtype of the draws (default: that of `rate`).

    Returns:
      Array of `shape` with Poisson(rate) counts (NaN where the rate is NaN or negative).

    Raises:
      ValueError: `dtype` is not a floating dtype.

    Example:
      >>> import jax
      >>> counts = random_poisson(jax.random.key(0), 3.0, (10000,))
      >>> round(float(counts.mean()), 1)
      3.0

    """
    dtype = _floating_dtype(dtype, rate, "random_poisson")
    rate = jnp.broadcast_to(jnp.asarray(rate, dtype), tuple(shape))
    small = rate < _INVERSION_MAX_RATE
    inversion_key, rejection_key = jax.random.split(key)
    counts = _poisson_by_inversion(inversion_key, jnp.where(small, rate, 0.0).reshape(-1)).reshape(shape)

    def with_large_rates(counts):
        large = jax.random.poisson(rejection_key, jnp.where(small, _INVERSION_MAX_RATE, rate), shape)
        return jnp.where(small, counts, large.astype(dtype))

    undefined = jnp.isnan(rate) | (rate < 0)
    counts = jax.lax.cond(jnp.any(~small & ~undefined), with_large_rates, lambda c: c, counts)
    return jnp.where(undefined, jnp.nan, counts)
