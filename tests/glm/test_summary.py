"""Standard errors, tests, intervals and the printed table against statsmodels' GLM results."""

from __future__ import annotations

import numpy as np
import pytest

from probax import glm
from tests.glm.reference_fits import ALL_CASES, fitted, poisson_batch

FIXED_DISPERSION = {
    "spector_logit",
    "star98_binomial",
    "cpunish_poisson",
    "randhie_poisson",
    "synthetic_probit",
    "synthetic_negative_binomial",
}


@pytest.mark.parametrize("case", ALL_CASES, ids=str)
def test_inference_matches_statsmodels(case):
    result = fitted(case.name)
    stats, expected = result.statistics, result.statsmodels
    np.testing.assert_allclose(stats.standard_errors, expected.bse, rtol=1e-6)
    np.testing.assert_allclose(
        stats.covariance, expected.cov_params(), rtol=1e-6, atol=1e-12 * np.max(expected.bse) ** 2
    )
    np.testing.assert_allclose(stats.z_values, expected.tvalues, rtol=1e-6)
    # p-values are compared where they are not vanishingly small (statsmodels uses scipy's norm.sf).
    np.testing.assert_allclose(stats.p_values, expected.pvalues, rtol=1e-6, atol=1e-300)
    np.testing.assert_allclose(stats.confidence_intervals, expected.conf_int(alpha=0.05), rtol=1e-6)
    np.testing.assert_allclose(stats.dispersion, expected.scale, rtol=1e-6)
    np.testing.assert_allclose(stats.pearson_chi2, expected.pearson_chi2, rtol=1e-6)


@pytest.mark.parametrize("name", sorted(FIXED_DISPERSION))
def test_log_likelihood_matches_statsmodels_for_fixed_dispersion_families(name):
    result = fitted(name)
    assert float(result.statistics.dispersion) == 1.0
    np.testing.assert_allclose(result.statistics.log_likelihood, result.statsmodels.llf, rtol=1e-9)


def test_batched_summary_prints_one_statsmodels_table_per_problem():
    # The Poisson batch of test_fit (same shapes and arguments, so its fit compilation is reused).
    x, y, expected = poisson_batch()
    w, *_ = glm.fit(x, y, glm.Poisson())
    table = glm.summary(x, y, glm.Poisson(), w, coefficient_names=["const", "x1", "x2"])
    assert table.statistics.standard_errors.shape == (4, 3)
    sections = str(table).split("\n\n")
    assert len(sections) == 4
    for b, (section, reference) in enumerate(zip(sections, expected, strict=True)):
        lines = section.splitlines()
        assert lines[0] == f"batch member ({b},):"
        assert (
            "GLM family: poisson" in lines[1]
            and "observations: 60" in lines[1]
            and "df residual: 57" in lines[1]
        )
        rows = {line.split()[0]: line.split()[1:] for line in lines[5:]}
        assert list(rows) == ["const", "x1", "x2"]
        for j, values in enumerate(rows.values()):
            coef, std_err, z, p, low, high = map(float, values)
            # The table prints 4 significant digits (3 decimals for z and p).
            np.testing.assert_allclose(
                [coef, std_err, low, high],
                [reference.params[j], reference.bse[j], *reference.conf_int()[j]],
                rtol=1e-3,
                atol=1e-4,
            )
            np.testing.assert_allclose([z, p], [reference.tvalues[j], reference.pvalues[j]], atol=1e-3)
        np.testing.assert_allclose(table.statistics.standard_errors[b], reference.bse, rtol=1e-6)


def test_given_dispersion_scales_the_covariance():
    result = fitted("spector_logit")
    data = result.data
    stats = glm.coefficient_statistics(
        data.model_matrix,
        data.response,
        glm.Bernoulli(),
        result.result.model_coefficients,
        dispersion=2.5,
        alpha=0.1,
    )
    np.testing.assert_allclose(stats.covariance, 2.5 * np.asarray(result.statistics.covariance), rtol=1e-12)
    np.testing.assert_allclose(stats.dispersion, 2.5)
    half_width = np.asarray(stats.confidence_intervals[:, 1] - stats.confidence_intervals[:, 0]) / 2
    np.testing.assert_allclose(half_width, 1.6448536269514722 * np.asarray(stats.standard_errors), rtol=1e-12)


@pytest.mark.parametrize(
    ("arguments", "match"),
    [
        (dict(dispersion="deviance"), "dispersion"),
        (dict(coefficient_names=["a"]), "coefficient_names"),
        (dict(alpha=1.5), "alpha"),
        (dict(model=object()), "model"),
    ],
)
def test_bad_arguments_raise_value_error_naming_them(arguments, match):
    defaults = dict(
        model_matrix=np.eye(3)[:, :2],
        response=np.ones(3),
        model=glm.Poisson(),
        model_coefficients=np.zeros(2),
    )
    with pytest.raises(ValueError, match=match):
        glm.summary(**{**defaults, **arguments})


def test_pearson_dispersion_needs_more_rows_than_columns():
    with pytest.raises(ValueError, match="more rows than columns"):
        glm.coefficient_statistics(np.eye(2), np.ones(2), glm.Normal(), np.zeros(2))
