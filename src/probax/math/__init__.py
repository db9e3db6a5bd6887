"""Numerics shared across probax: special functions, log-space helpers, root search."""

from probax.math.bessel import bessel_iv_ratio, log_bessel_ive, one_minus_bessel_iv_ratio
from probax.math.log_beta import log_beta
from probax.math.log_factorial import log_factorial
from probax.math.random import random_gamma, random_poisson
from probax.math.root_search import find_root_chandrupatla
from probax.math.special import betaincinv, gammaincinv, log1m, log1mexp

__all__ = [
    "bessel_iv_ratio",
    "betaincinv",
    "find_root_chandrupatla",
    "gammaincinv",
    "log1m",
    "log1mexp",
    "log_bessel_ive",
    "log_beta",
    "log_factorial",
    "one_minus_bessel_iv_ratio",
    "random_gamma",
    "random_poisson",
]
