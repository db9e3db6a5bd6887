"""Standard errors, tests, intervals and the printed table against statsmodels' GLM results."""

from __future__ import annotations

import numpy as np
import pytest
import scipy.stats

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


def test_batched_summary_with_a_given_dispersion_prints_one_table_per_problem():
    # The Poisson batch of test_fit (same shapes and arguments, so its fit compilation is reused).
    # A given dispersion scales statsmodels' (unit-dispersion) covariance; alpha = 0.1 gives 90% intervals.
    x, y, expected = poisson_batch()
    w, *_ = glm.fit(x, y, glm.Poisson())
    table = glm.summary(
        x, y, glm.Poisson(), w, dispersion=2.5, coefficient_names=["const", "x1", "x2"], alpha=0.1
    )
    stats = table.statistics
    assert stats.standard_errors.shape == (4, 3)
    sections = str(table).split("\n\n")
    assert len(sections) == 4
    for b, (section, reference) in enumerate(zip(sections, expected, strict=True)):
        np.testing.assert_allclose(stats.covariance[b], 2.5 * reference.cov_params(), rtol=1e-6)
        std_err = np.sqrt(2.5) * reference.bse
        low, high = (
            reference.params - 1.6448536269514722 * std_err,
            reference.params + 1.6448536269514722 * std_err,
        )
        np.testing.assert_allclose(stats.confidence_intervals[b], np.stack([low, high], -1), rtol=1e-6)
        lines = section.splitlines()
        assert lines[0] == f"batch member ({b},):"
        assert (
            "GLM family: poisson" in lines[1]
            and "observations: 60" in lines[1]
            and "df residual: 57" in lines[1]
        )
        assert lines[2].startswith("dispersion: 2.5 (given)")
        assert "[0.050" in lines[3] and "0.950]" in lines[3]
        rows = {line.split()[0]: line.split()[1:] for line in lines[5:]}
        assert list(rows) == ["const", "x1", "x2"]
        for j, values in enumerate(rows.values()):
            coef, printed_std_err, z, p, printed_low, printed_high = map(float, values)
            # The table prints 4 significant digits (3 decimals for z and p).
            np.testing.assert_allclose(
                [coef, printed_std_err, printed_low, printed_high],
                [reference.params[j], std_err[j], low[j], high[j]],
                rtol=1e-3,
                atol=1e-4,
            )
            z_expected = reference.params[j] / std_err[j]
            np.testing.assert_allclose(
                [z, p], [z_expected, 2 * scipy.stats.norm.sf(abs(z_expected))], atol=1e-3
            )


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
