"""`fit_sparse_path`: warm-started fits along an L1 grid equal separate fits."""

from __future__ import annotations

import numpy as np
import pytest

from probax import glm

TIGHT = 1e-16


@pytest.fixture(scope="module")
def gaussian_data():
    # The same shapes and family as test_fit_sparse's Gaussian problem, so separate fits reuse
    # its compilation when both files run in one process.
    rng = np.random.default_rng(1)
    x = rng.normal(size=(200, 8))
    return x, x @ np.array([1.5, 0.0, 0.0, -2.0, 0.0, 0.5, 0.0, 0.0]) + rng.normal(size=200)


def test_default_grid_starts_at_the_all_zero_solution(gaussian_data):
    x, y = gaussian_data
    path = glm.fit_sparse_path(
        x, y, glm.Normal(), l2_regularizer=3.0, num_l1_regularizers=6, l1_min_ratio=1e-2, tolerance=TIGHT
    )
    assert path.model_coefficients.shape == (6, 8) and path.l1_regularizers.shape == (6,)
    assert bool(np.all(path.is_converged))
    largest = float(glm.largest_useful_l1_regularizer(x, y, glm.Normal()))
    # The grid starts a hair (sqrt(eps)) above the all-zero weight.
    top = largest * (1 + np.sqrt(np.finfo(np.float64).eps))
    np.testing.assert_allclose(path.l1_regularizers, top * np.geomspace(1, 1e-2, 6), rtol=1e-12)
    # The largest useful weight is max |X^T y| for the Normal family at w = 0.
    np.testing.assert_allclose(largest, np.max(np.abs(x.T @ y)), rtol=1e-12)
    assert np.all(np.asarray(path.model_coefficients[0]) == 0)
    nonzeros = (np.asarray(path.model_coefficients) != 0).sum(axis=-1)
    assert nonzeros[-1] > nonzeros[1] > 0
    for l1, coefficients in zip(path.l1_regularizers, path.model_coefficients, strict=True):
        single, *_ = glm.fit_sparse(
            x, y, glm.Normal(), l1_regularizer=l1, l2_regularizer=3.0, tolerance=TIGHT
        )
        np.testing.assert_allclose(coefficients, single, rtol=1e-6, atol=1e-9)


def test_given_grid_and_fewer_iterations_than_cold_starts(gaussian_data):
    x, y = gaussian_data
    # Six values, like the default grid above, so the compiled path is reused.
    grid = np.array([400.0, 200.0, 100.0, 50.0, 25.0, 12.5])
    path = glm.fit_sparse_path(x, y, glm.Normal(), l1_regularizers=grid, tolerance=TIGHT)
    np.testing.assert_allclose(path.l1_regularizers, grid)
    cold = [glm.fit_sparse(x, y, glm.Normal(), l1_regularizer=l1, tolerance=TIGHT) for l1 in grid]
    for warm_coefficients, cold_fit in zip(path.model_coefficients, cold, strict=True):
        np.testing.assert_allclose(warm_coefficients, cold_fit.model_coefficients, rtol=1e-6, atol=1e-9)
    # Warm starts: later fits start next to their answer.
    assert int(np.sum(path.num_iter)) < sum(int(c.num_iter) for c in cold)


@pytest.mark.parametrize(
    ("arguments", "match"),
    [
        (dict(num_l1_regularizers=0), "num_l1_regularizers"),
        (dict(l1_min_ratio=2.0), "l1_min_ratio"),
        (dict(l1_regularizers=3.0), "l1_regularizers"),
        (dict(l1_regularizers=[1.0, -1.0]), "l1_regularizers"),
    ],
)
def test_bad_arguments_raise_value_error_naming_them(arguments, match):
    with pytest.raises(ValueError, match=match):
        glm.fit_sparse_path(np.ones((3, 2)), np.ones(3), glm.Normal(), **arguments)
