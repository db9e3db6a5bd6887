"""Highest-density interval of posterior draws (ArviZ's "nearest" method, for unimodal posteriors)."""

from __future__ import annotations

import math

import numpy as np

from probax.mcmc.rank_diagnostics import as_parameter_matrix, sorted_pool


def check_prob(prob, caller: str) -> float:
    """`prob` as a float in (0, 1], or a `ValueError` naming `caller`."""
    if not isinstance(prob, int | float | np.floating) or not 0 < prob <= 1:
        raise ValueError(f"{caller}: prob must be a number in (0, 1], got {prob!r}.")
    return float(prob)


def hdi_of_sorted(sorted_draws: np.ndarray, prob: float) -> np.ndarray:
    """`(P, 2)` narrowest intervals spanning `floor(prob * N)` steps of each row of sorted draws."""
    size = sorted_draws.shape[-1]
    span = math.floor(prob * size)
    if span >= size:
        raise ValueError(f"hdi: {size} draws are too few for an interval of probability {prob}.")
    widths = sorted_draws[:, span:] - sorted_draws[:, : size - span]
    start = np.argmin(widths, axis=1)[:, None]
    bounds = np.take_along_axis(sorted_draws, np.concatenate([start, start + span], axis=1), axis=1)
    return np.where(np.isnan(sorted_draws[:, -1:]), np.nan, bounds)  # NaNs sort last


def hdi(x, prob: float = 0.94) -> np.ndarray:
    """Highest-density interval: the narrowest interval between two draws that holds `prob` of them.

    Pooled over chains; the interval spans `floor(prob * N)` steps of the sorted draws,
    as ArviZ's default ("nearest") method. Suited to unimodal posteriors (a multimodal
    one gets one interval covering its modes).

    Args:
      x: draws shaped `(chain, draw, *event)`.
      prob: probability mass in the interval, in (0, 1].

    Returns:
      float64 array shaped `(*event, 2)`: lower and upper bounds.

    Raises:
      ValueError: for `prob` outside (0, 1] or too few draws.

    Example:
      >>> x = np.random.default_rng(0).normal(size=(4, 2500))
      >>> print(np.round(hdi(x, prob=0.95), 1))
      [-1.9  2. ]

    """
    prob = check_prob(prob, "hdi")
    draws, event = as_parameter_matrix(x, "hdi")
    return hdi_of_sorted(sorted_pool(draws), prob).reshape((*event, 2))
