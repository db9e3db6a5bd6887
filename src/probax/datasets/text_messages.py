"""Daily text-message counts for the changepoint model of seed 001.

The seed (after "Bayesian Methods for Hackers") models 74 days of counts whose
Poisson rate switches once. probax ships a simulated stand-in with a known
switch, written once by `simulate_text_messages(seed=SIMULATION_SEED)`; the
real counts (a one-column CSV) can be read with `load_text_messages(path)`.
"""

from __future__ import annotations

from importlib import resources
from pathlib import Path

import numpy as np

SIMULATION_SEED = 2026
SIMULATED_TEXT_MESSAGES_TRUTH = {"num_days": 74, "switch_day": 44, "lambda_1": 18.0, "lambda_2": 23.0}
"""The truth behind the shipped counts: days 0..43 have rate lambda_1, days 44..73 rate lambda_2."""

_SHIPPED_FILE = "text_messages_simulated.csv"


def simulate_text_messages(seed: int = SIMULATION_SEED) -> np.ndarray:
    """Draw 74 daily counts: Poisson(18) before day 44, Poisson(23) from day 44 on.

    Args:
      seed: seed of NumPy's default generator.

    Returns:
      A float64 array of 74 counts.

    Example:
      >>> counts = simulate_text_messages()
      >>> counts.shape, bool(np.all(counts == load_text_messages()))
      ((74,), True)

    """
    truth = SIMULATED_TEXT_MESSAGES_TRUTH
    rng = np.random.default_rng(seed)
    early = rng.poisson(truth["lambda_1"], truth["switch_day"])
    late = rng.poisson(truth["lambda_2"], truth["num_days"] - truth["switch_day"])
    return np.concatenate([early, late]).astype(np.float64)


def load_text_messages(path: str | Path | None = None) -> np.ndarray:
    """Daily counts: the shipped simulated set, or a one-column CSV of counts at `path`.

    Args:
      path: a text file with one non-negative count per line (e.g. the original
        "Bayesian Methods for Hackers" `txtdata.csv`); None reads the shipped
        simulated counts (truth in `SIMULATED_TEXT_MESSAGES_TRUTH`).

    Returns:
      A float64 array of counts.

    Raises:
      ValueError: when the file holds no counts, or a count is negative or not an integer.

    Example:
      >>> counts = load_text_messages()
      >>> int(counts.size), float(counts[:44].mean()) < float(counts[44:].mean())
      (74, True)

    """
    if path is None:
        text = resources.files("probax.datasets").joinpath(_SHIPPED_FILE).read_text()
        source = f"probax's {_SHIPPED_FILE}"
    else:
        text = Path(path).read_text()
        source = str(path)
    lines = [line for line in text.splitlines() if line.strip()]
    counts = np.loadtxt(lines, dtype=np.float64, ndmin=1) if lines else np.empty(0)
    if counts.ndim != 1 or counts.size == 0:
        raise ValueError(
            f"load_text_messages: expected one count per line in {source}, got shape {counts.shape}."
        )
    if np.any(counts < 0) or np.any(counts != np.round(counts)):
        raise ValueError(f"load_text_messages: counts in {source} must be non-negative integers.")
    return counts
