import functools

import jax
import jax.numpy as jnp
import numpy as np
import pytest

from probax import optimizer
from tests.optimizer import support

GRADIENT_TOLERANCE = 1e-5  # scipy's default gtol; both sides stop on max|gradient|
STARTS_2D = np.array([[-1.2, 1.0], [2.0, 2.0], [0.0, 0.0], [-1.5, 2.5]])

# Compilation dominates these tests, so a few compiled runs are shared: a vmapped one
# (independent problems, per-problem iteration limits) and a TFP-batched one.
# Vmapped, TFP-batched and resumed runs do the same arithmetic in different operation orders;
# the rounding differences, amplified over a few dozen Rosenbrock iterations, stay near 1e-11,
# far below what a wrong member mapping or a frozen member moving would cause (1e-2 and up).
SAME_RUN_ATOL = 1e-8


@functools.cache
def lbfgs_2d_vmapped():
    def run(start, max_iterations):
        return optimizer.lbfgs_minimize(
            support.rosenbrock_value_and_gradient,
            start,
            tolerance=GRADIENT_TOLERANCE,
            max_iterations=max_iterations,
        )

    return jax.jit(jax.vmap(run))


@functools.cache
def lbfgs_2d_batched():
    # `use_any` picks converged_any over converged_all at run time: one compilation for both.
    def run(starts, max_iterations, use_any):
        def stopping_condition(converged, failed):
            any_ = optimizer.converged_any(converged, failed)
            return jnp.where(use_any, any_, optimizer.converged_all(converged, failed))

        return optimizer.lbfgs_minimize(
            support.rosenbrock_value_and_gradient,
            starts,
            tolerance=GRADIENT_TOLERANCE,
            max_iterations=max_iterations,
            stopping_condition=stopping_condition,
        )

    return jax.jit(run)


def run_vmapped(starts, max_iterations):
    limits = jnp.broadcast_to(jnp.asarray(max_iterations, jnp.int32), (len(starts),))
    return lbfgs_2d_vmapped()(jnp.asarray(starts, jnp.float64), limits)


def run_batched(starts, max_iterations, stopping_condition):
    use_any = jnp.asarray(stopping_condition is optimizer.converged_any)
    return lbfgs_2d_batched()(jnp.asarray(starts, jnp.float64), jnp.int32(max_iterations), use_any)


def test_rosenbrock_2d_matches_scipy_lbfgs_b_from_several_starts():
    results = run_vmapped(STARTS_2D, 1000)
    assert isinstance(results, optimizer.LBfgsOptimizerResults)
    bound = support.position_error_bound(2, GRADIENT_TOLERANCE)
    for i, start in enumerate(STARTS_2D):
        reference = support.scipy_rosenbrock("L-BFGS-B", start, GRADIENT_TOLERANCE)
        ours = (int(results.num_iterations[i]), int(results.num_objective_evaluations[i]))
        # Measured (iterations, evaluations) from (-1.2, 1): probax (35, 46), scipy L-BFGS-B (37, 45).
        message = f"start {start}: probax {ours} vs scipy L-BFGS-B ({reference.nit}, {reference.nfev})"
        assert bool(results.converged[i]) and not bool(results.failed[i]), message
        assert np.max(np.abs(results.position[i] - 1.0)) <= bound, message
        assert ours[0] <= 2 * reference.nit and ours[1] <= 2 * reference.nfev, message


def test_rosenbrock_100d_matches_scipy_lbfgs_b():
    start = support.rosenbrock_start(100)
    run = jax.jit(
        lambda x: optimizer.lbfgs_minimize(
            support.rosenbrock_value_and_gradient, x, tolerance=GRADIENT_TOLERANCE, max_iterations=2000
        )
    )
    results = run(jnp.asarray(start))
    reference = support.scipy_rosenbrock("L-BFGS-B", start, GRADIENT_TOLERANCE)
    ours = (int(results.num_iterations), int(results.num_objective_evaluations))
    # Measured: probax 525 iterations / 618 evaluations, scipy L-BFGS-B 518 / 619.
    message = f"probax {ours} vs scipy L-BFGS-B ({reference.nit}, {reference.nfev})"
    assert bool(results.converged) and not bool(results.failed), message
    assert np.max(np.abs(results.position - 1.0)) <= support.position_error_bound(100, GRADIENT_TOLERANCE)
    assert ours[0] <= 2 * reference.nit and ours[1] <= 2 * reference.nfev, message
    assert results.position_deltas.shape == (10, 100)


def test_rosenbrock_2d_float32_converges():
    # float32 rounds the gradient near the optimum at about 400 * eps (the 400 x (x^2 - y) term),
    # so the gradient tolerance sits a few times above that.
    tolerance = 1e3 * np.finfo(np.float32).eps
    results = jax.jit(
        lambda x: optimizer.lbfgs_minimize(
            support.rosenbrock_value_and_gradient, x, tolerance=tolerance, max_iterations=200
        )
    )(jnp.asarray(support.rosenbrock_start(2), jnp.float32))
    assert bool(results.converged) and not bool(results.failed)
    for field in ("position", "objective_value", "objective_gradient", "position_deltas", "gradient_deltas"):
        assert getattr(results, field).dtype == jnp.float32, field
    assert np.max(np.abs(results.position - 1.0)) <= support.position_error_bound(2, tolerance)


def test_logistic_map_matches_scipy():
    features, labels = support.logistic_data()
    reference, numpy_objective = support.scipy_logistic_map(features, labels, "L-BFGS-B")
    results = jax.jit(
        lambda x: optimizer.lbfgs_minimize(
            support.logistic_map_objective(features, labels), x, tolerance=1e-9, max_iterations=200
        )
    )(jnp.zeros(features.shape[1]))
    assert bool(results.converged) and not bool(results.failed)
    # The prior makes the Hessian >= 1/PRIOR_SCALE^2, so |w - w*|_2 <= PRIOR_SCALE^2 |gradient|_2:
    # our 1e-9 gives ~1e-8; scipy's L-BFGS-B stops at a gradient near 1e-7 (its Armijo test
    # cannot resolve smaller decreases of an objective near 100), which still meets 1e-6.
    np.testing.assert_allclose(results.position, reference.x, rtol=0, atol=1e-6)
    np.testing.assert_allclose(results.objective_value, reference.fun, rtol=1e-12)
    # A step that leaves the objective unchanged also counts as converged (TFP's test with
    # f_absolute_tolerance=0); near the optimum f - f* >= |g|^2 / (2 lambda_max), so f stops
    # resolving progress once |g| < sqrt(2 lambda_max eps |f|).
    eps = np.finfo(float).eps
    resolution = np.sqrt(2 * support.logistic_map_hessian_norm(features) * eps * reference.fun)
    gradient = numpy_objective(np.asarray(results.position))[1]
    assert np.max(np.abs(gradient)) <= max(1e-9, resolution)


def test_tfp_batched_converged_all_matches_independent_runs():
    batched = run_batched(STARTS_2D, 1000, optimizer.converged_all)
    single = run_vmapped(STARTS_2D, 1000)
    assert batched.converged.shape == (4,) and batched.num_iterations.shape == ()
    assert batched.position_deltas.shape == (10, 4, 2)
    assert bool(np.all(batched.converged))
    np.testing.assert_allclose(batched.position, single.position, rtol=0, atol=SAME_RUN_ATOL)
    gradients = batched.objective_gradient
    np.testing.assert_allclose(gradients, single.objective_gradient, rtol=0, atol=SAME_RUN_ATOL)
    # The batch runs until its slowest member is done; one batched call evaluates all members.
    assert int(batched.num_iterations) == int(np.max(single.num_iterations))
    evaluations = np.asarray(single.num_objective_evaluations)
    assert evaluations.max() <= int(batched.num_objective_evaluations) <= evaluations.sum()


def test_tfp_batched_converged_any_stops_with_the_first_member():
    batched = run_batched(STARTS_2D, 1000, optimizer.converged_any)
    single = run_vmapped(STARTS_2D, 1000)
    first = int(np.min(single.num_iterations))
    assert int(batched.num_iterations) == first
    np.testing.assert_array_equal(batched.converged, single.num_iterations == first)
    # The members still running sit where an independent run is after as many iterations.
    stopped_early = run_vmapped(STARTS_2D, first)
    np.testing.assert_allclose(batched.position, stopped_early.position, rtol=0, atol=SAME_RUN_ATOL)
    assert not bool(np.any(batched.failed))


def test_resuming_from_previous_results_continues_the_same_run():
    full = run_batched(STARTS_2D, 1000, optimizer.converged_all)
    partial = run_batched(STARTS_2D, 10, optimizer.converged_all)
    assert not bool(np.any(np.asarray(partial.converged) | np.asarray(partial.failed)))
    resumed = jax.jit(
        lambda previous: optimizer.lbfgs_minimize(
            support.rosenbrock_value_and_gradient,
            previous_optimizer_results=previous,
            tolerance=GRADIENT_TOLERANCE,
            max_iterations=1000,
        )
    )(partial)
    assert int(resumed.num_iterations) == int(full.num_iterations)
    assert int(resumed.num_objective_evaluations) == int(full.num_objective_evaluations)
    np.testing.assert_allclose(resumed.position, full.position, rtol=0, atol=SAME_RUN_ATOL)
    np.testing.assert_array_equal(resumed.converged, full.converged)


def test_correction_pairs_are_the_latest_steps_oldest_first():
    k = 6  # fewer steps than the 10 pairs held, and no start converges this early
    runs = run_vmapped(np.stack([STARTS_2D[0]] * 4), np.array([k, k - 1, k - 2, k]))
    assert not bool(np.any(runs.converged))
    position_deltas, gradient_deltas = runs.position_deltas[0], runs.gradient_deltas[0]
    positions, gradients = runs.position, runs.objective_gradient
    for back in (1, 2):
        np.testing.assert_allclose(position_deltas[-back], positions[back - 1] - positions[back], atol=1e-12)
        np.testing.assert_allclose(gradient_deltas[-back], gradients[back - 1] - gradients[back], atol=1e-9)
    np.testing.assert_array_equal(position_deltas[: 10 - k], 0.0)
    assert np.all(np.sum(position_deltas[10 - k :] * gradient_deltas[10 - k :], axis=-1) > 0)


def test_non_finite_start_fails_and_stays_put():
    starts = STARTS_2D.copy()
    starts[1] = [np.nan, 1.0]
    results = run_vmapped(starts, 1000)
    assert bool(results.failed[1]) and not bool(results.converged[1])
    # probax checks finiteness at the start, so the loop never iterates on it (TFP: one iteration).
    assert int(results.num_iterations[1]) == 0
    assert np.all(np.asarray(results.converged)[[0, 2, 3]])


def test_max_iterations_leaves_neither_converged_nor_failed():
    results = run_vmapped(STARTS_2D, 3)
    np.testing.assert_array_equal(results.num_iterations, 3)
    assert not bool(np.any(np.asarray(results.converged) | np.asarray(results.failed)))


@pytest.mark.parametrize(
    ("kwargs", "error", "match"),
    [
        ({"initial_position": 1.0}, ValueError, "initial_position"),
        ({}, ValueError, "initial_position"),
        ({"initial_position": jnp.zeros(2), "num_correction_pairs": 0}, ValueError, "num_correction_pairs"),
        (
            {"initial_position": jnp.zeros(2), "initial_inverse_hessian_estimate": jnp.eye(2)},
            NotImplementedError,
            "initial_inverse_hessian_estimate",
        ),
    ],
    ids=["scalar_position", "no_position", "zero_pairs", "inverse_hessian"],
)
def test_bad_arguments_raise(kwargs, error, match):
    with pytest.raises(error, match=match):
        optimizer.lbfgs_minimize(support.rosenbrock_value_and_gradient, **kwargs)


def test_objective_with_wrong_shapes_is_named():
    with pytest.raises(ValueError, match="value_and_gradients_function"):
        optimizer.lbfgs_minimize(lambda x: (x, x), jnp.zeros(2))
