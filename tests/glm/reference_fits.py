"""Fits of the real (and a few synthetic) data sets shared by the fit and summary tests, each done once.

Every case pairs a probax family with the statsmodels family that has the same mean function
and variance, so that coefficients, standard errors, p-values and intervals can be compared.
Fits use a tight criterion (relative coefficient change below 1e-10) so that the comparison
measures the estimates, not where either iteration happened to stop.
"""

from __future__ import annotations

import dataclasses
import functools
import warnings
from collections.abc import Callable
from typing import Any

import jax
import numpy as np
import scipy.stats
import statsmodels.api as sm

from probax import distributions as tfd
from probax import glm
from tests.glm import datasets

CRITERION = glm.convergence_criteria_small_relative_norm_weights_change(tolerance=1e-10)


def _gamma_inverse_distribution(mean):
    return tfd.Gamma(concentration=1.0, rate=1.0 / mean)


GAMMA_INVERSE = glm.CustomExponentialFamily(
    _gamma_inverse_distribution, lambda r: 1.0 / r, name="gamma_inverse"
)


@dataclasses.dataclass(frozen=True)
class RealCase:
    """A real data set, the probax family fitted to it and its statsmodels twin.

    Attributes:
      name: test id.
      load: returns the `datasets.Dataset`.
      family: builds the probax family from the data set.
      statsmodels_family: builds the statsmodels family.
      reference: key of the R/Stata reference case, if there is one.
      fast_unsafe_numerics: False for ill-conditioned model matrices (QR instead of Cholesky).
      dispersion: passed to `glm.coefficient_statistics`.
      start: linear response to start from, as a function of the response (for inverse
        links with no finite value at r = 0); None for TFP's default start.

    """

    name: str
    load: Callable[[], datasets.Dataset]
    family: Callable[[datasets.Dataset], Any]
    statsmodels_family: Callable[[], Any]
    reference: str | None = None
    fast_unsafe_numerics: bool = True
    dispersion: Any = None
    start: Callable[[np.ndarray], np.ndarray] | None = None

    def __str__(self) -> str:
        return self.name


links = sm.families.links
REAL_CASES = [
    RealCase(
        "spector_logit", datasets.spector, lambda d: glm.Bernoulli(), sm.families.Binomial, "spector_logit"
    ),
    # The interaction columns make X^T W X ill-conditioned (~1e12): solve by QR.
    RealCase(
        "star98_binomial",
        datasets.star98,
        lambda d: glm.Binomial(total_count=d.total_count),
        sm.families.Binomial,
        "star98_binomial_glm",
        fast_unsafe_numerics=False,
    ),
    RealCase(
        "scotland_gamma_inverse",
        datasets.scotland,
        lambda d: GAMMA_INVERSE,
        sm.families.Gamma,
        "scotvote_gamma_glm",
        dispersion="pearson",
        start=lambda y: np.full(y.shape, 1 / np.mean(y)),
    ),
    RealCase(
        "scotland_gamma_log",
        datasets.scotland,
        lambda d: glm.GammaExp(),
        lambda: sm.families.Gamma(link=links.Log()),
    ),
    RealCase(
        "cpunish_poisson",
        datasets.cpunish,
        lambda d: glm.Poisson(),
        sm.families.Poisson,
        "cpunish_poisson_glm",
    ),
    RealCase(
        "randhie_poisson", datasets.randhie, lambda d: glm.Poisson(), sm.families.Poisson, "randhie_poisson"
    ),
    # Longley's columns are nearly collinear (condition number ~5e9; squared by normal equations).
    RealCase(
        "longley_gaussian",
        datasets.longley,
        lambda d: glm.Normal(),
        sm.families.Gaussian,
        fast_unsafe_numerics=False,
    ),
]


def _covariates(rng, n, low=None):
    features = rng.uniform(0.0, 1.0, (n, 2)) if low == "unit" else rng.normal(size=(n, 2))
    return np.column_stack([np.ones(n), features])


@functools.cache
def synthetic_probit() -> datasets.Dataset:
    rng = np.random.default_rng(11)
    x = _covariates(rng, 500)
    probability = scipy.stats.norm.cdf(x @ [0.3, 0.8, -0.5])
    return datasets.Dataset(x, rng.binomial(1, probability).astype(np.float64), ("const", "x1", "x2"))


@functools.cache
def synthetic_negative_binomial() -> datasets.Dataset:
    rng = np.random.default_rng(12)
    x = _covariates(rng, 500)
    mean = np.exp(x @ [0.5, 0.4, -0.3])
    # numpy's negative_binomial(n, p) counts failures before n successes with success probability p.
    y = rng.negative_binomial(
        NEGATIVE_BINOMIAL_TOTAL_COUNT, NEGATIVE_BINOMIAL_TOTAL_COUNT / (NEGATIVE_BINOMIAL_TOTAL_COUNT + mean)
    )
    return datasets.Dataset(x, y.astype(np.float64), ("const", "x1", "x2"))


@functools.cache
def synthetic_reciprocal_normal() -> datasets.Dataset:
    rng = np.random.default_rng(13)
    x = _covariates(rng, 300, low="unit")
    y = 1 / (x @ [2.0, 0.5, 0.3]) + 0.05 * rng.normal(size=300)
    return datasets.Dataset(x, y, ("const", "x1", "x2"))


@functools.cache
def synthetic_lognormal() -> datasets.Dataset:
    rng = np.random.default_rng(14)
    x = _covariates(rng, 300)
    y = np.exp(x @ [1.0, 0.3, -0.2] + 0.6 * rng.normal(size=300))
    return datasets.Dataset(x, y, ("const", "x1", "x2"))


@functools.cache
def poisson_batch() -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Four independent Poisson problems (60 rows, 3 columns) and statsmodels' estimates for each."""
    rng = np.random.default_rng(5)
    x = np.concatenate([np.ones((4, 60, 1)), rng.normal(size=(4, 60, 2))], axis=-1)
    truth = np.array([[0.5, 0.3, -0.2], [1.0, -0.5, 0.1], [0.2, 0.0, 0.6], [1.5, 0.4, 0.4]])
    y = rng.poisson(np.exp(np.einsum("bnp,bp->bn", x, truth))).astype(np.float64)
    results = [sm.GLM(y[b], x[b], family=sm.families.Poisson()).fit(tol=1e-13) for b in range(4)]
    return x, y, results


NEGATIVE_BINOMIAL_TOTAL_COUNT = 2.0
SYNTHETIC_CASES = [
    RealCase(
        "synthetic_probit",
        synthetic_probit,
        lambda d: glm.BernoulliNormalCDF(),
        lambda: sm.families.Binomial(link=links.Probit()),
    ),
    RealCase(
        "synthetic_negative_binomial",
        synthetic_negative_binomial,
        lambda d: glm.NegativeBinomial(total_count=NEGATIVE_BINOMIAL_TOTAL_COUNT),
        lambda: sm.families.NegativeBinomial(alpha=1 / NEGATIVE_BINOMIAL_TOTAL_COUNT),
    ),
    RealCase(
        "synthetic_normal_reciprocal",
        synthetic_reciprocal_normal,
        lambda d: glm.NormalReciprocal(),
        lambda: sm.families.Gaussian(link=links.InversePower()),
        start=lambda y: np.full(y.shape, 1 / np.mean(y)),
    ),
    # The LogNormal family's Fisher scoring solves the quasi-likelihood equations of a variance
    # proportional to mean**2: a Gamma GLM with log link (see probax.glm.families).
    RealCase(
        "synthetic_lognormal_as_gamma",
        synthetic_lognormal,
        lambda d: glm.LogNormal(),
        lambda: sm.families.Gamma(link=links.Log()),
    ),
]
ALL_CASES = REAL_CASES + SYNTHETIC_CASES
CASES_BY_NAME = {case.name: case for case in ALL_CASES}


@dataclasses.dataclass(frozen=True)
class Fitted:
    case: RealCase
    data: datasets.Dataset
    result: glm.FitResult
    statistics: glm.CoefficientStatistics
    statsmodels: Any


def statsmodels_fit(case: RealCase, data: datasets.Dataset):
    endog = data.response
    if data.total_count is not None:
        endog = np.column_stack([data.response, data.total_count - data.response])
    with warnings.catch_warnings():
        # statsmodels warns that the inverse link can leave the Gamma domain; these data stay inside it.
        warnings.simplefilter("ignore", sm.tools.sm_exceptions.DomainWarning)
        model = sm.GLM(endog, data.model_matrix, family=case.statsmodels_family())
    scale = "X2" if case.dispersion == "pearson" else None
    return model.fit(tol=1e-13, maxiter=200, scale=scale)


@functools.partial(
    jax.jit, static_argnames=("fast_unsafe_numerics", "dispersion")
)
def _fit_and_statistics(x, y, family, start, fast_unsafe_numerics, dispersion):
    # One compiled program per case (fit and statistics together): compilation dominates test time.
    result = glm.fit(
        x,
        y,
        family,
        predicted_linear_response_start=start,
        convergence_criteria_fn=CRITERION,
        fast_unsafe_numerics=fast_unsafe_numerics,
    )
    statistics = glm.coefficient_statistics(x, y, family, result.model_coefficients, dispersion=dispersion)
    return result, statistics


@functools.cache
def fitted(name: str) -> Fitted:
    case = CASES_BY_NAME[name]
    data = case.load()
    start = None if case.start is None else case.start(data.response)
    result, statistics = _fit_and_statistics(
        data.model_matrix, data.response, case.family(data), start, case.fast_unsafe_numerics, case.dispersion
    )
    return Fitted(case, data, result, statistics, statsmodels_fit(case, data))
