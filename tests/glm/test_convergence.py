"""TFP's default Fisher-scoring stopping rule."""

from __future__ import annotations

import numpy as np

from probax import glm


def _converged(criterion, iter_, previous, following):
    return bool(
        criterion(
            is_converged_previous=False,
            iter_=iter_,
            model_coefficients_previous=np.asarray(previous),
            predicted_linear_response_previous=None,
            model_coefficients_next=np.asarray(following),
            predicted_linear_response_next=None,
            response=None,
            model=None,
            dispersion=None,
        )
    )


def test_relative_change_against_tolerance():
    criterion = glm.convergence_criteria_small_relative_norm_weights_change(tolerance=1e-3)
    previous = np.array([3.0, 4.0])  # norm 5: changes are measured against 1 + 5 = 6
    assert _converged(criterion, 1, previous, previous + np.array([0.0, 0.0059]))
    assert not _converged(criterion, 1, previous, previous + np.array([0.0, 0.0061]))


def test_first_step_never_counts_as_converged():
    criterion = glm.convergence_criteria_small_relative_norm_weights_change()
    assert not _converged(criterion, 0, np.zeros(2), np.zeros(2))
    assert _converged(criterion, 1, np.zeros(2), np.zeros(2))


def test_norm_order_and_batches():
    criterion = glm.convergence_criteria_small_relative_norm_weights_change(tolerance=0.1, norm_order=np.inf)
    previous = np.zeros((2, 3))
    small = np.full((2, 3), 0.05)
    assert _converged(criterion, 1, previous, small)
    # Every problem in a batch must have converged.
    assert not _converged(criterion, 1, previous, small + np.array([[0.0, 0.0, 0.0], [0.0, 0.0, 0.1]]))


def test_criteria_compare_by_value_so_jit_reuses_compilations():
    first = glm.convergence_criteria_small_relative_norm_weights_change(1e-6)
    assert first == glm.convergence_criteria_small_relative_norm_weights_change(1e-6)
    assert hash(first) == hash(glm.convergence_criteria_small_relative_norm_weights_change(1e-6))
    assert first != glm.convergence_criteria_small_relative_norm_weights_change(1e-7)
