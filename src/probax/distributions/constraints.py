"""Sets that parameters and values live in, with a vectorized membership test.

A constraint answers `check(x) -> bool array` elementwise and describes itself
in words for error messages. Constraints that depend on other parameters
(`interval(low, high)`) are built on the fly by the distribution.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import jax.numpy as jnp


@dataclass(frozen=True)
class Constraint:
    """A named subset of the reals (or of arrays, for event constraints).

    Attributes:
      description: words used in errors, e.g. "positive".
      event_ndims: how many trailing dimensions one member spans (1 for a simplex).

    """

    description: str
    event_ndims: int = 0

    def check(self, x) -> jnp.ndarray:
        """Elementwise (or per event) membership of `x`."""
        raise NotImplementedError


@dataclass(frozen=True)
class _Real(Constraint):
    def check(self, x):
        return ~jnp.isnan(x)


@dataclass(frozen=True)
class _GreaterThan(Constraint):
    lower: Any = 0.0

    def check(self, x):
        return x > self.lower


@dataclass(frozen=True)
class _GreaterThanEq(Constraint):
    lower: Any = 0.0

    def check(self, x):
        return x >= self.lower


@dataclass(frozen=True)
class _Interval(Constraint):
    lower: Any = 0.0
    upper: Any = 1.0
    closed: bool = True

    def check(self, x):
        if self.closed:
            return (x >= self.lower) & (x <= self.upper)
        return (x > self.lower) & (x < self.upper)


@dataclass(frozen=True)
class _IntegerInterval(Constraint):
    lower: Any = 0
    upper: Any = jnp.inf

    def check(self, x):
        return (x == jnp.floor(x)) & (x >= self.lower) & (x <= self.upper)


@dataclass(frozen=True)
class _Simplex(Constraint):
    def check(self, x):
        total = jnp.sum(x, axis=-1)
        tolerance = 10 * jnp.finfo(jnp.result_type(x, float)).eps * x.shape[-1]
        return jnp.all(x >= 0, axis=-1) & (jnp.abs(total - 1) <= tolerance)


real = _Real("a real number (not NaN)")
positive = _GreaterThan("positive (> 0)", lower=0.0)
nonnegative = _GreaterThanEq("non-negative (>= 0)", lower=0.0)
unit_interval = _Interval("in [0, 1]", lower=0.0, upper=1.0)
open_unit_interval = _Interval("in (0, 1)", lower=0.0, upper=1.0, closed=False)
nonnegative_integer = _IntegerInterval("a non-negative integer", lower=0)
boolean = _IntegerInterval("0 or 1", lower=0, upper=1)
simplex = _Simplex("a probability vector (non-negative, summing to 1)", event_ndims=1)


def greater_than(lower, description: str | None = None) -> Constraint:
    """Values strictly above `lower` (which may be an array)."""
    return _GreaterThan(description or "greater than the lower bound", lower=lower)


def greater_than_eq(lower, description: str | None = None) -> Constraint:
    """Values at or above `lower` (which may be an array)."""
    return _GreaterThanEq(description or "at least the lower bound", lower=lower)


def interval(lower, upper, closed: bool = True, description: str | None = None) -> Constraint:
    """Values in `[lower, upper]` (or the open interval when `closed=False`)."""
    return _Interval(description or "inside [low, high]", lower=lower, upper=upper, closed=closed)


def integer_interval(lower, upper, description: str | None = None) -> Constraint:
    """Integers `lower, lower + 1, ..., upper`."""
    return _IntegerInterval(description or "an integer in [0, total_count]", lower=lower, upper=upper)
