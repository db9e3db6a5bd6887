"""A regularization path: `fit_sparse` over a decreasing grid of L1 weights, with warm starts.

The fits run in one `lax.scan`: each starts from the previous solution, which is close to
its own when the grid is fine, so a whole path costs a few times one fit. The default grid
is geometric, from the smallest `l1_regularizer` whose solution is all zeros,
`max_j |d/dw_j (-sum log p)|` at `w = 0` (times `1 + sqrt(eps)`), down to `l1_min_ratio` times that.
"""

from __future__ import annotations

import math
from typing import NamedTuple

import jax
import jax.numpy as jnp
import numpy as np
from jax import lax

from probax._internal.shapes import pad_leading
from probax.glm import _arguments
from probax.glm.family import ExponentialFamily
from probax.glm.fit_sparse import (
    DEFAULT_MAXIMUM_ITERATIONS,
    fit_sparse_loop,
    gradient_and_fisher_information,
    prepare_sparse,
)


class FitSparsePathResult(NamedTuple):
    """The solutions along an L1 path (the grid's axis leads).

    Attributes:
      l1_regularizers: `[K, ...]` the L1 weights, in the order fitted.
      model_coefficients: `[K, ..., p]` the solution at each weight.
      is_converged: `[K]` whether each fit converged.
      num_iter: `[K]` outer iterations each fit took.

    """

    l1_regularizers: jax.Array
    model_coefficients: jax.Array
    is_converged: jax.Array
    num_iter: jax.Array


def largest_useful_l1_regularizer(model_matrix, response, model: ExponentialFamily) -> jax.Array:
    """The smallest `l1_regularizer` for which `fit_sparse`'s solution is all zeros.

    At `w = 0` the L2 term has zero gradient, so zero is optimal exactly when every
    coordinate of the negative log-likelihood's gradient there is at most `l1` in size.

    Args:
      model_matrix: `[..., N, p]`.
      response: `[..., N]`.
      model: the `ExponentialFamily`.

    Returns:
      `[...]` the largest absolute gradient coordinate at zero, per problem.

    Example:
      >>> import numpy as np
      >>> from probax import glm
      >>> x = np.array([[1.0, 0.0], [0.0, 2.0]])
      >>> float(glm.largest_useful_l1_regularizer(x, np.array([3.0, 1.0]), glm.Normal()))
      3.0

    """
    _arguments.check_family(model, "largest_useful_l1_regularizer")
    problem = _arguments.prepare_problem("largest_useful_l1_regularizer", model_matrix, response)
    return _largest_jit(problem, model)


@jax.jit
def _largest_jit(problem, model):
    gradient, _ = gradient_and_fisher_information(problem, jnp.zeros_like(problem.model_coefficients), model)
    return jnp.max(jnp.abs(gradient), axis=-1)


def fit_sparse_path(
    model_matrix,
    response,
    model: ExponentialFamily,
    l1_regularizers=None,
    l2_regularizer=None,
    num_l1_regularizers: int = 20,
    l1_min_ratio: float = 1e-3,
    model_coefficients_start=None,
    tolerance=None,
    maximum_iterations: int | None = None,
    maximum_full_sweeps_per_iteration: int = 1,
    learning_rate=None,
) -> FitSparsePathResult:
    """Solve `fit_sparse`'s problem along a grid of L1 weights, each fit warm-started.

    Args:
      model_matrix: `[..., N, p]`.
      response: `[..., N]`.
      model: the `ExponentialFamily`.
      l1_regularizers: `[K]` (or `[K, ...]` per problem) weights, best given in decreasing
        order; by default a geometric grid of `num_l1_regularizers` values from
        `largest_useful_l1_regularizer` down to `l1_min_ratio` times it.
      l2_regularizer: the L2 weight shared by the whole path; None for 0.
      num_l1_regularizers: size of the default grid.
      l1_min_ratio: smallest over largest weight of the default grid, in (0, 1).
      model_coefficients_start: `[..., p]` start of the first fit; zeros by default.
      tolerance: as in `fit_sparse`.
      maximum_iterations: per fit, as in `fit_sparse` (None: 1000).
      maximum_full_sweeps_per_iteration: as in `fit_sparse`.
      learning_rate: as in `fit_sparse`.

    Returns:
      `FitSparsePathResult(l1_regularizers, model_coefficients, is_converged, num_iter)`.

    Example:
      >>> import numpy as np
      >>> from probax import glm
      >>> rng = np.random.default_rng(0)
      >>> x = rng.normal(size=(200, 4))
      >>> y = x @ np.array([3.0, 0.0, 1.0, 0.0]) + rng.normal(size=200)
      >>> path = glm.fit_sparse_path(x, y, glm.Normal(), num_l1_regularizers=5)
      >>> (np.asarray(path.model_coefficients) != 0).sum(axis=-1).tolist()
      [0, 2, 2, 4, 4]

    """
    caller = "fit_sparse_path"
    _arguments.check_iterations(maximum_iterations, "maximum_iterations", caller)
    _arguments.check_iterations(
        maximum_full_sweeps_per_iteration, "maximum_full_sweeps_per_iteration", caller
    )
    if l1_regularizers is None:
        if not (isinstance(num_l1_regularizers, int) and num_l1_regularizers >= 1):
            raise ValueError(
                f"{caller}: `num_l1_regularizers` must be a positive integer; got {num_l1_regularizers!r}."
            )
        if not 0 < l1_min_ratio < 1:
            raise ValueError(f"{caller}: `l1_min_ratio` must be in (0, 1); got {l1_min_ratio!r}.")
    elif np.ndim(l1_regularizers) < 1:
        raise ValueError(f"{caller}: `l1_regularizers` must have shape [K, ...]; got a scalar.")
    problem, settings = prepare_sparse(
        caller,
        model_matrix,
        response,
        model,
        model_coefficients_start,
        tolerance,
        0.0,
        l2_regularizer,
        learning_rate,
    )
    if l1_regularizers is None:
        # A hair above the all-zero weight (by sqrt(eps)), so that the rounding of two compiled
        # gradient computations cannot leave a coefficient barely non-zero at the top of the grid.
        largest = _largest_jit(problem, model) * (1 + math.sqrt(jnp.finfo(problem.model_matrix.dtype).eps))
        ratios = jnp.geomspace(1.0, l1_min_ratio, num_l1_regularizers, dtype=largest.dtype)
        grid = jnp.einsum("k,...->k...", ratios, largest)
    else:
        _arguments.check_nonnegative(l1_regularizers, "l1_regularizers", caller)
        values = jnp.asarray(l1_regularizers, problem.model_matrix.dtype)
        per_fit = _arguments.aligned_batch_parameter(
            jnp.zeros(values.shape[1:], values.dtype), problem, "l1_regularizers[k]", caller
        )
        grid = jnp.broadcast_to(pad_leading(values, 1 + per_fit.ndim), values.shape[:1] + per_fit.shape)
    cap = DEFAULT_MAXIMUM_ITERATIONS if maximum_iterations is None else maximum_iterations
    return _path_jit(
        problem,
        model,
        grid,
        settings.l2,
        settings.learning_rate,
        settings.tolerance,
        jnp.asarray(cap, jnp.int32),
        jnp.asarray(maximum_full_sweeps_per_iteration, jnp.int32),
    )


@jax.jit
def _path_jit(problem, model, grid, l2, learning_rate, tolerance, maximum_iterations, maximum_sweeps):
    def one_fit(coefficients, l1):
        result = fit_sparse_loop(
            problem._replace(model_coefficients=coefficients),
            model,
            l1,
            l2,
            learning_rate,
            tolerance,
            maximum_iterations,
            maximum_sweeps,
        )
        return result.model_coefficients, result

    _, results = lax.scan(one_fit, problem.model_coefficients, grid)
    return FitSparsePathResult(grid, results.model_coefficients, results.is_converged, results.num_iter)
