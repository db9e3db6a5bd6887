"""Elastic-net GLM fits by proximal Newton with coordinate descent, as `tfp.glm.fit_sparse`.

`fit_sparse` minimizes (TFP's objective, with TFP's scaling: a sum, not a mean, over rows)

    -sum_i log p(y_i | x_i, w) + l1_regularizer ||w||_1 + l2_regularizer ||w||_2**2

over the coefficients `w`. Every coefficient is penalized, an intercept column's too, as in
TFP. Each outer iteration works as GLMNet does: at the current
`w` it takes the gradient `g` of the negative log-likelihood and the Fisher information
`H = X^T diag(grad_mean**2 / variance) X` (the expected Hessian), and minimizes the model

    g^T d + d^T H d / 2 + l1 ||w + d||_1 + l2 ||w + d||**2

by cyclic coordinate descent with soft-thresholding. The sweeps run on `H` itself
("covariance updates": `H d` is kept up to date), so a sweep costs O(p**2), not O(N p).
The step `w + d` is then taken. A coordinate's update is damped by `learning_rate`:
`w_j <- soft_threshold(w_j - learning_rate * slope_j / curvature_j, learning_rate * l1 / curvature_j)`.
"""

from __future__ import annotations

from typing import NamedTuple

import jax
import jax.numpy as jnp
from jax import lax

from probax.glm import _arguments
from probax.glm.family import ExponentialFamily

# TFP's default of a single outer iteration rarely converges; this cap only guards against
# a fit that never settles.
DEFAULT_MAXIMUM_ITERATIONS = 1000


class FitSparseResult(NamedTuple):
    """What `fit_sparse` returns, in TFP's order (it unpacks as a 3-tuple).

    Attributes:
      model_coefficients: fitted coefficients, `batch_shape + [p]`.
      is_converged: bool scalar, True when the last outer step was small for the whole batch.
      num_iter: int32 scalar, the number of outer (proximal Newton) iterations.

    """

    model_coefficients: jax.Array
    is_converged: jax.Array
    num_iter: jax.Array


def default_tolerance(dtype) -> float:
    """`fit_sparse`'s default `tolerance`: steps below `sqrt(tolerance) (1 + ||w||)` mean converged.

    1e-12 (relative steps of 1e-6) in float64, 1e-8 (1e-4) in lower precisions, whose
    rounding of the Fisher information would stall a tighter test.
    """
    return 1e-12 if jnp.dtype(dtype) == jnp.float64 else 1e-8


def soft_threshold(x, threshold):
    """`sign(x) * max(|x| - threshold, 0)`, the proximal operator of `threshold * |x|`.

    Example:
      >>> soft_threshold(jnp.array([-3.0, 0.5, 2.0]), 1.0).tolist()
      [-2.0, 0.0, 1.0]

    """
    return jnp.sign(x) * jnp.maximum(jnp.abs(x) - threshold, 0)


def gradient_and_fisher_information(problem: _arguments.Problem, coefficients, model, columns=None):
    """Gradient of `-sum log p` and the Fisher information `X^T diag(d) X` at `coefficients`.

    Rows where the family gives a zero or non-finite `grad_mean`, or a non-positive or
    non-finite variance, contribute nothing (TFP's rule). `columns` is the model matrix
    transposed (`_arguments.transpose_model_matrix`), formed once per fit; None forms it here.
    """
    columns = _arguments.transpose_model_matrix(problem.model_matrix) if columns is None else columns
    mean, variance, grad_mean = model(jnp.einsum("...in,...i->...n", columns, coefficients))
    is_valid = jnp.isfinite(grad_mean) & (grad_mean != 0) & jnp.isfinite(variance) & (variance > 0)
    safe_variance = jnp.where(is_valid, variance, 1)
    score_weight = jnp.where(is_valid, (problem.response - mean) * grad_mean / safe_variance, 0)
    fisher_weight = jnp.where(is_valid, jnp.square(grad_mean) / safe_variance, 0)
    gradient = -jnp.einsum("...in,...n->...i", columns, score_weight)
    fisher = jnp.einsum("...in,...jn->...ij", columns * fisher_weight[..., None, :], columns)
    return gradient, fisher


def _coordinate_sweep(gradient, fisher, coefficients, update, fisher_update, l1, l2, learning_rate):
    """One cyclic pass of coordinate descent on the penalized quadratic model; `fisher_update = H d`."""

    def one_coordinate(j, carry):
        update, fisher_update = carry
        curvature = fisher[..., j, j] + 2 * l2
        value = coefficients[..., j] + update[..., j]
        slope = gradient[..., j] + fisher_update[..., j] + 2 * l2 * value
        # A coordinate with no curvature (an all-zero column and no l2) is left where it is.
        has_curvature = curvature > 0
        safe_curvature = jnp.where(has_curvature, curvature, 1)
        step_size = learning_rate / safe_curvature
        moved = soft_threshold(value - step_size * slope, step_size * l1)
        delta = jnp.where(has_curvature, moved - value, 0)
        update = update.at[..., j].add(delta)
        return update, fisher_update + delta[..., None] * fisher[..., :, j]

    return lax.fori_loop(0, gradient.shape[-1], one_coordinate, (update, fisher_update))


class _StepResult(NamedTuple):
    model_coefficients: jax.Array
    step_norm: jax.Array
    inner_converged: jax.Array
    num_sweeps: jax.Array


def _proximal_newton_step(
    problem, model, coefficients, l1, l2, learning_rate, tolerance, maximum_sweeps, columns=None
):
    """Minimize the penalized quadratic model at `coefficients` by sweeps; take the step."""
    gradient, fisher = gradient_and_fisher_information(problem, coefficients, model, columns)
    bound = jnp.sqrt(tolerance) * (1 + jnp.linalg.norm(coefficients, axis=-1))

    def keep_sweeping(state):
        sweeps, converged, _, _ = state
        return (sweeps < maximum_sweeps) & ~converged

    def sweep(state):
        sweeps, _, update, fisher_update = state
        new_update, new_fisher_update = _coordinate_sweep(
            gradient, fisher, coefficients, update, fisher_update, l1, l2, learning_rate
        )
        converged = jnp.all(jnp.linalg.norm(new_update - update, axis=-1) < bound)
        return sweeps + 1, converged, new_update, new_fisher_update

    zeros = jnp.zeros_like(coefficients)
    sweeps, converged, update, _ = lax.while_loop(
        keep_sweeping, sweep, (jnp.zeros((), jnp.int32), jnp.zeros((), bool), zeros, zeros)
    )
    step_norm = jnp.linalg.norm(update, axis=-1)
    return _StepResult(coefficients + update, step_norm / bound, converged, sweeps)


def fit_sparse_loop(problem, model, l1, l2, learning_rate, tolerance, maximum_iterations, maximum_sweeps):
    """The outer loop of `fit_sparse` on an aligned problem (traceable; used by the path too)."""
    columns = _arguments.transpose_model_matrix(problem.model_matrix)

    def keep_going(state):
        _, converged, iterations = state
        finite = jnp.all(jnp.isfinite(state[0]))
        return ~converged & (iterations < maximum_iterations) & finite

    def iterate(state):
        coefficients, _, iterations = state
        result = _proximal_newton_step(
            problem, model, coefficients, l1, l2, learning_rate, tolerance, maximum_sweeps, columns
        )
        converged = jnp.all(result.step_norm < 1)
        return result.model_coefficients, converged, iterations + 1

    start = (problem.model_coefficients, jnp.zeros((), bool), jnp.zeros((), jnp.int32))
    coefficients, converged, iterations = lax.while_loop(keep_going, iterate, start)
    return FitSparseResult(coefficients, converged, iterations)


_fit_sparse_jit = jax.jit(fit_sparse_loop)


class SparseSettings(NamedTuple):
    """The aligned penalties and controls of a sparse fit."""

    l1: jax.Array
    l2: jax.Array
    learning_rate: jax.Array
    tolerance: jax.Array


def prepare_sparse(
    caller,
    model_matrix,
    response,
    model,
    model_coefficients_start,
    tolerance,
    l1_regularizer,
    l2_regularizer,
    learning_rate,
    l1_trailing=(),
):
    """Validate and align a sparse fit's problem and settings (shared with the path)."""
    _arguments.check_family(model, caller)
    if l1_regularizer is None:
        raise ValueError(f"{caller}: `l1_regularizer` is required (a non-negative (batch of) scalar).")
    for value, argument in (
        (l1_regularizer, "l1_regularizer"),
        (l2_regularizer, "l2_regularizer"),
        (tolerance, "tolerance"),
    ):
        _arguments.check_nonnegative(value, argument, caller)
    problem = _arguments.prepare_problem(caller, model_matrix, response, model_coefficients_start)
    dtype = problem.model_matrix.dtype

    def batch(value, argument, default, trailing=()):
        value = default if value is None else value
        return _arguments.aligned_batch_parameter(value, problem, argument, caller, trailing)

    settings = SparseSettings(
        l1=batch(l1_regularizer, "l1_regularizer", 0.0, l1_trailing),
        l2=batch(l2_regularizer, "l2_regularizer", 0.0),
        learning_rate=batch(learning_rate, "learning_rate", 1.0),
        tolerance=jnp.asarray(default_tolerance(dtype) if tolerance is None else tolerance, dtype),
    )
    return problem, settings


def fit_sparse_one_step(
    model_matrix,
    response,
    model: ExponentialFamily,
    model_coefficients_start=None,
    tolerance=None,
    l1_regularizer=None,
    l2_regularizer=None,
    maximum_full_sweeps=None,
    learning_rate=None,
    name=None,
) -> FitSparseResult:
    """One outer iteration of `fit_sparse`: coordinate-descent sweeps on the model, then the step.

    Args:
      model_matrix: `[..., N, p]` float matrix, one row per observation.
      response: `[..., N]` observed responses.
      model: the `ExponentialFamily`; its sufficient statistic must be the response.
      model_coefficients_start: `[..., p]` coefficients to step from; zeros by default.
      tolerance: sweeps stop once one changes the step by less than
        `sqrt(tolerance) * (1 + ||model_coefficients_start||)`; `default_tolerance(dtype)` by default.
      l1_regularizer: non-negative (batch of) scalar weight of `||w||_1` (required).
      l2_regularizer: non-negative (batch of) scalar weight of `||w||_2**2`; None for 0.
      maximum_full_sweeps: cap on the coordinate-descent sweeps; None for 1, as in TFP.
      learning_rate: (batch of) scalar damping of the coordinate steps; None for 1.
      name: unused; kept for TFP's signature.

    Returns:
      `FitSparseResult(model_coefficients, is_converged, num_iter)`, where `is_converged`
      says the last sweep changed the step by less than the bound, and `num_iter` counts the
      coordinate updates made (sweeps times p), as in TFP.

    Example:
      >>> import numpy as np
      >>> from probax import glm
      >>> x = np.array([[1.0, 0.0], [0.0, 1.0], [1.0, 1.0]])
      >>> w, is_converged, num_iter = glm.fit_sparse_one_step(
      ...     x, np.array([2.0, 0.1, 2.1]), glm.Normal(), l1_regularizer=1.0, maximum_full_sweeps=50)
      >>> [round(float(v), 3) for v in w]
      [1.55, 0.0]

    """
    del name
    caller = "fit_sparse_one_step"
    _arguments.check_iterations(maximum_full_sweeps, "maximum_full_sweeps", caller)
    problem, settings = prepare_sparse(
        caller,
        model_matrix,
        response,
        model,
        model_coefficients_start,
        tolerance,
        l1_regularizer,
        l2_regularizer,
        learning_rate,
    )
    sweeps = 1 if maximum_full_sweeps is None else maximum_full_sweeps
    return _one_step_jit(problem, model, settings, jnp.asarray(sweeps, jnp.int32))


@jax.jit
def _one_step_jit(problem, model, settings, maximum_sweeps):
    result = _proximal_newton_step(
        problem,
        model,
        problem.model_coefficients,
        settings.l1,
        settings.l2,
        settings.learning_rate,
        settings.tolerance,
        maximum_sweeps,
    )
    num_updates = result.num_sweeps * problem.model_matrix.shape[-1]
    return FitSparseResult(result.model_coefficients, result.inner_converged, num_updates)


def fit_sparse(
    model_matrix,
    response,
    model: ExponentialFamily,
    model_coefficients_start=None,
    tolerance=None,
    l1_regularizer=None,
    l2_regularizer=None,
    maximum_iterations: int | None = None,
    maximum_full_sweeps_per_iteration: int = 1,
    learning_rate=None,
    name=None,
) -> FitSparseResult:
    """Fit an L1/L2-penalized GLM by proximal Newton with coordinate descent (`tfp.glm.fit_sparse`).

    Minimizes `-sum_i log p(y_i | x_i, w) + l1_regularizer ||w||_1 + l2_regularizer ||w||_2**2`
    (a sum over rows, as TFP; note that `fit`'s `l2_regularizer` enters its objective halved).
    See the module docstring for the algorithm. In scikit-learn's terms, with `n` rows and no
    intercept: `ElasticNet(alpha, l1_ratio)` is `glm.Normal()` with
    `l1_regularizer = n * alpha * l1_ratio` and `l2_regularizer = n * alpha * (1 - l1_ratio) / 2`;
    `LogisticRegression(C, l1_ratio)` is `glm.Bernoulli()` with `l1_regularizer = l1_ratio / C`
    and `l2_regularizer = (1 - l1_ratio) / (2 C)`.

    Unlike TFP, every argument after `model` has a default that gives a converged answer on
    well-posed problems: zeros to start, a dtype-dependent `tolerance` and up to 1000 outer
    iterations. Convergence means the last outer step moved the coefficients by less than
    `sqrt(tolerance) * (1 + ||w||)` (with one sweep per iteration, TFP's rule).

    Args:
      model_matrix: `[..., N, p]` float matrix, one row per observation.
      response: `[..., N]` observed responses.
      model: the `ExponentialFamily`; its sufficient statistic must be the response
        (not the LogNormal families).
      model_coefficients_start: `[..., p]` starting coefficients; zeros by default.
      tolerance: convergence threshold (see above); `default_tolerance(dtype)` by default:
        1e-12 in float64, 1e-8 in float32.
      l1_regularizer: non-negative (batch of) scalar weight of `||w||_1` (required; keyword
        use as in TFP's examples).
      l2_regularizer: non-negative (batch of) scalar weight of `||w||_2**2`; None for 0.
      maximum_iterations: cap on outer iterations; None for 1000 (TFP: 1).
      maximum_full_sweeps_per_iteration: coordinate-descent sweeps per outer iteration
        (each O(p**2)); more sweeps solve each Newton model more exactly, so fewer of the
        O(N p**2) Fisher information evaluations are needed.
      learning_rate: (batch of) scalar damping of the coordinate steps; None for 1.
      name: unused; kept for TFP's signature.

    Returns:
      `FitSparseResult(model_coefficients, is_converged, num_iter)` (TFP's three results).

    Raises:
      ValueError: on shapes that do not fit together, a missing or negative
        `l1_regularizer`, a negative `l2_regularizer` or `tolerance`, or a `model` that is
        not a family.

    Example:
      >>> import numpy as np
      >>> from probax import glm
      >>> rng = np.random.default_rng(0)
      >>> x = rng.normal(size=(500, 5))
      >>> y = rng.binomial(1, 1 / (1 + np.exp(-x @ np.array([2.0, 0.0, 0.0, -1.0, 0.0]))))
      >>> w, is_converged, num_iter = glm.fit_sparse(
      ...     model_matrix=x, response=y, l1_regularizer=10., l2_regularizer=1., model=glm.Bernoulli())
      >>> bool(is_converged), (np.abs(np.asarray(w)) > 0).tolist()
      (True, [True, False, False, True, False])

    """
    del name
    caller = "fit_sparse"
    _arguments.check_iterations(maximum_iterations, "maximum_iterations", caller)
    _arguments.check_iterations(
        maximum_full_sweeps_per_iteration, "maximum_full_sweeps_per_iteration", caller
    )
    problem, settings = prepare_sparse(
        caller,
        model_matrix,
        response,
        model,
        model_coefficients_start,
        tolerance,
        l1_regularizer,
        l2_regularizer,
        learning_rate,
    )
    cap = DEFAULT_MAXIMUM_ITERATIONS if maximum_iterations is None else maximum_iterations
    return _fit_sparse_jit(
        problem,
        model,
        settings.l1,
        settings.l2,
        settings.learning_rate,
        settings.tolerance,
        jnp.asarray(cap, jnp.int32),
        jnp.asarray(maximum_full_sweeps_per_iteration, jnp.int32),
    )
