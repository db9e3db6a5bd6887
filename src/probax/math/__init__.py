"""Numerics shared across probax: special functions, log-space helpers, root search."""

from probax.math.log_beta import log_beta
from probax.math.random import random_gamma
from probax.math.root_search import find_root_chandrupatla
from probax.math.special import betaincinv, gammaincinv, log1m, log1mexp

__all__ = [
    "betaincinv",
    "find_root_chandrupatla",
    "gammaincinv",
    "log1m",
    "log1mexp",
    "log_beta",
    "random_gamma",
]
