"""Numerics shared across probax: special functions, log-space helpers, root search."""

from probax.math.root_search import find_root_chandrupatla
from probax.math.special import betaincinv, gammaincinv, log1mexp

__all__ = ["betaincinv", "find_root_chandrupatla", "gammaincinv", "log1mexp"]
