"""Real data sets bundled with statsmodels, shaped as the GLM tests use them, and the reference file.

statsmodels ships the data (spector, star98, scotland, cpunish, randhie, longley); the R/Stata
reference estimates live in the project's shared folder, which the project itself never needs:
`reference_cases()` returns None when it is absent, and the tests that use it skip.
"""

from __future__ import annotations

import functools
import json
from pathlib import Path
from typing import NamedTuple

import numpy as np
import statsmodels.api as sm

REFERENCE_FILE = (
    Path(__file__).resolve().parents[2]
    / ".."
    / "shared"
    / "refdata"
    / "statsmodels_glm"
    / "reference_mle_results.json"
)


class Dataset(NamedTuple):
    """A model matrix (constant column last), a response and, for binomial data, trial counts."""

    model_matrix: np.ndarray
    response: np.ndarray
    names: tuple[str, ...]
    total_count: np.ndarray | None = None


def _with_constant(frame) -> tuple[np.ndarray, tuple[str, ...]]:
    x = sm.add_constant(frame, prepend=False)
    return np.asarray(x, np.float64), tuple(str(c) for c in x.columns)


@functools.cache
def spector() -> Dataset:
    data = sm.datasets.spector.load_pandas()
    x, names = _with_constant(data.exog[["GPA", "TUCE", "PSI"]])
    return Dataset(x, np.asarray(data.endog, np.float64), names)


@functools.cache
def star98() -> Dataset:
    data = sm.datasets.star98.load_pandas()
    x, names = _with_constant(data.exog)
    successes = np.asarray(data.endog["NABOVE"], np.float64)
    failures = np.asarray(data.endog["NBELOW"], np.float64)
    return Dataset(x, successes, names, successes + failures)


@functools.cache
def scotland() -> Dataset:
    data = sm.datasets.scotland.load_pandas()
    x, names = _with_constant(data.exog)
    return Dataset(x, np.asarray(data.endog, np.float64), names)


@functools.cache
def cpunish() -> Dataset:
    data = sm.datasets.cpunish.load_pandas()
    exog = data.exog.copy()
    exog["VC100k96"] = np.log(exog["VC100k96"])
    exog = exog.rename(columns={"VC100k96": "LN_VC100k96"})
    x, names = _with_constant(exog[["INCOME", "PERPOVERTY", "PERBLACK", "LN_VC100k96", "SOUTH", "DEGREE"]])
    return Dataset(x, np.asarray(data.endog, np.float64), names)


@functools.cache
def randhie() -> Dataset:
    data = sm.datasets.randhie.load_pandas()
    columns = ["lncoins", "idp", "lpi", "fmde", "physlm", "disea", "hlthg", "hlthf", "hlthp"]
    x, names = _with_constant(data.exog[columns])
    return Dataset(x, np.asarray(data.endog, np.float64), names)


@functools.cache
def longley() -> Dataset:
    data = sm.datasets.longley.load_pandas()
    x, names = _with_constant(data.exog)
    return Dataset(x, np.asarray(data.endog, np.float64), names)


@functools.cache
def reference_cases() -> dict | None:
    """The R/Stata reference estimates, or None when ../shared is not there."""
    if not REFERENCE_FILE.is_file():
        return None
    return json.loads(REFERENCE_FILE.read_text())["cases"]
