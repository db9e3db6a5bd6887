"""Fitting a GLM by Fisher scoring (iteratively reweighted least squares), as `tfp.glm.fit`.

One Fisher scoring step at the linear response `r` (with `mean, variance, grad_mean =
model(r)`) forms per-observation weights and a working response,

    W = grad_mean**2 / (dispersion * variance),    z = r - offset + (y - mean) / grad_mean,

and solves the weighted least-squares problem

    w_next = argmin_w ||W**0.5 (X w - z)||**2 + l2_regularizer ||penalty_factor * w||**2,

i.e. the normal equations `(X^T W X + l2 diag(penalty_factor**2)) w = X^T W z`. At a fixed
point `w` is a stationary point of

    sum_i -log p(y_i | x_i, w) / dispersion + (l2_regularizer / 2) ||penalty_factor * w||**2

for families with sufficient statistic `y` (for the others it solves the corresponding
quasi-likelihood equations). TFP's docstring writes the penalty as `l2_regularizer ||w||**2`
but computes the normal equations above; probax computes the same, so ported code gives
TFP's numbers.

`fast_unsafe_numerics=True` (the default) solves the normal equations by Cholesky, written as
a Newton step `w_next = w + H^{-1} (X^T W z - H w)` with `H = X^T W X + l2 diag(factor**2)`:
the right-hand side (the score) is computed in full precision and `H` is needed only to the
accuracy of the step, so the fixed point is exact even where `H` is not. `fit` therefore
forms `H` of float64 problems in float32 (the `O(N p**2)` product is most of a step's cost),
falls back to float64 when that factor is not finite or its matrix is ill-conditioned
(`LOW_PRECISION_CONDITION_LIMIT`), and keeps a factor while no weight has moved by more than
`FACTOR_REUSE_WEIGHT_CHANGE` since it was formed, refining each such step once against the
current `H` (two passes over `X`). Iterates agree with float64 Fisher scoring to about
float32 accuracy; `fit_one_step` forms `H` in the problem's precision (TFP's step exactly).
`False` solves the least-squares problem by QR of `W**0.5 X` at every step, accurate for
model matrices too ill-conditioned for any Cholesky factor of `H`.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import NamedTuple

import jax
import jax.numpy as jnp
from jax import lax
from jax.scipy.linalg import solve_triangular

from probax.glm import _arguments
from probax.glm.convergence import convergence_criteria_small_relative_norm_weights_change
from probax.glm.family import ExponentialFamily

# `maximum_iterations=None` in TFP means no limit; a finite cap keeps a fit that cycles
# (possible for non-canonical links started far away) from hanging a compiled program.
DEFAULT_MAXIMUM_ITERATIONS = 1000
# Largest (estimated) condition number of the Fisher information for which `fit` keeps its
# single-precision Cholesky factor (for float64 problems); above it the factor is formed again
# in float64. At 1e4 a Newton step is off by at most about 1e-2 of its length.
LOW_PRECISION_CONDITION_LIMIT = 1e4
# `fit` keeps a Cholesky factor of the Fisher information (refining each step once against the
# current information) while no weight has changed by more than this fraction since it was formed.
FACTOR_REUSE_WEIGHT_CHANGE = 0.1


class FitResult(NamedTuple):
    """What `fit` returns, in TFP's order (it unpacks as a 4-tuple).

    Attributes:
      model_coefficients: fitted coefficients, `batch_shape + [p]`.
      predicted_linear_response: `model_matrix @ model_coefficients + offset`, `batch_shape + [N]`.
      is_converged: bool scalar, True when the convergence criterion held for the whole batch.
      num_iter: int32 scalar, the number of Fisher scoring steps taken.

    """

    model_coefficients: jax.Array
    predicted_linear_response: jax.Array
    is_converged: jax.Array
    num_iter: jax.Array


def compute_predicted_linear_response(model_matrix, model_coefficients, offset=None, name=None) -> jax.Array:
    """`model_matrix @ model_coefficients + offset`, batch dimensions broadcast.

    Args:
      model_matrix: `[..., N, p]`.
      model_coefficients: `[..., p]`.
      offset: optional shift broadcasting with `[..., N]`.
      name: unused; kept for TFP's signature.

    Returns:
      The linear response, `[..., N]`.

    Example:
      >>> import jax.numpy as jnp
      >>> compute_predicted_linear_response(jnp.eye(2), jnp.array([1.0, 2.0]), offset=1.0).tolist()
      [2.0, 3.0]

    """
    del name
    problem = _arguments.prepare_problem(
        "compute_predicted_linear_response",
        model_matrix,
        jnp.zeros(jnp.shape(model_matrix)[:-1]),
        model_coefficients,
        offset=offset,
        extra_dtype_sources=(model_coefficients,),
    )
    return problem.predicted_linear_response


def _cholesky_solve(lower, rhs):
    """`A^{-1} rhs` for `A = lower @ lower^T`, batched (`rhs` is `[..., p]`)."""
    half = solve_triangular(lower, rhs[..., None], lower=True)
    return solve_triangular(lower, half, lower=True, trans="T")[..., 0]


def _fisher_information_factor(model_matrix, weight, penalty_diagonal, dtype):
    """Cholesky factor of `X^T W X + diag(penalty)`, formed in `dtype` (one GEMM of `W**0.5 X`)."""
    rows = (model_matrix * jnp.sqrt(weight)[..., None]).astype(dtype)
    gram = jnp.einsum("...ni,...nj->...ij", rows, rows)
    if penalty_diagonal is not None:
        diagonal = jnp.arange(gram.shape[-1])
        gram = gram.at[..., diagonal, diagonal].add(penalty_diagonal.astype(dtype))
    return jnp.linalg.cholesky(gram)


def _transposed_product(matrix, vector):
    """`X^T v` (`[..., p]`) as a reduction over rows, which XLA runs faster on CPUs than a product."""
    return jnp.sum(matrix * vector[..., None], axis=-2)


def _is_accurate_enough(lower) -> jax.Array:
    """Whether a low-precision Cholesky factor is finite and its matrix well enough conditioned.

    `(max L_ii / min L_ii)**2` bounds the condition number from below; Newton steps taken with
    a Fisher information perturbed by a relative `eps` converge at a rate of about `eps * cond`.
    """
    diagonal = jnp.abs(jnp.diagonal(lower, axis1=-2, axis2=-1))
    condition = jnp.square(jnp.max(diagonal, axis=-1) / jnp.min(diagonal, axis=-1))
    return jnp.all(jnp.isfinite(lower)) & jnp.all(condition < LOW_PRECISION_CONDITION_LIMIT)


def _newton_direction(model_matrix, weight, score, penalty_diagonal, information_dtype):
    """`(X^T W X + diag(penalty))^{-1} score` and the Cholesky factor it was solved with.

    The information is formed in `information_dtype`. When that is lower than the precision of
    `score`, its factor is used only if `_is_accurate_enough`; otherwise the information is
    formed again in full precision. The factor comes back in the precision of `score`.
    """
    lower = _fisher_information_factor(model_matrix, weight, penalty_diagonal, information_dtype)
    if lower.dtype == score.dtype:
        return _cholesky_solve(lower, score), lower

    def low_precision():
        factor = lower.astype(score.dtype)
        return _cholesky_solve(factor, score), factor

    def full_precision():
        factor = _fisher_information_factor(model_matrix, weight, penalty_diagonal, score.dtype)
        return _cholesky_solve(factor, score), factor

    return lax.cond(_is_accurate_enough(lower), low_precision, full_precision)


def _refined_newton_direction(lower, model_matrix, weight, score, penalty_diagonal):
    """The Newton direction from the factor of a nearby Fisher information, refined once.

    One step of iterative refinement against the current information, applied matrix-free as
    `X^T (W (X d)) + penalty * d` in two passes over `X` instead of the `O(N p**2)` product,
    leaves an error of about `delta**2` of the direction when the factored information is off
    by a relative `delta`.
    """
    direction = _cholesky_solve(lower, score)
    fitted = jnp.einsum("...np,...p->...n", model_matrix, direction)
    product = _transposed_product(model_matrix, weight * fitted)
    if penalty_diagonal is not None:
        product = product + penalty_diagonal * direction
    return direction + _cholesky_solve(lower, score - product)


def _solve_least_squares(a, b, penalty_diagonal):
    """`argmin ||a w - b||**2 + sum(penalty * w**2)` by QR of `a` stacked on `diag(sqrt(penalty))`."""
    if penalty_diagonal is not None:
        num_columns = a.shape[-1]
        diagonal = jnp.arange(num_columns)
        rows = jnp.zeros((*a.shape[:-2], num_columns, num_columns), a.dtype)
        rows = rows.at[..., diagonal, diagonal].set(jnp.sqrt(penalty_diagonal))
        a = jnp.concatenate([a, rows], axis=-2)
        b = jnp.concatenate([b, jnp.zeros((*b.shape[:-1], num_columns), b.dtype)], axis=-1)
    q, r = jnp.linalg.qr(a, mode="reduced")
    qtb = jnp.einsum("...ni,...n->...i", q, b)[..., None]
    return solve_triangular(r, qtb, lower=False)[..., 0]


class _Factorization(NamedTuple):
    """A Cholesky factor of the Fisher information kept across steps, and the weights behind it.

    Attributes:
      lower: the factor, `[..., p, p]`, in the problem's dtype.
      weight: the per-observation weights it was formed with, `[..., N]`.
      is_set: False until a step has formed a factor.

    """

    lower: jax.Array
    weight: jax.Array
    is_set: jax.Array


def _fisher_scoring_step(
    problem: _arguments.Problem,
    coefficients,
    linear_response,
    linear_response_gap,
    model,
    penalty_diagonal,
    dispersion,
    learning_rate,
    information_dtype=None,
    factorization: _Factorization | None = None,
):
    """One IRLS step from `linear_response`: the next coefficients, linear response and factor.

    With `information_dtype` (the precision chosen for the Fisher information) the step
    solves the normal equations as a Newton step from `coefficients`:
    `w + H^{-1} (X^T W z - H w)` with `H = X^T W X + diag(penalty)`. That equals TFP's
    `H^{-1} X^T W z` but needs `H` only to the accuracy of the step, not of `w`, and its
    right-hand side, the score, is computed in full precision, so that the fixed point is
    exact even when `H` is formed in single precision. `linear_response_gap` is
    `linear_response - offset - X w` (zero along a fit, where the linear response is computed
    from the coefficients; None means zero): the step depends on the start only through its
    linear response, as in TFP. A `factorization` from an earlier step whose weights are within
    `FACTOR_REUSE_WEIGHT_CHANGE` of the current ones replaces a new factor, refined once
    (`_refined_newton_direction`). The factorization used is returned (None for QR).

    Without `information_dtype` the step solves TFP's weighted least squares problem by QR.
    """
    mean, variance, grad_mean = model(linear_response)
    # Rows where the family gives no usable curvature get zero weight (TFP's rule); replacing
    # values with `where` rather than dropping rows keeps the step differentiable.
    is_valid = jnp.isfinite(grad_mean) & (grad_mean != 0) & jnp.isfinite(variance) & (variance > 0)
    step = (problem.response - mean) / jnp.where(is_valid, grad_mean, 1)
    if learning_rate is not None:
        step = step * learning_rate[..., None]
    if dispersion is not None:
        variance = variance * dispersion
    weight = jnp.where(is_valid, jnp.square(grad_mean) / jnp.where(is_valid, variance, 1), 0)
    x = problem.model_matrix
    if information_dtype is None:
        z = linear_response + step if problem.offset is None else linear_response - problem.offset + step
        root_weight = jnp.sqrt(weight)
        coefficients_next = _solve_least_squares(
            x * root_weight[..., None], z * root_weight, penalty_diagonal
        )
        return coefficients_next, _arguments.linear_response(x, coefficients_next, problem.offset), None
    # z - X w (TFP's working response less the current fit) is the step plus the gap.
    residual = step if linear_response_gap is None else step + linear_response_gap
    score = _transposed_product(x, weight * residual)
    if penalty_diagonal is not None:
        score = score - penalty_diagonal * coefficients

    def new_factor():
        direction, lower = _newton_direction(x, weight, score, penalty_diagonal, information_dtype)
        return direction, _Factorization(lower, weight, jnp.ones((), bool))

    def reused_factor():
        direction = _refined_newton_direction(factorization.lower, x, weight, score, penalty_diagonal)
        return direction, factorization

    if factorization is None:
        direction, factorization = new_factor()
    else:
        close = jnp.abs(weight - factorization.weight) <= FACTOR_REUSE_WEIGHT_CHANGE * factorization.weight
        direction, factorization = lax.cond(factorization.is_set & jnp.all(close), reused_factor, new_factor)
    coefficients_next = coefficients + direction
    linear_response_next = _arguments.linear_response(x, coefficients_next, problem.offset)
    return coefficients_next, linear_response_next, factorization


def _linear_response_gap(problem: _arguments.Problem, predicted_linear_response_start, fast_unsafe_numerics):
    """`linear_response - offset - X w` at the start for the Newton form of the step, or None.

    It is zero (None) unless the caller gave a starting linear response, which may disagree
    with the starting coefficients.
    """
    if predicted_linear_response_start is None or not fast_unsafe_numerics:
        return None
    return problem.predicted_linear_response - _arguments.linear_response(
        problem.model_matrix, problem.model_coefficients, problem.offset
    )


def _penalty_diagonal(problem, l2_regularizer, l2_regularization_penalty_factor, caller):
    """`l2_regularizer * penalty_factor**2` per coefficient, or None without regularization."""
    if l2_regularizer is None:
        return None
    num_columns = problem.model_matrix.shape[-1]
    l2 = _arguments.aligned_batch_parameter(l2_regularizer, problem, "l2_regularizer", caller)
    if l2_regularization_penalty_factor is None:
        return jnp.broadcast_to(l2[..., None], (*problem.batch_shape, num_columns))
    factor = _arguments.aligned_batch_parameter(
        l2_regularization_penalty_factor, problem, "l2_regularization_penalty_factor", caller, (num_columns,)
    )
    return l2[..., None] * jnp.square(factor)


def _prepare(
    caller,
    model_matrix,
    response,
    model,
    model_coefficients_start,
    predicted_linear_response_start,
    l2_regularizer,
    dispersion,
    offset,
    learning_rate,
    l2_regularization_penalty_factor,
):
    _arguments.check_family(model, caller)
    _arguments.check_nonnegative(l2_regularizer, "l2_regularizer", caller)
    problem = _arguments.prepare_problem(
        caller, model_matrix, response, model_coefficients_start, predicted_linear_response_start, offset
    )
    penalty = _penalty_diagonal(problem, l2_regularizer, l2_regularization_penalty_factor, caller)
    if dispersion is not None:
        _arguments.check_nonnegative(dispersion, "dispersion", caller, strictly=True)
        dispersion = _arguments.aligned_batch_parameter(
            dispersion, problem, "dispersion", caller, problem.response.shape[-1:]
        )
    if learning_rate is not None:
        learning_rate = _arguments.aligned_batch_parameter(learning_rate, problem, "learning_rate", caller)
    return problem, penalty, dispersion, learning_rate


def fit_one_step(
    model_matrix,
    response,
    model: ExponentialFamily,
    model_coefficients_start=None,
    predicted_linear_response_start=None,
    l2_regularizer=None,
    dispersion=None,
    offset=None,
    learning_rate=None,
    fast_unsafe_numerics: bool = True,
    l2_regularization_penalty_factor=None,
    name=None,
) -> tuple[jax.Array, jax.Array]:
    """One step of Fisher scoring (see the module docstring for the equations).

    Args:
      model_matrix: `[..., N, p]` float matrix, one row per observation.
      response: `[..., N]` observed responses.
      model: the `ExponentialFamily` (response distribution and inverse link).
      model_coefficients_start: `[..., p]` starting coefficients; zeros by default.
      predicted_linear_response_start: `[..., N]` starting linear response (offset included);
        by default computed from `model_coefficients_start` (or `offset` when that is None).
      l2_regularizer: non-negative (batch of) scalar penalty weight, or None.
      dispersion: (batch of) dispersion broadcasting with `response`; it divides the weights.
      offset: fixed shift of the linear response, broadcasting with `response`.
      learning_rate: (batch of) scalar damping of the working-response step, at most 1.
      fast_unsafe_numerics: True for Cholesky on the normal equations, False for QR.
      l2_regularization_penalty_factor: `[..., p]` per-coefficient penalty factors.
      name: unused; kept for TFP's signature.

    Returns:
      model_coefficients: the next coefficients, `[..., p]`.
      predicted_linear_response: their linear response (offset included), `[..., N]`.

    Example:
      >>> import numpy as np
      >>> from probax import glm
      >>> x = np.array([[1.0, 0.0], [1.0, 1.0], [1.0, 2.0]])
      >>> w, r = glm.fit_one_step(x, np.array([1.0, 3.0, 5.0]), glm.Normal())
      >>> [round(float(v), 4) for v in w]
      [1.0, 2.0]

    """
    del name
    caller = "fit_one_step"
    problem, penalty, dispersion, learning_rate = _prepare(
        caller,
        model_matrix,
        response,
        model,
        model_coefficients_start,
        predicted_linear_response_start,
        l2_regularizer,
        dispersion,
        offset,
        learning_rate,
        l2_regularization_penalty_factor,
    )
    gap = _linear_response_gap(problem, predicted_linear_response_start, fast_unsafe_numerics)
    return _one_step_jit(problem, model, penalty, dispersion, learning_rate, gap, bool(fast_unsafe_numerics))


@functools.partial(jax.jit, static_argnames=("fast_unsafe_numerics",))
def _one_step_jit(problem, model, penalty, dispersion, learning_rate, gap, fast_unsafe_numerics):
    # One step forms the Fisher information in the problem's own precision: TFP's step exactly.
    information_dtype = problem.model_matrix.dtype if fast_unsafe_numerics else None
    coefficients, linear_response, _ = _fisher_scoring_step(
        problem,
        problem.model_coefficients,
        problem.predicted_linear_response,
        gap,
        model,
        penalty,
        dispersion,
        learning_rate,
        information_dtype,
    )
    return coefficients, linear_response


def _fisher_information_dtype(dtype):
    """The precision `fit` forms the Fisher information in: float32 for float64 problems.

    The information only sets the Newton step (the score is exact), so single precision
    changes the iterates by about `eps32 * cond` of a step and not the fixed point, while
    making the `O(N p**2)` product, most of a step's cost, 2-4 times cheaper on CPUs.
    """
    return jnp.float32 if dtype == jnp.float64 else dtype


def _factorization_start(problem: _arguments.Problem) -> _Factorization:
    """A placeholder: the first step of a fit factors the information anew."""
    num_columns = problem.model_matrix.shape[-1]
    dtype = problem.model_matrix.dtype
    return _Factorization(
        jnp.zeros((*problem.batch_shape, num_columns, num_columns), dtype),
        jnp.zeros(problem.response.shape, dtype),
        jnp.zeros((), bool),
    )


class _LoopState(NamedTuple):
    is_converged: jax.Array
    num_iter: jax.Array
    model_coefficients: jax.Array
    predicted_linear_response: jax.Array
    linear_response_gap: jax.Array | None
    factorization: _Factorization | None


@functools.partial(jax.jit, static_argnames=("fast_unsafe_numerics", "convergence_criteria_fn"))
def _fit_jit(
    problem,
    model,
    penalty,
    dispersion,
    learning_rate,
    gap,
    maximum_iterations,
    fast_unsafe_numerics,
    convergence_criteria_fn,
):
    information_dtype = (
        _fisher_information_dtype(problem.model_matrix.dtype) if fast_unsafe_numerics else None
    )

    def keep_going(state: _LoopState):
        finite = jnp.all(jnp.isfinite(state.model_coefficients))
        return ~state.is_converged & (state.num_iter < maximum_iterations) & finite

    def step(state: _LoopState) -> _LoopState:
        coefficients, linear_response, factorization = _fisher_scoring_step(
            problem,
            state.model_coefficients,
            state.predicted_linear_response,
            state.linear_response_gap,
            model,
            penalty,
            dispersion,
            learning_rate,
            information_dtype,
            state.factorization,
        )
        converged = convergence_criteria_fn(
            is_converged_previous=state.is_converged,
            iter_=state.num_iter,
            model_coefficients_previous=state.model_coefficients,
            predicted_linear_response_previous=state.predicted_linear_response,
            model_coefficients_next=coefficients,
            predicted_linear_response_next=linear_response,
            response=problem.response,
            model=model,
            dispersion=dispersion,
        )
        return _LoopState(
            jnp.asarray(converged, bool),
            state.num_iter + 1,
            coefficients,
            linear_response,
            None if gap is None else jnp.zeros_like(gap),
            factorization,
        )

    start = _LoopState(
        jnp.zeros((), bool),
        jnp.zeros((), jnp.int32),
        problem.model_coefficients,
        problem.predicted_linear_response,
        gap,
        _factorization_start(problem) if fast_unsafe_numerics else None,
    )
    final = lax.while_loop(keep_going, step, start)
    return FitResult(
        final.model_coefficients, final.predicted_linear_response, final.is_converged, final.num_iter
    )


def fit(
    model_matrix,
    response,
    model: ExponentialFamily,
    model_coefficients_start=None,
    predicted_linear_response_start=None,
    l2_regularizer=None,
    dispersion=None,
    offset=None,
    convergence_criteria_fn: Callable | None = None,
    learning_rate=None,
    fast_unsafe_numerics: bool = True,
    maximum_iterations: int | None = None,
    l2_regularization_penalty_factor=None,
    name=None,
) -> FitResult:
    """Fit a GLM by Fisher scoring (IRLS), with TFP's `tfp.glm.fit` signature and results.

    Steps of `fit_one_step` run in a `lax.while_loop` (one compiled program) until
    `convergence_criteria_fn` says converged, `maximum_iterations` steps were taken, or the
    coefficients stop being finite. Leading batch dimensions of `model_matrix` and
    `response` fit independent problems in one loop (converged when all are); `jax.vmap`
    over `fit` gives each problem its own stopping time.

    Args:
      model_matrix: `[..., N, p]` float matrix, one row per observation.
      response: `[..., N]` observed responses (counts for Binomial: successes out of
        the family's `total_count`).
      model: the `ExponentialFamily` (response distribution and inverse link).
      model_coefficients_start: `[..., p]` starting coefficients; zeros by default.
      predicted_linear_response_start: `[..., N]` starting linear response (offset
        included); by default computed from `model_coefficients_start` (or `offset`).
      l2_regularizer: non-negative (batch of) scalar penalty weight, or None (see the
        module docstring for the exact objective).
      dispersion: (batch of) dispersion broadcasting with `response`; scales the Fisher
        information (and so matters only together with `l2_regularizer`).
      offset: fixed shift of the linear response, broadcasting with `response`.
      convergence_criteria_fn: TFP-style criterion; by default
        `convergence_criteria_small_relative_norm_weights_change()` (tolerance 1e-5). It is
        static under `jit`: pass the same object to reuse a compilation.
      learning_rate: (batch of) scalar damping of each step, at most 1; None for 1.
      fast_unsafe_numerics: True (default) solves the normal equations by Cholesky in Newton
        form (see the module docstring: float32 Fisher information for float64 problems, an
        exact score); False solves the least-squares problem by QR (slower; for data too
        ill-conditioned for a Cholesky factor).
      maximum_iterations: cap on the number of steps; None means 1000 (TFP: no cap).
      l2_regularization_penalty_factor: `[..., p]` per-coefficient penalty factors (0 leaves
        a coefficient, e.g. an intercept, unpenalized).
      name: unused; kept for TFP's signature.

    Returns:
      `FitResult(model_coefficients, predicted_linear_response, is_converged, num_iter)`.

    Raises:
      ValueError: on shapes that do not fit together, a negative `l2_regularizer`, a
        non-positive `dispersion`, a `model` that is not a family, or a bad `maximum_iterations`.

    Example:
      >>> import numpy as np
      >>> from probax import glm
      >>> x = np.array([[1.0, -1.0], [1.0, 0.0], [1.0, 1.0], [1.0, 2.0]])
      >>> y = np.array([1.0, 0.0, 1.0, 1.0])
      >>> w, r, is_converged, num_iter = glm.fit(x, y, glm.Bernoulli())
      >>> bool(is_converged), [round(float(v), 3) for v in w]
      (True, [0.914, 0.567])

    """
    del name
    caller = "fit"
    _arguments.check_iterations(maximum_iterations, "maximum_iterations", caller)
    if convergence_criteria_fn is not None and not callable(convergence_criteria_fn):
        raise ValueError(f"fit: `convergence_criteria_fn` must be callable; got {convergence_criteria_fn!r}.")
    problem, penalty, dispersion, learning_rate = _prepare(
        caller,
        model_matrix,
        response,
        model,
        model_coefficients_start,
        predicted_linear_response_start,
        l2_regularizer,
        dispersion,
        offset,
        learning_rate,
        l2_regularization_penalty_factor,
    )
    criterion = convergence_criteria_fn or convergence_criteria_small_relative_norm_weights_change()
    cap = DEFAULT_MAXIMUM_ITERATIONS if maximum_iterations is None else maximum_iterations
    return _fit_jit(
        problem,
        model,
        penalty,
        dispersion,
        learning_rate,
        _linear_response_gap(problem, predicted_linear_response_start, fast_unsafe_numerics),
        jnp.asarray(cap, jnp.int32),
        bool(fast_unsafe_numerics),
        criterion,
    )
