import functools

import jax
import jax.numpy as jnp
import numpy as np
import pytest
import scipy.optimize

from probax import optimizer
from tests.optimizer import support

# probax's defaults are Gao and Han's adaptive coefficients and initial simplex, i.e. scipy's
# Nelder-Mead with adaptive=True. Tolerances are tight so both runs end at the optimum.
FUNC_TOLERANCE = 1e-14
POSITION_TOLERANCE = 1e-10
TOLERANCES = {"func_tolerance": FUNC_TOLERANCE, "position_tolerance": POSITION_TOLERANCE}
ROSENBROCK_START = support.rosenbrock_start(2)


def scipy_nelder_mead(objective, start):
    options = {"adaptive": True, "fatol": FUNC_TOLERANCE, "xatol": POSITION_TOLERANCE, "maxiter": 5000}
    return scipy.optimize.minimize(objective, start, method="Nelder-Mead", options=options)


@functools.cache
def rosenbrock_from_vertex():
    """One compiled Nelder-Mead on Rosenbrock from a vertex, with the iteration limit an argument."""

    def run(vertex, max_iterations):
        return optimizer.nelder_mead_minimize(
            support.rosenbrock, initial_vertex=vertex, max_iterations=max_iterations, **TOLERANCES
        )

    return jax.jit(run)


def run_rosenbrock(vertex, max_iterations=5000):
    return rosenbrock_from_vertex()(jnp.asarray(vertex, jnp.float64), jnp.int32(max_iterations))


def optimum_bound(smallest_curvature):
    # A vertex whose value is within FUNC_TOLERANCE of the minimum lies within
    # sqrt(2 FUNC_TOLERANCE / lambda_min) of it; the best vertex of a simplex whose values
    # agree to FUNC_TOLERANCE need not be that good, so allow 50 times more.
    return 50 * np.sqrt(2 * FUNC_TOLERANCE / smallest_curvature)


def test_rosenbrock_2d_matches_scipy():
    results = run_rosenbrock(ROSENBROCK_START)
    reference = scipy_nelder_mead(scipy.optimize.rosen, ROSENBROCK_START)
    assert isinstance(results, optimizer.NelderMeadOptimizerResults)
    assert bool(results.converged)
    bound = optimum_bound(np.linalg.eigvalsh(scipy.optimize.rosen_hess(np.ones(2)))[0])
    np.testing.assert_allclose(results.position, 1.0, rtol=0, atol=bound)
    np.testing.assert_allclose(results.position, reference.x, rtol=0, atol=2 * bound)
    # Measured (iterations, evaluations): probax (100, 188), scipy (132, 249).
    ours = (int(results.num_iterations), int(results.num_objective_evaluations))
    assert ours[1] <= 2 * reference.nfev, f"probax {ours} vs scipy ({reference.nit}, {reference.nfev})"
    # The reported value is the objective at the reported position (up to the rounding of
    # y - x^2 near the optimum, ~1e-22 here).
    np.testing.assert_allclose(
        results.objective_value, support.rosenbrock(results.position), rtol=0, atol=1e-20
    )


QUADRATIC_CENTER = np.array([[1.0, -2.0], [0.5, 3.0]])
QUADRATIC_SCALES = np.array([[1.0, 4.0], [9.0, 2.0]])


def quadratic(x):
    # Points are 2 x 2 arrays: the algorithm must work on any point shape. Leading axes are a batch.
    return jnp.sum(QUADRATIC_SCALES * (x - QUADRATIC_CENTER) ** 2, axis=(-2, -1))


def numpy_quadratic(flat):
    return float(np.sum(QUADRATIC_SCALES * (flat.reshape(2, 2) - QUADRATIC_CENTER) ** 2))


def test_quadratic_on_matrix_shaped_points_matches_scipy():
    start = np.zeros((2, 2))
    results = jax.jit(
        lambda v: optimizer.nelder_mead_minimize(quadratic, initial_vertex=v, **TOLERANCES)
    )(jnp.asarray(start))
    reference = scipy_nelder_mead(
        lambda flat: float(quadratic(jnp.asarray(flat.reshape(2, 2)))), start.ravel()
    )
    assert bool(results.converged) and results.position.shape == (2, 2)
    assert results.final_simplex.shape == (5, 2, 2)
    bound = optimum_bound(2.0)  # the smallest curvature, 2 * 1
    np.testing.assert_allclose(results.position, QUADRATIC_CENTER, rtol=0, atol=bound)
    np.testing.assert_allclose(results.position.ravel(), reference.x, rtol=0, atol=2 * bound)


def test_initial_simplex_follows_gao_and_han():
    results = run_rosenbrock(ROSENBROCK_START, max_iterations=0)
    # Each axis step is 5% of the coordinate.
    np.testing.assert_allclose(results.initial_simplex, [[-1.2, 1.0], [-1.26, 1.0], [-1.2, 1.05]], rtol=1e-15)
    assert int(results.num_objective_evaluations) == 3 and int(results.num_iterations) == 0


def test_given_simplex_values_and_batch_evaluation_change_only_the_counts():
    mapped = run_rosenbrock(ROSENBROCK_START)
    simplex, values = mapped.initial_simplex, mapped.initial_objective_values
    from_simplex = jax.jit(
        lambda s, v: optimizer.nelder_mead_minimize(
            support.rosenbrock,
            initial_simplex=s,
            objective_at_initial_simplex=v,
            batch_evaluate_objective=True,
            max_iterations=5000,
            **TOLERANCES,
        )
    )(simplex, values)
    from_vertex_value = jax.jit(
        lambda x, v: optimizer.nelder_mead_minimize(
            support.rosenbrock,
            initial_vertex=x,
            objective_at_initial_vertex=v,
            max_iterations=5000,
            **TOLERANCES,
        )
    )(simplex[0], values[0])
    for other in (from_simplex, from_vertex_value):
        np.testing.assert_allclose(other.final_simplex, mapped.final_simplex, rtol=1e-12)
        assert int(other.num_iterations) == int(mapped.num_iterations)
    assert int(from_simplex.num_objective_evaluations) == int(mapped.num_objective_evaluations) - 3
    assert int(from_vertex_value.num_objective_evaluations) == int(mapped.num_objective_evaluations) - 1


def test_vmap_over_starting_vertices_matches_single_runs():
    starts = np.array([[-1.2, 1.0], [0.5, 2.0], [2.0, -1.0]])
    vmapped = jax.jit(
        jax.vmap(lambda v: optimizer.nelder_mead_minimize(support.rosenbrock, initial_vertex=v, **TOLERANCES))
    )(jnp.asarray(starts))
    for i, start in enumerate(starts):
        single = run_rosenbrock(start)
        np.testing.assert_allclose(vmapped.position[i], single.position, rtol=1e-12)
        assert int(vmapped.num_iterations[i]) == int(single.num_iterations)


def test_max_iterations_stops_without_convergence():
    results = run_rosenbrock(ROSENBROCK_START, max_iterations=5)
    assert int(results.num_iterations) == 5 and not bool(results.converged)


def test_one_step_reflects_the_worst_vertex():
    simplex = jnp.array([[1.0, 1.0], [2.0, 1.0], [1.0, 2.0]])
    values = jnp.array([2.0, 5.0, 6.0])
    _, new_simplex, new_values, evaluations = jax.jit(
        lambda s, v: optimizer.nelder_mead_one_step(s, v, lambda x: jnp.sum(x**2))
    )(simplex, values)
    # The centroid of the two best is (1.5, 1); (1, 2) reflects to (2, 0) with value 4, between
    # the best (2) and the second worst (5): accepted as it is, after one evaluation.
    np.testing.assert_allclose(new_simplex, [[1.0, 1.0], [2.0, 1.0], [2.0, 0.0]])
    np.testing.assert_allclose(new_values, [2.0, 5.0, 4.0])
    assert int(evaluations) == 1


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [
        ({}, "neither"),
        ({"initial_simplex": jnp.eye(3, 2), "initial_vertex": jnp.zeros(2)}, "both"),
        ({"initial_simplex": jnp.eye(3, 2), "step_sizes": 1.0}, "step_sizes"),
        (
            {"initial_vertex": jnp.zeros(2), "objective_at_initial_simplex": jnp.zeros(3)},
            "objective_at_initial_simplex",
        ),
        (
            {"initial_simplex": jnp.eye(3, 2), "objective_at_initial_vertex": 0.0},
            "objective_at_initial_vertex",
        ),
        ({"initial_vertex": jnp.zeros(1)}, "initial_vertex"),
        ({"initial_simplex": jnp.zeros((2, 2))}, "initial_simplex"),
        ({"initial_vertex": jnp.zeros(2), "step_sizes": jnp.ones(3)}, "step_sizes"),
    ],
    ids=[
        "neither",
        "both",
        "steps_with_simplex",
        "values_without_simplex",
        "value_without_vertex",
        "univariate",
        "simplex_shape",
        "step_shape",
    ],
)
def test_bad_arguments_are_named(kwargs, match):
    with pytest.raises(ValueError, match=match):
        optimizer.nelder_mead_minimize(support.rosenbrock, **kwargs)
