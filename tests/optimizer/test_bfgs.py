import functools

import jax
import jax.numpy as jnp
import numpy as np
import pytest

from probax import optimizer
from tests.optimizer import support

GRADIENT_TOLERANCE = 1e-5  # scipy's default gtol; both sides stop on max|gradient|
STARTS_2D = np.array([[-1.2, 1.0], [2.0, 2.0], [0.0, 0.0], [-1.5, 2.5]])


@functools.cache
def bfgs_2d_vmapped():
    """One compiled BFGS on Rosenbrock 2-d, mapped over starts and per-start iteration limits."""

    def run(start, max_iterations):
        return optimizer.bfgs_minimize(
            support.rosenbrock_value_and_gradient,
            start,
            tolerance=GRADIENT_TOLERANCE,
            max_iterations=max_iterations,
        )

    return jax.jit(jax.vmap(run))


def run_vmapped(starts, max_iterations):
    limits = jnp.broadcast_to(jnp.asarray(max_iterations, jnp.int32), (len(starts),))
    return bfgs_2d_vmapped()(jnp.asarray(starts, jnp.float64), limits)


def test_rosenbrock_2d_matches_scipy_bfgs_from_several_starts():
    results = run_vmapped(STARTS_2D, 1000)
    assert isinstance(results, optimizer.BfgsOptimizerResults)
    bound = support.position_error_bound(2, GRADIENT_TOLERANCE)
    for i, start in enumerate(STARTS_2D):
        reference = support.scipy_rosenbrock("BFGS", start, GRADIENT_TOLERANCE)
        ours = (int(results.num_iterations[i]), int(results.num_objective_evaluations[i]))
        # Measured (iterations, evaluations) from (-1.2, 1): probax (39, 50), scipy BFGS (32, 39).
        message = f"start {start}: probax {ours} vs scipy BFGS ({reference.nit}, {reference.nfev})"
        assert bool(results.converged[i]) and not bool(results.failed[i]), message
        assert np.max(np.abs(results.position[i] - 1.0)) <= bound, message
        assert ours[0] <= 2 * reference.nit and ours[1] <= 2 * reference.nfev, message
        # BFGS keeps its estimate symmetric positive definite.
        estimate = np.asarray(results.inverse_hessian_estimate[i])
        np.testing.assert_allclose(estimate, estimate.T, rtol=1e-12, atol=0)
        assert np.linalg.eigvalsh(estimate)[0] > 0


def test_first_update_satisfies_the_secant_condition():
    start = STARTS_2D[0]
    after_one = run_vmapped(STARTS_2D, 1)
    gradient_at_start = support.rosenbrock_value_and_gradient(jnp.asarray(start))[1]
    step = np.asarray(after_one.position[0]) - start
    gradient_change = np.asarray(after_one.objective_gradient[0] - gradient_at_start)
    estimate = np.asarray(after_one.inverse_hessian_estimate[0])
    np.testing.assert_allclose(estimate @ gradient_change, step, rtol=1e-10, atol=1e-14)


def test_rosenbrock_100d_matches_scipy_bfgs():
    start = support.rosenbrock_start(100)
    results = jax.jit(
        lambda x: optimizer.bfgs_minimize(
            support.rosenbrock_value_and_gradient, x, tolerance=GRADIENT_TOLERANCE, max_iterations=2000
        )
    )(jnp.asarray(start))
    reference = support.scipy_rosenbrock("BFGS", start, GRADIENT_TOLERANCE)
    ours = (int(results.num_iterations), int(results.num_objective_evaluations))
    # Measured: probax 603 iterations / 673 evaluations, scipy BFGS 546 / 647.
    message = f"probax {ours} vs scipy BFGS ({reference.nit}, {reference.nfev})"
    assert bool(results.converged) and not bool(results.failed), message
    assert np.max(np.abs(results.position - 1.0)) <= support.position_error_bound(100, GRADIENT_TOLERANCE)
    assert ours[0] <= 2 * reference.nit and ours[1] <= 2 * reference.nfev, message
    assert results.inverse_hessian_estimate.shape == (100, 100)


def test_rosenbrock_2d_float32_converges():
    # float32 rounds the gradient near the optimum at about 400 * eps (the 400 x (x^2 - y) term),
    # so the gradient tolerance sits a few times above that.
    tolerance = 1e3 * np.finfo(np.float32).eps
    results = jax.jit(
        lambda x: optimizer.bfgs_minimize(
            support.rosenbrock_value_and_gradient, x, tolerance=tolerance, max_iterations=200
        )
    )(jnp.asarray(support.rosenbrock_start(2), jnp.float32))
    assert bool(results.converged) and not bool(results.failed)
    for field in ("position", "objective_value", "objective_gradient", "inverse_hessian_estimate"):
        assert getattr(results, field).dtype == jnp.float32, field
    assert np.max(np.abs(results.position - 1.0)) <= support.position_error_bound(2, tolerance)


def test_logistic_map_matches_scipy():
    features, labels = support.logistic_data()
    reference, numpy_objective = support.scipy_logistic_map(features, labels, "BFGS")
    results = jax.jit(
        lambda x: optimizer.bfgs_minimize(
            support.logistic_map_objective(features, labels), x, tolerance=1e-9, max_iterations=200
        )
    )(jnp.zeros(features.shape[1]))
    assert bool(results.converged) and not bool(results.failed)
    # The prior makes the Hessian >= 1/PRIOR_SCALE^2, so |w - w*|_2 <= PRIOR_SCALE^2 |gradient|_2,
    # about 1e-8 for both runs: 1e-6 has a wide margin.
    np.testing.assert_allclose(results.position, reference.x, rtol=0, atol=1e-6)
    np.testing.assert_allclose(results.objective_value, reference.fun, rtol=1e-12)
    # A step that leaves the objective unchanged also counts as converged (TFP's test with
    # f_absolute_tolerance=0); near the optimum f - f* >= |g|^2 / (2 lambda_max), so f stops
    # resolving progress once |g| < sqrt(2 lambda_max eps |f|).
    eps = np.finfo(float).eps
    resolution = np.sqrt(2 * support.logistic_map_hessian_norm(features) * eps * reference.fun)
    gradient = numpy_objective(np.asarray(results.position))[1]
    assert np.max(np.abs(gradient)) <= max(1e-9, resolution)


def test_batched_starts_with_the_exact_inverse_hessian_take_one_newton_step():
    rng = np.random.default_rng(1)
    factor = rng.normal(size=(4, 4))
    hessian = factor @ factor.T + 4 * np.eye(4)
    center = rng.normal(size=4)

    def value_and_gradient(x):
        difference = x - center
        return 0.5 * jnp.sum(difference * (difference @ hessian), axis=-1), difference @ hessian

    # Two members start with the exact inverse Hessian (a Newton step lands on the center), the
    # third with the identity; the batch axis of the estimates must follow the starts'.
    estimates = np.stack([np.linalg.inv(hessian), np.linalg.inv(hessian), np.eye(4)])
    results = jax.jit(
        lambda starts, estimates: optimizer.bfgs_minimize(
            value_and_gradient,
            starts,
            initial_inverse_hessian_estimate=estimates,
            scale_initial_inverse_hessian=False,
            max_iterations=1,
        )
    )(jnp.asarray(rng.normal(size=(3, 4))), jnp.asarray(estimates))
    np.testing.assert_array_equal(results.converged, [True, True, False])
    assert int(results.num_iterations) == 1
    np.testing.assert_allclose(results.position[:2], np.stack([center, center]), rtol=0, atol=1e-10)
    assert results.inverse_hessian_estimate.shape == (3, 4, 4)


@pytest.mark.parametrize(
    ("estimate", "match"),
    [
        ([[1.0, 0.5], [0.0, 1.0]], "must be symmetric"),
        (-np.eye(2), "must be positive definite"),
        (np.eye(3), "must have shape"),
    ],
    ids=["asymmetric", "negative_definite", "wrong_shape"],
)
def test_bad_initial_inverse_hessian_is_named(estimate, match):
    with pytest.raises(ValueError, match=f"initial_inverse_hessian_estimate {match}"):
        optimizer.bfgs_minimize(
            support.rosenbrock_value_and_gradient, jnp.zeros(2), initial_inverse_hessian_estimate=estimate
        )


def test_scalar_initial_position_is_named():
    with pytest.raises(ValueError, match="initial_position"):
        optimizer.bfgs_minimize(support.rosenbrock_value_and_gradient, 1.0)
