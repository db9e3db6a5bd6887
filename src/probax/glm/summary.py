"""Standard errors, tests and a printable table for an unpenalized GLM fit.

The covariance of the maximum-likelihood coefficients is the inverse Fisher information,

    covariance = dispersion * (X^T diag(grad_mean**2 / variance) X)**-1,

with the family's `(mean, variance, grad_mean)` at the fitted linear response. Families
without a free dispersion (`fixed_dispersion`: Bernoulli, Binomial, Poisson, NegativeBinomial)
use 1; the others (Normal, Gamma, LogNormal) use statsmodels' estimate, Pearson's statistic
over the residual degrees of freedom, `sum((y - mean)**2 / variance) / (N - p)`. Because the
family's variance enters both factors, a family constant such as `Normal(scale)` or
`GammaExp(concentration)` cancels. Tests are Wald z-tests, as statsmodels' GLM reports them.
These formulas hold for `fit` without `l2_regularizer`; they do not apply to penalized fits.
"""

from __future__ import annotations

import dataclasses
import functools
import math
from collections.abc import Sequence
from statistics import NormalDist
from typing import NamedTuple

import jax
import jax.numpy as jnp
import numpy as np
from jax import lax

from probax.glm import _arguments
from probax.glm.family import ExponentialFamily


class CoefficientStatistics(NamedTuple):
    """Per-coefficient inference for a GLM fit (a pytree of arrays; batch dimensions lead).

    Attributes:
      model_coefficients: the estimates, `[..., p]`.
      standard_errors: square roots of the covariance's diagonal, `[..., p]`.
      z_values: `model_coefficients / standard_errors`.
      p_values: two-sided normal p-values of the z-values.
      confidence_intervals: `[..., p, 2]` lower and upper Wald bounds at level `1 - alpha`.
      covariance: `[..., p, p]` estimated covariance of the estimates.
      dispersion: `[...]` the dispersion used (estimated or fixed).
      log_likelihood: `[...]` `sum(model.log_prob(response, r))` at the estimate.
      pearson_chi2: `[...]` Pearson's statistic `sum((y - mean)**2 / variance)`.

    """

    model_coefficients: jax.Array
    standard_errors: jax.Array
    z_values: jax.Array
    p_values: jax.Array
    confidence_intervals: jax.Array
    covariance: jax.Array
    dispersion: jax.Array
    log_likelihood: jax.Array
    pearson_chi2: jax.Array


def _resolve_dispersion(model: ExponentialFamily, dispersion) -> str | None:
    """'pearson', 'fixed' or None (a given value), from the user's `dispersion` and the family."""
    if dispersion is None:
        return "fixed" if getattr(model, "fixed_dispersion", True) else "pearson"
    if isinstance(dispersion, str):
        if dispersion.lower() != "pearson":
            raise ValueError(
                f"summary: `dispersion` must be None, 'pearson' or a positive number; got {dispersion!r}."
            )
        return "pearson"
    return None


def coefficient_statistics(
    model_matrix,
    response,
    model: ExponentialFamily,
    model_coefficients,
    dispersion=None,
    offset=None,
    alpha: float = 0.05,
) -> CoefficientStatistics:
    """Covariance, standard errors, z-tests and Wald intervals for fitted GLM coefficients.

    Args:
      model_matrix: `[..., N, p]`, as passed to `fit`.
      response: `[..., N]`, as passed to `fit`.
      model: the `ExponentialFamily` that was fitted.
      model_coefficients: `[..., p]`, the (unpenalized) estimate from `fit`.
      dispersion: None for the family's default (1, or Pearson's estimate for families with a
        free dispersion), 'pearson' to estimate it for any family, or a positive value.
      offset: the offset passed to `fit`, if any.
      alpha: one minus the confidence level of the intervals.

    Returns:
      `CoefficientStatistics`.

    Example:
      >>> import numpy as np
      >>> from probax import glm
      >>> x = np.column_stack([np.ones(4), np.arange(4.0)])
      >>> y = np.array([1.0, 2.0, 4.0, 8.0])
      >>> w, *_ = glm.fit(x, y, glm.Poisson())
      >>> stats = glm.coefficient_statistics(x, y, glm.Poisson(), w)
      >>> [round(float(v), 3) for v in stats.standard_errors]
      [0.681, 0.278]

    """
    caller = "coefficient_statistics"
    _arguments.check_family(model, caller)
    if not 0 < alpha < 1:
        raise ValueError(f"{caller}: `alpha` must be in (0, 1); got {alpha!r}.")
    mode = _resolve_dispersion(model, dispersion)
    problem = _arguments.prepare_problem(caller, model_matrix, response, model_coefficients, offset=offset)
    num_rows, num_columns = problem.model_matrix.shape[-2:]
    if mode == "pearson" and num_rows <= num_columns:
        raise ValueError(
            f"{caller}: estimating the dispersion needs more rows than columns; "
            f"got N = {num_rows}, p = {num_columns}."
        )
    given = None
    if mode is None:
        _arguments.check_nonnegative(dispersion, "dispersion", caller, strictly=True)
        given = _arguments.aligned_batch_parameter(dispersion, problem, "dispersion", caller)
    return _statistics_jit(problem, model, given, mode == "pearson", float(alpha))


@functools.partial(jax.jit, static_argnames=("estimate_dispersion", "alpha"))
def _statistics_jit(problem, model, given_dispersion, estimate_dispersion: bool, alpha: float):
    x, y, coefficients = problem.model_matrix, problem.response, problem.model_coefficients
    linear_response = problem.predicted_linear_response
    mean, variance, grad_mean = model(linear_response)
    fisher_weight = jnp.square(grad_mean) / variance
    fisher = jnp.einsum("...ni,...nj->...ij", x * fisher_weight[..., None], x)
    pearson_chi2 = jnp.sum(jnp.square(y - mean) / variance, axis=-1)
    num_rows, num_columns = x.shape[-2:]
    if estimate_dispersion:
        dispersion = pearson_chi2 / (num_rows - num_columns)
    elif given_dispersion is not None:
        dispersion = given_dispersion
    else:
        dispersion = jnp.ones_like(pearson_chi2)
    # Invert through a Cholesky factor: the information matrix is symmetric positive definite.
    lower = jnp.linalg.cholesky(fisher)
    eye = jnp.broadcast_to(jnp.eye(num_columns, dtype=x.dtype), fisher.shape)
    inverse_lower = jax.scipy.linalg.solve_triangular(lower, eye, lower=True)
    covariance = jnp.einsum("...ki,...kj->...ij", inverse_lower, inverse_lower) * dispersion[..., None, None]
    standard_errors = jnp.sqrt(jnp.diagonal(covariance, axis1=-2, axis2=-1))
    z_values = coefficients / standard_errors
    # 2 Phi(-|z|) = erfc(|z| / sqrt 2), accurate far into the tail.
    p_values = lax.erfc(jnp.abs(z_values) / math.sqrt(2))
    # `alpha` is static: its normal quantile is a Python float, computed on the host.
    half_width = NormalDist().inv_cdf(1 - alpha / 2) * standard_errors
    intervals = jnp.stack([coefficients - half_width, coefficients + half_width], axis=-1)
    log_likelihood = jnp.sum(model.log_prob(y, linear_response), axis=-1)
    return CoefficientStatistics(
        coefficients,
        standard_errors,
        z_values,
        p_values,
        intervals,
        covariance,
        dispersion,
        log_likelihood,
        pearson_chi2,
    )


@dataclasses.dataclass(frozen=True)
class Summary:
    """A fitted GLM's coefficient table; `str(summary)` prints it like statsmodels' GLM summary.

    Attributes:
      statistics: the numbers (`CoefficientStatistics`).
      coefficient_names: one name per column of the model matrix.
      family_name: the family's name.
      num_observations: N, rows of the model matrix.
      dispersion_source: 'fixed', 'pearson' or 'given'.
      alpha: one minus the confidence level of the intervals.

    """

    statistics: CoefficientStatistics
    coefficient_names: tuple[str, ...]
    family_name: str
    num_observations: int
    dispersion_source: str
    alpha: float

    def _table(self, index: tuple[int, ...]) -> str:
        stats = jax.tree_util.tree_map(lambda a: np.asarray(a)[index], self.statistics)
        low, high = f"[{self.alpha / 2:.3f}", f"{1 - self.alpha / 2:.3f}]"
        width = max(8, *(len(name) for name in self.coefficient_names))
        header = f"{'':<{width}} {'coef':>11} {'std err':>11} {'z':>9} {'P>|z|':>8} {low:>11} {high:>11}"
        rows = [header, "-" * len(header)]
        for j, name in enumerate(self.coefficient_names):
            rows.append(
                f"{name:<{width}} {stats.model_coefficients[j]:>11.4g} {stats.standard_errors[j]:>11.4g} "
                f"{stats.z_values[j]:>9.3f} {stats.p_values[j]:>8.3f} "
                f"{stats.confidence_intervals[j, 0]:>11.4g} {stats.confidence_intervals[j, 1]:>11.4g}"
            )
        num_columns = len(self.coefficient_names)
        lines = [
            f"GLM family: {self.family_name}   observations: {self.num_observations}   "
            f"df residual: {self.num_observations - num_columns}",
            f"dispersion: {float(stats.dispersion):.6g} ({self.dispersion_source})   "
            f"log-likelihood: {float(stats.log_likelihood):.6g}",
            *rows,
        ]
        return "\n".join(lines)

    def __str__(self) -> str:
        batch_shape = np.shape(self.statistics.model_coefficients)[:-1]
        if not batch_shape:
            return self._table(())
        return "\n\n".join(
            f"batch member {index}:\n{self._table(index)}" for index in np.ndindex(batch_shape)
        )


def summary(
    model_matrix,
    response,
    model: ExponentialFamily,
    model_coefficients,
    dispersion=None,
    offset=None,
    coefficient_names: Sequence[str] | None = None,
    alpha: float = 0.05,
) -> Summary:
    """The coefficient table of a fitted GLM: estimates, standard errors, z, p-values, intervals.

    Args:
      model_matrix: `[..., N, p]`, as passed to `fit`.
      response: `[..., N]`, as passed to `fit`.
      model: the `ExponentialFamily` that was fitted.
      model_coefficients: `[..., p]`, the (unpenalized) estimate from `fit`.
      dispersion: None for the family's default (1, or Pearson's estimate for Normal, Gamma
        and LogNormal families), 'pearson' to estimate it for any family, or a positive value.
      offset: the offset passed to `fit`, if any.
      coefficient_names: names of the columns; `x0, x1, ...` by default.
      alpha: one minus the confidence level of the intervals.

    Returns:
      A `Summary`; `print(summary(...))` shows the table, `.statistics` holds the numbers.

    Example:
      >>> import numpy as np
      >>> from probax import glm
      >>> x = np.column_stack([np.ones(4), np.arange(4.0)])
      >>> y = np.array([1.0, 2.0, 4.0, 8.0])
      >>> w, *_ = glm.fit(x, y, glm.Poisson())
      >>> table = glm.summary(x, y, glm.Poisson(), w, coefficient_names=["const", "slope"])
      >>> "slope" in str(table)
      True

    """
    num_rows, num_columns = np.shape(model_matrix)[-2:]
    if coefficient_names is None:
        coefficient_names = [f"x{j}" for j in range(num_columns)]
    names = tuple(str(name) for name in coefficient_names)
    if len(names) != num_columns:
        raise ValueError(
            f"summary: `coefficient_names` must name the {num_columns} columns of `model_matrix`; "
            f"got {len(names)}."
        )
    statistics = coefficient_statistics(
        model_matrix, response, model, model_coefficients, dispersion, offset, alpha
    )
    mode = _resolve_dispersion(model, dispersion) or "given"
    return Summary(
        statistics, names, getattr(model, "name", type(model).__name__), int(num_rows), mode, alpha
    )
