"""Sets that parameters and values live in, with a vectorized membership test.

A constraint answers `check(x) -> bool array` elementwise (NaN fails it) and
`violated(x)`, true only where a non-NaN `x` is known to lie outside (the cheap
test behind log_prob's `-inf` mask, which lets NaN propagate), and describes
itself in words for error messages. Constraints that depend on other parameters
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

    def violated(self, x) -> jnp.ndarray:
        """Where `x` (elementwise, or per event) is outside; False for NaN."""
        has_nan = jnp.isnan(x)
        if self.event_ndims:
            has_nan = jnp.any(has_nan, axis=tuple(range(-self.event_ndims, 0)))
        return ~self.check(x) & ~has_nan


@dataclass(frozen=True)
class Real(Constraint):
    """The real line (NaN excluded)."""

    def check(self, x):
        """Membership of `x` (NaN fails)."""
        return ~jnp.isnan(x)

    def violated(self, x):
        """Where a non-NaN `x` lies outside."""
        return jnp.zeros(jnp.shape(x), bool)


@dataclass(frozen=True)
class GreaterThan(Constraint):
    """Values strictly above `lower`."""

    lower: Any = 0.0

    def check(self, x):
        """Membership of `x` (NaN fails)."""
        return x > self.lower

    def violated(self, x):
        """Where a non-NaN `x` lies outside."""
        return x <= self.lower


@dataclass(frozen=True)
class GreaterThanEq(Constraint):
    """Values at or above `lower`."""

    lower: Any = 0.0

    def check(self, x):
        """Membership of `x` (NaN fails)."""
        return x >= self.lower

    def violated(self, x):
        """Where a non-NaN `x` lies outside."""
        return x < self.lower


@dataclass(frozen=True)
class Interval(Constraint):
    """Values between `lower` and `upper` (closed or open)."""

    lower: Any = 0.0
    upper: Any = 1.0
    closed: bool = True

    def check(self, x):
        """Membership of `x` (NaN fails)."""
        if self.closed:
            return (x >= self.lower) & (x <= self.upper)
        return (x > self.lower) & (x < self.upper)

    def violated(self, x):
        """Where a non-NaN `x` lies outside."""
        if self.closed:
            return (x < self.lower) | (x > self.upper)
        return (x <= self.lower) | (x >= self.upper)


@dataclass(frozen=True)
class IntegerInterval(Constraint):
    """Integers from `lower` to `upper`."""

    lower: Any = 0
    upper: Any = jnp.inf

    def check(self, x):
        """Membership of `x` (NaN fails)."""
        return (x == jnp.floor(x)) & (x >= self.lower) & (x <= self.upper)

    def violated(self, x):
        """Where a non-NaN `x` lies outside."""
        out_of_range = (x < self.lower) | (x > self.upper)
        if jnp.issubdtype(jnp.result_type(x), jnp.integer):
            return out_of_range
        return out_of_range | (jnp.abs(x - jnp.floor(x)) > 0)  # NaN compares False


@dataclass(frozen=True)
class Simplex(Constraint):
    """Probability vectors along the last axis."""

    def check(self, x):
        """Membership of `x` (NaN fails)."""
        total = jnp.sum(x, axis=-1)
        tolerance = 10 * jnp.finfo(jnp.result_type(x, float)).eps * x.shape[-1]
        return jnp.all(x >= 0, axis=-1) & (jnp.abs(total - 1) <= tolerance)


@dataclass(frozen=True)
class NonZero(Constraint):
    """Non-zero, non-NaN values."""

    def check(self, x):
        """Membership of `x` (NaN fails)."""
        return (x != 0) & ~jnp.isnan(x)


real = Real("a real number (not NaN)")
nonzero = NonZero("non-zero")
positive = GreaterThan("positive (> 0)", lower=0.0)
nonnegative = GreaterThanEq("non-negative (>= 0)", lower=0.0)
unit_interval = Interval("in [0, 1]", lower=0.0, upper=1.0)
open_unit_interval = Interval("in (0, 1)", lower=0.0, upper=1.0, closed=False)
nonnegative_integer = IntegerInterval("a non-negative integer", lower=0)
boolean = IntegerInterval("0 or 1", lower=0, upper=1)
simplex = Simplex("a probability vector (non-negative, summing to 1)", event_ndims=1)


def greater_than(lower, description: str | None = None) -> Constraint:
    """Values strictly above `lower` (which may be an array)."""
    return GreaterThan(description or "greater than the lower bound", lower=lower)


def greater_than_eq(lower, description: str | None = None) -> Constraint:
    """Values at or above `lower` (which may be an array)."""
    return GreaterThanEq(description or "at least the lower bound", lower=lower)


def interval(lower, upper, closed: bool = True, description: str | None = None) -> Constraint:
    """Values in `[lower, upper]` (or the open interval when `closed=False`)."""
    return Interval(description or "inside [low, high]", lower=lower, upper=upper, closed=closed)


def integer_interval(lower, upper, description: str | None = None) -> Constraint:
    """Integers `lower, lower + 1, ..., upper`."""
    return IntegerInterval(description or "an integer in [0, total_count]", lower=lower, upper=upper)
