"""Helpers for families parameterized by either logits or probabilities."""

from __future__ import annotations

import jax
import jax.numpy as jnp


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


class LogitsProbsMixin:
    """Shared accessors for families with a success probability given as `logits` or `probs`.

    The host class stores `self.logits` and `self.probs`, exactly one of them not None
    (Binomial, NegativeBinomial, Geometric). The complement `1 - p` is computed as
    `sigmoid(-logits)` from logits, so it keeps full precision when `p` is close to 1.
    """

    logits: jax.Array | None
    probs: jax.Array | None

    def logits_parameter(self) -> jax.Array:
        """Log-odds of a success, whichever parameter was given."""
        return self.logits if self.logits is not None else jnp.log(self.probs) - jnp.log1p(-self.probs)

    def probs_parameter(self) -> jax.Array:
        """Probability of a success, whichever parameter was given."""
        return self.probs if self.probs is not None else jax.nn.sigmoid(self.logits)

    def _probs_pair(self) -> tuple[jax.Array, jax.Array]:
        """(1 - p, p), each computed directly from the given parameter."""
        if self.logits is not None:
            return jax.nn.sigmoid(-self.logits), jax.nn.sigmoid(self.logits)
        return 1 - self.probs, self.probs

    def _log_probs_pair(self) -> tuple[jax.Array, jax.Array]:
        """(log(1 - p), log p) without forming p from logits."""
        if self.logits is not None:
            return log_probs_from_logits(self.logits)
        return jnp.log1p(-self.probs), jnp.log(self.probs)
