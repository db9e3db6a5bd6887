"""TFP's chain diagnostics: `effective_sample_size` and `potential_scale_reduction`.

Both follow `tfp.mcmc`: draws are indexed by axis 0, states may be a single
array or a structure (list, tuple, dict, ...) of arrays, and the results have
the same structure. They are written in `jax.numpy`, so they run inside `jit`
and on accelerators; the rank-normalized diagnostics of Vehtari et al. (2021)
used by the posterior summary live in `probax.mcmc.rank_diagnostics`.

The auto-covariance is TFP's estimate: the mean is removed, the lag-`k` sum of
products (computed by FFT over a zero-padded power-of-two length) is divided by
`n - k`, and the ESS sum weights lag `k` by `(n - k) / n`.
"""

from __future__ import annotations

import functools
import math

import jax
import jax.numpy as jnp

from probax._internal.dtypes import common_float_dtype
from probax._internal.shapes import pad_leading


def _as_float_draws(states, caller: str, min_draws: int) -> jax.Array:
    states = jnp.asarray(states)
    states = states.astype(common_float_dtype(states))
    if states.ndim < 1 or states.shape[0] < min_draws:
        raise ValueError(
            f"{caller}: each state needs at least {min_draws} draws along axis 0, got shape {states.shape}."
        )
    return states


def _per_state(argument, treedef) -> list:
    """One value of `argument` per state: its entries when it mirrors the states' structure, else itself."""
    try:
        return treedef.flatten_up_to(argument)
    except (ValueError, TypeError):
        return [argument] * treedef.num_leaves


def _auto_covariance(states: jax.Array, max_lags: int) -> jax.Array:
    """Lags 0..max_lags of the centered lag products along axis 0, each divided by `n - lag`."""
    n = states.shape[0]
    centered = states - jnp.mean(states, axis=0, keepdims=True)
    fft_length = 1 << (2 * n - 1).bit_length()  # a power of two >= 2n: no circular wrap-around
    spectrum = jnp.fft.rfft(centered, n=fft_length, axis=0)
    power = jnp.real(spectrum) ** 2 + jnp.imag(spectrum) ** 2
    lag_products = jnp.fft.irfft(power, n=fft_length, axis=0)[: max_lags + 1].astype(states.dtype)
    counts = (n - jnp.arange(max_lags + 1, dtype=states.dtype)).reshape((-1,) + (1,) * (states.ndim - 1))
    return lag_products / counts


def _sum_pairs(x: jax.Array) -> jax.Array:
    """Sums of consecutive pairs along axis 0 (an odd last entry is dropped)."""
    pairs = x.shape[0] // 2
    return jnp.sum(x[: 2 * pairs].reshape((pairs, 2, *x.shape[1:])), axis=1)


def _keep_before_first(failed: jax.Array) -> jax.Array:
    """True along axis 0 up to (excluding) the first True of `failed`."""
    return jnp.cumsum(failed.astype(jnp.int32), axis=0) == 0


def _chain_axes(cross_chain_dims, ndim: int) -> tuple[int, ...] | None:
    if cross_chain_dims is None:
        return None
    dims = (cross_chain_dims,) if isinstance(cross_chain_dims, int) else tuple(cross_chain_dims)
    axes = tuple(d + ndim if d < 0 else d for d in dims)
    if not axes or any(not 1 <= a < ndim for a in axes) or len(set(axes)) != len(axes):
        raise ValueError(
            "effective_sample_size: cross_chain_dims must name distinct chain axes 1..ndim-1 of the "
            f"states (axis 0 holds the draws), got {cross_chain_dims!r} for states of rank {ndim}."
        )
    return axes


# Compiled once per shape and options: eager op-by-op dispatch would compile each of its ~30 ops.
@functools.partial(jax.jit, static_argnames=("max_lags", "positive_pairs", "chain_axes"))
def _effective_sample_size_compiled(states, filter_threshold, *, max_lags, positive_pairs, chain_axes):
    n = states.shape[0]
    auto_cov = _auto_covariance(states, max_lags)
    if chain_axes is None:
        auto_corr = auto_cov / auto_cov[:1]
        num_chains = 1
    else:
        # Vehtari et al. (2021), eq. 10: rho_k = 1 - (W - mean_c s_c^2 rho_{k,c}) / var_plus.
        num_chains = math.prod(states.shape[a] for a in chain_axes)
        event_axes = tuple(a - 1 for a in chain_axes)
        between_chain_variance_div_n = jnp.var(jnp.mean(states, axis=0), axis=event_axes, ddof=1)
        biased_within_chain_variance = jnp.mean(auto_cov[0], axis=event_axes)
        variance_plus = biased_within_chain_variance + between_chain_variance_div_n
        mean_auto_cov = jnp.mean(auto_cov, axis=chain_axes)
        auto_corr = 1 - (biased_within_chain_variance - mean_auto_cov) / variance_plus
    lags = jnp.arange(max_lags + 1, dtype=states.dtype)
    weighted = ((n - lags) / n).reshape((-1,) + (1,) * (auto_corr.ndim - 1)) * auto_corr
    if positive_pairs:
        weighted = jnp.where(_keep_before_first(_sum_pairs(auto_corr) < 0), _sum_pairs(weighted), 0)
    elif filter_threshold is not None:
        threshold = pad_leading(jnp.asarray(filter_threshold, states.dtype), auto_corr.ndim)
        weighted = jnp.where(_keep_before_first(auto_corr < threshold), weighted, 0)
    return num_chains * n / (-1 + 2 * jnp.sum(weighted, axis=0))


def _effective_sample_size_one(states, filter_beyond_lag, filter_threshold, positive_pairs, cross_chain_dims):
    states = _as_float_draws(states, "effective_sample_size", min_draws=1)
    axes = _chain_axes(cross_chain_dims, states.ndim)
    if axes is not None and math.prod(states.shape[a] for a in axes) < 2:
        raise ValueError(
            "effective_sample_size: with cross_chain_dims there must be more than 1 chain, got states "
            f"shaped {states.shape} with chain axes {axes}."
        )
    n = states.shape[0]
    max_lags = n - 1 if filter_beyond_lag is None else min(n - 1, int(filter_beyond_lag))
    return _effective_sample_size_compiled(
        states, filter_threshold, max_lags=max_lags, positive_pairs=bool(positive_pairs), chain_axes=axes
    )


def effective_sample_size(
    states,
    filter_threshold=0.0,
    filter_beyond_lag=None,
    filter_beyond_positive_pairs=False,
    cross_chain_dims=None,
    validate_args=False,
    name=None,
):
    """Effective sample size of each component of each state (TFP's `effective_sample_size`).

    ESS = n / (-1 + 2 sum_k (n - k) / n R_k) with R_k the auto-correlation at lag k,
    truncated at the first lag whose auto-correlation falls below `filter_threshold`
    (or whose pair sum R_2j + R_2j+1 is negative with `filter_beyond_positive_pairs`,
    Geyer's initial positive sequence), or after `filter_beyond_lag`.

    Args:
      states: an array, or a structure of arrays, with draws along axis 0.
      filter_threshold: auto-correlations from the first one below this value on are
        dropped; `None` keeps all. Ignored with `filter_beyond_positive_pairs`.
      filter_beyond_lag: an int; lags beyond it are dropped (`None`: keep all).
      filter_beyond_positive_pairs: truncate at the first negative pair sum.
      cross_chain_dims: axes (>= 1) of the states that index independent chains; they
        are combined with the between-chain variance (Vehtari et al. 2021, eq. 10) and
        removed from the result, which then counts draws of all chains. `None`: every
        component is its own chain.
      validate_args: accepted for TFP compatibility; shapes are always checked.
      name: accepted for TFP compatibility.

    Each argument except `validate_args` and `name` may be a structure matching
    `states`, giving one value per state.

    Returns:
      The ESS, with the structure of `states`; each array has the state's shape without
      axis 0 (and without `cross_chain_dims`).

    Raises:
      ValueError: when `cross_chain_dims` names invalid axes or fewer than 2 chains.

    Example:
      >>> draws = jax.random.normal(jax.random.key(0), (1000, 4))
      >>> ess = effective_sample_size(draws, cross_chain_dims=1)
      >>> bool(3000 < ess < 5000)
      True

    """
    del validate_args, name
    leaves, treedef = jax.tree_util.tree_flatten(states)
    per_state = zip(
        leaves,
        _per_state(filter_beyond_lag, treedef),
        _per_state(filter_threshold, treedef),
        _per_state(filter_beyond_positive_pairs, treedef),
        _per_state(cross_chain_dims, treedef),
        strict=True,
    )
    return jax.tree_util.tree_unflatten(treedef, [_effective_sample_size_one(*args) for args in per_state])


def _potential_scale_reduction_one(state, independent_chain_ndims: int, split_chains: bool):
    state = _as_float_draws(state, "potential_scale_reduction", min_draws=4 if split_chains else 2)
    if state.ndim < 1 + independent_chain_ndims:
        raise ValueError(
            f"potential_scale_reduction: a state shaped {state.shape} has no room for "
            f"independent_chain_ndims={independent_chain_ndims} chain axes after the draws axis."
        )
    return _potential_scale_reduction_compiled(
        state, independent_chain_ndims=independent_chain_ndims, split_chains=bool(split_chains)
    )


@functools.partial(jax.jit, static_argnames=("independent_chain_ndims", "split_chains"))
def _potential_scale_reduction_compiled(state, *, independent_chain_ndims: int, split_chains: bool):
    if split_chains:
        half = state.shape[0] // 2
        halves = state[: 2 * half].reshape((2, half, *state.shape[1:]))
        state = jnp.swapaxes(halves, 0, 1)  # the halves become one more chain axis
        independent_chain_ndims += 1
    sample_and_chain_axes = tuple(range(1 + independent_chain_ndims))
    n = state.shape[0]
    m = math.prod(state.shape[1 : 1 + independent_chain_ndims])
    between_chain_variance_div_n = jnp.var(
        jnp.mean(state, axis=0, keepdims=True), axis=sample_and_chain_axes, ddof=1
    )
    within_chain_variance = jnp.mean(
        jnp.var(state, axis=0, keepdims=True, ddof=1), axis=sample_and_chain_axes
    )
    variance_plus = (n - 1) / n * within_chain_variance + between_chain_variance_div_n
    return (m + 1) / m * variance_plus / within_chain_variance - (n - 1) / (m * n)


def potential_scale_reduction(
    chains_states, independent_chain_ndims=1, split_chains=False, validate_args=False, name=None
):
    """Gelman-Rubin potential scale reduction R-hat (TFP's `potential_scale_reduction`).

    Brooks and Gelman's corrected ratio ((m + 1) / m) sigma^2_+ / W - (n - 1) / (m n) of
    the pooled variance estimate to the within-chain variance (not its square root);
    near 1 when the chains agree. For the rank-normalized split R-hat that ArviZ and
    Stan report, use `probax.mcmc.rank_diagnostics.rhat`.

    Args:
      chains_states: an array, or a structure of arrays, shaped
        `[num_draws, *chain_dims, *event]` with `independent_chain_ndims` chain axes.
      independent_chain_ndims: how many axes after the draws index chains (>= 1).
      split_chains: split each chain into halves (an odd last draw is dropped), which
        also detects trends within a chain.
      validate_args: accepted for TFP compatibility; shapes are always checked.
      name: accepted for TFP compatibility.

    Returns:
      R-hat with the structure of `chains_states`, each array shaped `event`.

    Raises:
      ValueError: for `independent_chain_ndims < 1`, too few draws (2, or 4 when
        splitting) or a state without the chain axes.

    Example:
      >>> draws = jax.random.normal(jax.random.key(0), (1000, 4))
      >>> print(round(float(potential_scale_reduction(draws)), 2))
      1.0

    """
    del validate_args, name
    if isinstance(independent_chain_ndims, bool) or not isinstance(independent_chain_ndims, int):
        raise TypeError(
            "potential_scale_reduction: independent_chain_ndims must be an int, got "
            f"{independent_chain_ndims!r}."
        )
    if independent_chain_ndims < 1:
        raise ValueError(
            f"potential_scale_reduction: independent_chain_ndims must be >= 1, got {independent_chain_ndims}."
        )
    return jax.tree_util.tree_map(
        lambda s: _potential_scale_reduction_one(s, independent_chain_ndims, split_chains), chains_states
    )
