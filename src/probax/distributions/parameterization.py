"""Helpers for families parameterized by either logits or probabilities."""

from __future__ import annotations

import jax


def exactly_one(family: str, **candidates) -> None:
    """Raise `ValueError` unless exactly one of `candidates` is not None.

    Example:
      >>> exactly_one("Bernoulli", logits=None, probs=0.3)

    """
    given = [k for k, v in candidates.items() if v is not None]
    if len(given) != 1:
        names = " or ".join(f"`{k}`" for k in candidates)
        raise ValueError(f"{family}: give exactly one of {names}; got {given or 'neither'}.")


def log_probs_from_logits(logits):
    """(log sigmoid(-logits), log sigmoid(logits)): log P[0] and log P[1] from log-odds."""
    return jax.nn.log_sigmoid(-logits), jax.nn.log_sigmoid(logits)
