"""Rank-normalized convergence diagnostics of Vehtari, Gelman, Simpson, Carpenter and Bürkner (2021).

`rhat`, `ess_bulk`, `ess_tail`, `ess_mean`, `mcse_mean` and `mcse_sd` compute, for
draws shaped `(chain, draw, *event)`, what ArviZ computes for each parameter (to
rounding), but for all parameters at once in NumPy on the host, where the posterior
summary runs after sampling: one sort, rank transform and FFT per quantity for the
whole array instead of a Python loop over parameters.

The steps, as in the paper and ArviZ:

- chains are split in halves (the middle draw of an odd chain is dropped);
- rank normalization: pooled average ranks r (ties share their mean rank) become
  normal scores Phi^-1((r - 3/8) / (N + 1/4)) (Blom's offset);
- R-hat is the larger of the split R-hat of the normal scores and of the normal
  scores of the distances to the median (folding, which detects scale differences);
- an ESS is N / tau with tau from the between-chain-aware auto-correlations
  (FFT auto-covariance), summed over Geyer's initial positive sequence of pair sums
  made monotone, and tau >= 1 / log10(N);
- the bulk ESS is that of the normal scores, the tail ESS the smaller of those of the
  indicators `x <= q05` and `x <= q95`, the mean ESS that of the raw draws;
- MCSE of the mean is sd / sqrt(mean ESS); MCSE of the sd is the delta method with the
  mean ESS of the squared deviations (Stan's `posterior`, ArviZ 0.x and arviz-stats after
  its 0.8 release).

A parameter with fewer than 4 draws, or any non-finite draw, gets NaN (and R-hat
needs 2 chains). Results are float64 arrays shaped `event`.

The helpers on `(parameter, chain, draw)` matrices (`as_parameter_matrix`,
`split_chains`, `normal_scores`, `effective_size`, ...) are the building blocks
that `probax.mcmc.summary` and `probax.mcmc.hdi` share, so a summary sorts and
transforms each parameter once.
"""

from __future__ import annotations

import functools
import math
from statistics import NormalDist

import numpy as np

_TAIL_PROBS = (0.05, 0.95)
_BLOM_OFFSET = 3 / 8


def as_parameter_matrix(x, caller: str) -> tuple[np.ndarray, tuple[int, ...]]:
    """Draws `(chain, draw, *event)` as a contiguous float64 `(parameter, chain, draw)` array, and `event`.

    Each parameter's draws are contiguous, so the sorts, ranks and FFTs below run along the last axis.

    Raises:
      ValueError: naming `caller` when `x` has fewer than two axes.

    Example:
      >>> matrix, event = as_parameter_matrix(np.zeros((2, 10, 3, 4)), "example")
      >>> matrix.shape, event
      ((12, 2, 10), (3, 4))

    """
    x = np.asarray(x)
    if x.ndim < 2:
        raise ValueError(f"{caller}: draws must be shaped (chain, draw, *event), got shape {x.shape}.")
    flat = x.reshape((*x.shape[:2], math.prod(x.shape[2:])))
    return np.ascontiguousarray(np.moveaxis(flat, -1, 0), dtype=np.float64), x.shape[2:]


def split_chains(draws: np.ndarray) -> np.ndarray:
    """`(P, chain, draw)` draws as `(P, 2 chain, draw // 2)` halves; the middle of an odd chain is dropped."""
    half = draws.shape[-1] // 2
    return np.concatenate([draws[..., :half], draws[..., draws.shape[-1] - half :]], axis=1)


def sorted_pool(draws: np.ndarray) -> np.ndarray:
    """All chains' draws pooled per parameter and sorted: `(P, chain * draw)`."""
    return np.sort(draws.reshape(draws.shape[0], -1), axis=-1)


def _quantile_of_sorted(sorted_draws: np.ndarray, prob: float) -> np.ndarray:
    """NumPy's default ("linear") quantile of each row of already sorted draws."""
    size = sorted_draws.shape[-1]
    position = (size - 1) * prob
    below = math.floor(position)
    low, high = sorted_draws[:, below], sorted_draws[:, min(below + 1, size - 1)]
    fraction = position - below
    # NumPy's two-sided interpolation, so results match `np.quantile` to the last bit.
    step = high - low
    return high - step * (1 - fraction) if fraction >= 0.5 else low + step * fraction


@functools.lru_cache(maxsize=8)
def _normal_scores(size: int) -> np.ndarray:
    """Phi^-1((r - 3/8) / (size + 1/4)) for the average ranks r = 1, 1.5, 2, ..., size."""
    normal = NormalDist()
    scale = size - 2 * _BLOM_OFFSET + 1
    scores = np.array([normal.inv_cdf((1 + k / 2 - _BLOM_OFFSET) / scale) for k in range(2 * size - 1)])
    scores.flags.writeable = False
    return scores


def _average_ranks_twice(values: np.ndarray) -> np.ndarray:
    """Twice the average rank minus 2 (an index 0, 1, ..., 2N - 2) within each row of `(P, N)` values."""
    size = values.shape[-1]
    order = np.argsort(values, axis=-1)
    ordered = np.take_along_axis(values, order, axis=-1)
    positions = np.arange(size)
    differs = ordered[:, 1:] != ordered[:, :-1]
    if differs.all():
        first_plus_last = np.broadcast_to(2 * positions, values.shape)
    else:  # a run of ties spans positions first..last and shares their mean rank
        boundary = np.ones_like(differs[:, :1])
        starts = np.where(np.concatenate([boundary, differs], axis=1), positions, 0)
        ends = np.where(np.concatenate([differs, boundary], axis=1), positions, size)
        last = np.minimum.accumulate(ends[:, ::-1], axis=1)[:, ::-1]
        first_plus_last = np.maximum.accumulate(starts, axis=1) + last
    twice_ranks = np.empty_like(order)
    np.put_along_axis(twice_ranks, order, first_plus_last, axis=-1)
    return twice_ranks


def normal_scores(draws: np.ndarray) -> np.ndarray:
    """Rank-normalized `(P, chain, draw)` draws: normal scores of each parameter's pooled average ranks."""
    pooled = draws.reshape(draws.shape[0], -1)
    return _normal_scores(pooled.shape[-1])[_average_ranks_twice(pooled)].reshape(draws.shape)


def _mean_auto_covariance(chains: np.ndarray) -> np.ndarray:
    """`(P, n)`: the chains' biased (divided by n) auto-covariances at all lags, averaged over chains.

    By FFT; the inverse transform is linear, so the chains' power spectra are averaged
    first and each parameter needs one inverse transform rather than one per chain.
    """
    n = chains.shape[-1]
    centered = chains - chains.mean(axis=-1, keepdims=True)
    fft_length = 1 << (2 * n - 1).bit_length()
    spectrum = np.fft.rfft(centered, n=fft_length, axis=-1)
    mean_power = (spectrum.real**2 + spectrum.imag**2).mean(axis=1)
    return np.fft.irfft(mean_power, n=fft_length, axis=-1)[:, :n] / n


def _geyer_tau(rho: np.ndarray) -> np.ndarray:
    """Integrated autocorrelation time from `(P, n)` auto-correlations (ArviZ's Geyer truncation).

    Pair sums P_k = rho_2k + rho_2k+1 (rho_0 = 1) are summed up to the first
    non-positive one (Geyer's initial positive sequence), made non-increasing
    (initial monotone sequence), and the even term of the stopping pair is added
    when positive.
    """
    n = rho.shape[-1]
    num_pairs = max(math.ceil((n - 2) / 2), 1)  # pairs 0 .. num_pairs - 1 lie within the draws
    evens = np.concatenate([np.ones_like(rho[:, :1]), rho[:, 2 : 2 * num_pairs : 2]], axis=1)
    pair_sums = evens + rho[:, 1 : 2 * num_pairs : 2]
    nonpositive = pair_sums <= 0
    stop = np.where(nonpositive.any(axis=1), nonpositive.argmax(axis=1), num_pairs - 1)[:, None]
    monotone = np.minimum.accumulate(pair_sums, axis=1)
    stop_even = np.take_along_axis(evens, stop, axis=1)[:, 0]
    stop_sum = np.take_along_axis(pair_sums, stop, axis=1)[:, 0]
    last = np.where((stop_even > 0) | (stop_sum >= 0), stop_even, 0.0)
    before_stop = np.arange(num_pairs) < stop
    return -1 + 2 * np.sum(np.where(before_stop, monotone, 0.0), axis=1) + last


def effective_size(chains: np.ndarray) -> np.ndarray:
    """ESS of each parameter of `(P, chain, draw)` draws that are already split or transformed."""
    num_chains, n = chains.shape[1:]
    size = num_chains * n
    auto_cov = _mean_auto_covariance(chains)
    mean_var = auto_cov[:, 0] * n / (n - 1)
    var_plus = mean_var * (n - 1) / n
    if num_chains > 1:
        var_plus = var_plus + chains.mean(axis=-1).var(axis=1, ddof=1)
    with np.errstate(invalid="ignore", divide="ignore"):
        rho = 1 - (mean_var[:, None] - auto_cov) / var_plus[:, None]
        tau = np.maximum(_geyer_tau(rho), 1 / math.log10(size))
        ess = size / tau
    constant = np.ptp(chains.reshape(chains.shape[0], -1), axis=1) < np.finfo(np.float64).resolution
    return np.where(constant, float(size), ess)


def _split_rhat(chains: np.ndarray) -> np.ndarray:
    """Gelman-Rubin R-hat (square-root form) of `(P, chain, draw)` draws, chains taken as given."""
    n = chains.shape[-1]
    between = n * chains.mean(axis=-1).var(axis=1, ddof=1)
    within = chains.var(axis=-1, ddof=1).mean(axis=1)
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.sqrt((between / within + n - 1) / n)


def rank_rhat(halves: np.ndarray, bulk_scores: np.ndarray) -> np.ndarray:
    """Rank-normalized R-hat from split chains and their normal scores: the larger of bulk and folded."""
    median = np.median(halves.reshape(halves.shape[0], -1), axis=1)
    folded = np.abs(halves - median[:, None, None])
    return np.maximum(_split_rhat(bulk_scores), _split_rhat(normal_scores(folded)))


def tail_effective_size(draws: np.ndarray, sorted_draws: np.ndarray) -> np.ndarray:
    """Smaller ESS of the indicators `draws <= q05` and `draws <= q95`, per parameter."""
    sizes = [
        effective_size(split_chains(draws <= _quantile_of_sorted(sorted_draws, p)[:, None, None]) * 1.0)
        for p in _TAIL_PROBS
    ]
    return np.minimum(*sizes)


def pooled_sd(draws: np.ndarray) -> np.ndarray:
    """Standard deviation (ddof=1) of each parameter's pooled `(P, chain, draw)` draws."""
    return draws.reshape(draws.shape[0], -1).std(axis=1, ddof=1)


def sd_standard_error(draws: np.ndarray) -> np.ndarray:
    """MCSE of the standard deviation of `(P, chain, draw)` draws by the delta method.

    The variance of the variance estimate is Var[(x - mean)^2] / ESS, with the mean ESS of
    the squared deviations (Stan's posterior package and ArviZ 0.x; arviz-stats 0.8 uses the
    draws' own ESS, which its issue 428 reports as a bug, fixed after that release).
    """
    squared_deviations = (draws - draws.mean(axis=(1, 2), keepdims=True)) ** 2
    pooled = squared_deviations.reshape(draws.shape[0], -1)
    variance = pooled.mean(axis=1)
    ess = effective_size(split_chains(squared_deviations))
    with np.errstate(invalid="ignore", divide="ignore"):
        variance_of_variance = ((pooled**2).mean(axis=1) - variance**2) / ess
        return np.sqrt(variance_of_variance / variance / 4)


def valid_parameters(draws: np.ndarray, min_chains: int = 1) -> np.ndarray:
    """Which parameters of `(P, chain, draw)` draws can be diagnosed: enough draws and chains, all finite."""
    enough = draws.shape[-1] >= 4 and draws.shape[1] >= min_chains
    return np.isfinite(draws).all(axis=(1, 2)) & enough


def finite_or_zero(draws: np.ndarray) -> np.ndarray:
    """Draws with non-finite entries set to 0, so the columns still computable are not disturbed."""
    return np.where(np.isfinite(draws), draws, 0.0)


def _diagnostic(x, caller: str, compute, min_chains: int = 1) -> np.ndarray:
    draws, event = as_parameter_matrix(x, caller)
    valid = valid_parameters(draws, min_chains)
    if not valid.any():
        return np.full(event, np.nan)
    return np.where(valid, compute(finite_or_zero(draws)), np.nan).reshape(event)


def rhat(x) -> np.ndarray:
    """Rank-normalized split R-hat (Vehtari et al. 2021), the larger of bulk and tail (folded) R-hat.

    Args:
      x: draws shaped `(chain, draw, *event)`, at least 2 chains of 4 draws.

    Returns:
      float64 array shaped `event`; values above 1.01 signal chains that disagree.

    Example:
      >>> x = np.random.default_rng(0).normal(size=(4, 500))
      >>> print(round(float(rhat(x)), 2))
      1.0

    """
    def compute(draws):
        halves = split_chains(draws)
        return rank_rhat(halves, normal_scores(halves))

    return _diagnostic(x, "rhat", compute, min_chains=2)


def ess_bulk(x) -> np.ndarray:
    """Bulk effective sample size: the ESS of the rank-normalized split chains.

    Args:
      x: draws shaped `(chain, draw, *event)`.

    Returns:
      float64 array shaped `event`.

    Example:
      >>> x = np.random.default_rng(0).normal(size=(4, 500))
      >>> bool(1500 < ess_bulk(x) < 2500)
      True

    """
    return _diagnostic(x, "ess_bulk", lambda d: effective_size(normal_scores(split_chains(d))))


def ess_tail(x) -> np.ndarray:
    """Tail effective sample size: the smaller ESS of the 5% and 95% quantile indicators.

    Args:
      x: draws shaped `(chain, draw, *event)`.

    Returns:
      float64 array shaped `event`.

    Example:
      >>> x = np.random.default_rng(0).normal(size=(4, 500))
      >>> bool(1500 < ess_tail(x) < 2500)
      True

    """
    return _diagnostic(x, "ess_tail", lambda d: tail_effective_size(d, sorted_pool(d)))


def ess_mean(x) -> np.ndarray:
    """Effective sample size for the mean: the ESS of the split chains of the raw draws.

    Args:
      x: draws shaped `(chain, draw, *event)`.

    Returns:
      float64 array shaped `event`.

    Example:
      >>> x = np.random.default_rng(0).normal(size=(4, 500))
      >>> bool(1500 < ess_mean(x) < 2500)
      True

    """
    return _diagnostic(x, "ess_mean", lambda d: effective_size(split_chains(d)))


def mcse_mean(x) -> np.ndarray:
    """Monte Carlo standard error of the posterior mean: sd / sqrt(ess_mean).

    Args:
      x: draws shaped `(chain, draw, *event)`.

    Returns:
      float64 array shaped `event`.

    Example:
      >>> x = np.random.default_rng(0).normal(size=(4, 2500))
      >>> print(round(float(mcse_mean(x)), 2))
      0.01

    """
    return _diagnostic(
        x,
        "mcse_mean",
        lambda d: pooled_sd(d) / np.sqrt(effective_size(split_chains(d))),
    )


def mcse_sd(x) -> np.ndarray:
    """Monte Carlo standard error of the posterior standard deviation (delta method).

    sqrt(Var[(x - mean)^2] / ESS / (4 Var[x])), with ESS the mean ESS of (x - mean)^2, as
    Stan's posterior package and ArviZ 0.x compute it.

    Args:
      x: draws shaped `(chain, draw, *event)`.

    Returns:
      float64 array shaped `event`.

    Example:
      >>> x = np.random.default_rng(0).normal(size=(4, 2500))
      >>> print(round(float(mcse_sd(x)), 3))
      0.007

    """
    return _diagnostic(x, "mcse_sd", sd_standard_error)
