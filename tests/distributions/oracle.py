"""Table-driven checks of distribution families against `scipy.stats`.

A test module lists `OracleCase`s and binds the generated tests:

    test_oracle, test_sampling, test_transforms, test_wide = oracle_suite(CASES)

Every case is run in float32 and float64. Methods a family does not provide are
listed in `missing`, and the suite asserts they raise `NotImplementedError`.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Mapping
from typing import Any

import hypothesis
import jax
import jax.numpy as jnp
import numpy as np
import pytest
import scipy.stats

POINTWISE = {
    "log_prob": "logpdf",
    "prob": "pdf",
    "cdf": "cdf",
    "log_cdf": "logcdf",
    "survival_function": "sf",
    "log_survival_function": "logsf",
    "quantile": "ppf",
}
SUMMARIES = {"mean": "mean", "variance": "var", "stddev": "std", "entropy": "entropy", "mode": None}
METHODS = tuple(POINTWISE) + tuple(SUMMARIES)
DTYPES = (np.float32, np.float64)
# Probabilities at which test points are placed (through the reference's ppf).
PROBABILITY_GRID = np.array([1e-3, 0.02, 0.1, 0.3, 0.5, 0.7, 0.9, 0.98, 0.999])
RTOL = {np.float32: 2e-4, np.float64: 1e-6}
ATOL = {np.float32: 1e-5, np.float64: 1e-9}


@dataclasses.dataclass(frozen=True)
class OracleCase:
    """One family at one batch of parameters, with its scipy twin.

    Attributes:
      name: test id.
      make: builds the probax distribution from keyword parameters.
      reference: builds the frozen scipy distribution from the same keywords (numpy float64).
      params: the parameters (a small batch).
      discrete: integer-valued family (pmf instead of pdf, chi-square instead of KS).
      missing: methods the family does not implement.
      expected_mode: the mode as a function of the parameters (scipy has none).
      rtol: per-method relative tolerance overrides.
      wide: hypothesis strategies for scalar parameters over wide ranges.
      wide_methods: the pointwise methods compared under `wide` draws.
      reparameterized_params: parameters whose sample gradient is checked against
        the implicit-reparameterization identity dx/dθ = -(∂F/∂θ)/p(x).
    """

    name: str
    make: Callable[..., Any]
    reference: Callable[..., Any]
    params: Mapping[str, Any]
    discrete: bool = False
    missing: tuple[str, ...] = ()
    expected_mode: Callable[..., Any] | None = None
    rtol: Mapping[str, float] = dataclasses.field(default_factory=dict)
    wide: Mapping[str, Any] = dataclasses.field(default_factory=dict)
    wide_methods: tuple[str, ...] = ("log_prob", "log_cdf", "log_survival_function")
    reparameterized_params: tuple[str, ...] = ()

    def __str__(self) -> str:
        return self.name

    def cast(self, dtype) -> dict[str, np.ndarray]:
        return {k: np.asarray(v, dtype) for k, v in self.params.items()}

    def scipy_frozen(self, params: Mapping[str, Any]):
        return self.reference(**{k: np.asarray(v, np.float64) for k, v in params.items()})

    def points(self, params) -> np.ndarray:
        """Test values shaped (len(grid),) + batch_shape, placed by the reference's ppf."""
        frozen = self.scipy_frozen(params)
        batch = np.broadcast_shapes(*(np.shape(v) for v in params.values()))
        grid = PROBABILITY_GRID.reshape((-1,) + (1,) * len(batch))
        return np.broadcast_to(frozen.ppf(grid), grid.shape[:1] + batch)


def _reference_value(case: OracleCase, params, method: str, points):
    frozen = case.scipy_frozen(params)
    if method in POINTWISE:
        name = POINTWISE[method]
        if case.discrete:
            name = name.replace("pdf", "pmf")
        grid = PROBABILITY_GRID.reshape((-1,) + (1,) * (points.ndim - 1))
        return getattr(frozen, name)(grid if method == "quantile" else points)
    if method == "mode":
        return case.expected_mode(**{k: np.asarray(v, np.float64) for k, v in params.items()})
    return getattr(frozen, SUMMARIES[method])()


def _probax_value(dist, method: str, points):
    if method == "quantile":
        grid = PROBABILITY_GRID.reshape((-1,) + (1,) * (points.ndim - 1)).astype(points.dtype)
        return getattr(dist, method)(grid)
    if method in POINTWISE:
        return getattr(dist, method)(points)
    return getattr(dist, method)()


def _assert_close(actual, expected, dtype, rtol: float | None = None, context: str = ""):
    actual = np.asarray(actual, np.float64)
    expected = np.broadcast_to(np.asarray(expected, np.float64), actual.shape)
    np.testing.assert_allclose(
        actual, expected, rtol=rtol or RTOL[dtype], atol=ATOL[dtype], err_msg=context
    )


def oracle_suite(cases: list[OracleCase]):
    """The standard tests for `cases`, to bind to `test_*` names in a test module."""
    case_ids = [c.name for c in cases]

    @pytest.mark.parametrize("method", METHODS)
    @pytest.mark.parametrize("dtype", DTYPES, ids=["float32", "float64"])
    @pytest.mark.parametrize("case", cases, ids=case_ids)
    def test_oracle(case: OracleCase, dtype, method: str):
        params = case.cast(dtype)
        dist = case.make(**params)
        points = case.points(params).astype(dtype)
        if method in case.missing:
            with pytest.raises(NotImplementedError, match=type(dist).__name__):
                _probax_value(dist, method, points)
            return
        actual = _probax_value(dist, method, points)
        expected = _reference_value(case, params, method, points)
        assert np.asarray(actual).dtype == dtype or (case.discrete and method == "mode")
        rtol = case.rtol.get(method)
        rtol = rtol * (100 if dtype == np.float32 else 1) if rtol else None
        _assert_close(actual, expected, dtype, rtol, f"{case.name}.{method}")

    @pytest.mark.parametrize("case", cases, ids=case_ids)
    def test_sampling(case: OracleCase):
        params = case.cast(np.float64)
        dist = case.make(**params)
        num_draws = 20_000
        draws = np.asarray(dist.sample(num_draws, seed=jax.random.key(7)))
        assert draws.shape == (num_draws, *dist.batch_shape, *dist.event_shape)
        flat = draws.reshape(num_draws, -1)
        for column in range(flat.shape[1]):
            member = {
                k: np.broadcast_to(v, dist.batch_shape).reshape(-1)[column] for k, v in params.items()
            }
            member_frozen = case.reference(**member)
            x = flat[:, column]
            if case.discrete:
                _chi_square_check(x, member_frozen)
            else:
                assert scipy.stats.kstest(x, member_frozen.cdf).pvalue > 1e-3, case.name
            _moment_check(x, member_frozen, case.name)

    @pytest.mark.parametrize("case", cases, ids=case_ids)
    def test_transforms(case: OracleCase):
        params = case.cast(np.float64)
        points = case.points(params)
        eager = case.make(**params).log_prob(points)
        jitted = jax.jit(lambda p, x: case.make(**p).log_prob(x))(params, points)
        np.testing.assert_allclose(jitted, eager, rtol=1e-12)
        # A distribution comes back out of jit intact.
        returned = jax.jit(lambda p: case.make(**p))(params)
        np.testing.assert_allclose(returned.log_prob(points), eager, rtol=1e-12)
        # A vmapped constructor gives the batched distribution, which a jitted function accepts.
        stacked = {k: np.stack([v, v]) for k, v in params.items()}
        batched = jax.vmap(lambda p: case.make(**p))(stacked)
        assert batched.batch_shape == (2, *case.make(**params).batch_shape)
        batched_log_prob = jax.jit(lambda d, x: d.log_prob(x))(batched, points[:, None])
        np.testing.assert_allclose(batched_log_prob, np.stack([eager, eager], 1))
        _check_log_prob_gradients(case, params, points)
        if case.reparameterized_params:
            _check_implicit_reparameterization(case, params)

    wide_cases = [c for c in cases if c.wide]

    @hypothesis.settings(max_examples=25, deadline=None, derandomize=True)
    @hypothesis.given(data=hypothesis.strategies.data())
    @pytest.mark.parametrize("case", wide_cases, ids=[c.name for c in wide_cases])
    def test_wide(case: OracleCase, data):
        params = {k: np.float64(data.draw(s, label=k)) for k, s in case.wide.items()}
        params = {**{k: np.float64(np.ravel(v)[0]) for k, v in case.params.items()}, **params}
        u = data.draw(hypothesis.strategies.sampled_from([1e-10, 1e-4, 0.2, 0.5, 0.8, 1 - 1e-4]))
        frozen = case.scipy_frozen(params)
        x = frozen.ppf(u)
        hypothesis.assume(np.isfinite(x))
        # XLA on CPU flushes subnormal numbers to zero, so such points are not representable inputs.
        hypothesis.assume(x == 0 or abs(x) >= np.finfo(np.float64).tiny)
        dist = case.make(**params)
        for method in case.wide_methods:
            name = POINTWISE[method].replace("pdf", "pmf") if case.discrete else POINTWISE[method]
            argument = u if method == "quantile" else x
            expected = getattr(frozen, name)(argument)
            hypothesis.assume(np.isfinite(expected))
            actual = getattr(dist, method)(argument)
            _assert_close(actual, expected, np.float64, 1e-5, f"{case.name}.{method} {params} x={x}")

    # No wide cases: bind None so pytest collects nothing rather than an empty, skipped test.
    return test_oracle, test_sampling, test_transforms, test_wide if wide_cases else None


def _moment_check(x: np.ndarray, frozen, name: str) -> None:
    """Sample mean and variance within 5 Monte Carlo standard errors, where those exist."""
    mean, var, excess_kurtosis = (float(m) for m in frozen.stats(moments="mvk"))
    n = len(x)
    if np.isfinite(mean) and np.isfinite(var):
        assert abs(x.mean() - mean) < 5 * np.sqrt(var / n) + 1e-12, f"{name}: sample mean"
    if np.isfinite(var) and np.isfinite(excess_kurtosis):
        # Var of the sample variance is (mu4 - sigma^4) / n, with mu4 = (kurtosis + 3) sigma^4;
        # the var / n term covers the second-order error where that vanishes (Bernoulli(0.5)).
        standard_error = var * np.sqrt(max(excess_kurtosis + 2, 0.0) / n) + var / n
        assert abs(x.var() - var) < 5 * standard_error + 1e-12, f"{name}: sample variance"


def _chi_square_check(x: np.ndarray, frozen) -> None:
    values, counts = np.unique(x, return_counts=True)
    expected = frozen.pmf(values) * len(x)
    keep = expected >= 5
    observed, expected = counts[keep], expected[keep]
    # Lump the rest (rare values and the unobserved tail) into one cell.
    observed = np.append(observed, len(x) - observed.sum())
    expected = np.append(expected, len(x) - expected.sum())
    statistic = np.sum((observed - expected) ** 2 / np.maximum(expected, 1e-12))
    dof = max(len(observed) - 1, 1)
    assert scipy.stats.chi2.sf(statistic, dof) > 1e-3


def _central_difference_bumps(params, step):
    """Parameter sets bumped by +step and -step in one element of one parameter at a time.

    Returns the stacked parameter sets (for one vmapped call) and, per bumped element, its
    (key, index); row 2j is the upward and row 2j + 1 the downward bump of element j.
    """
    elements = [(key, i) for key in params for i in np.ndindex(np.shape(params[key]))]
    stacked = {k: np.repeat(np.asarray(v)[None], 2 * len(elements), axis=0) for k, v in params.items()}
    for j, (key, i) in enumerate(elements):
        stacked[key][(2 * j, *i)] += step[key][i]
        stacked[key][(2 * j + 1, *i)] -= step[key][i]
    return stacked, elements


def _check_log_prob_gradients(case: OracleCase, params, points) -> None:
    """Gradients of log_prob w.r.t. every parameter: finite and equal to central differences.

    One compiled gradient and one compiled, vmapped evaluation of all bumped parameter sets.
    """
    def total(p):
        return jnp.sum(case.make(**p).log_prob(points))

    gradient = jax.jit(jax.grad(total))({k: jnp.asarray(v) for k, v in params.items()})
    step = {k: 1e-6 * np.maximum(np.abs(v), 1.0) for k, v in params.items()}
    stacked, elements = _central_difference_bumps(params, step)
    totals = np.asarray(jax.jit(jax.vmap(total))(stacked)).reshape(-1, 2)
    for (key, i), (up, down) in zip(elements, totals, strict=True):
        assert np.isfinite(gradient[key][i]), f"{case.name}: grad wrt {key}{i}"
        numeric = (up - down) / (2 * step[key][i])
        np.testing.assert_allclose(gradient[key][i], numeric, rtol=1e-5, atol=1e-6, err_msg=f"{key}{i}")


def _check_implicit_reparameterization(case: OracleCase, params) -> None:
    """Per-draw check of dx/dθ against -(∂F/∂θ)/p(x) with scipy's cdf (float64)."""
    seed = jax.random.key(3)
    keys = list(case.reparameterized_params)

    def draws(bumpable):
        return case.make(**{**params, **bumpable}).sample(64, seed=seed)

    values = {k: jnp.asarray(params[k], jnp.float64) for k in keys}
    x, jacobian = jax.jit(lambda v: (draws(v), jax.jacfwd(draws)(v)))(values)
    x = np.asarray(x)
    density = case.scipy_frozen(params).pdf(x)
    step = {k: 1e-6 * np.maximum(np.abs(params[k]), 1.0) for k in params}
    for key in keys:
        value = np.asarray(params[key], np.float64)
        for i in np.ndindex(value.shape):
            up, down = value.copy(), value.copy()
            up[i] += step[key][i]
            down[i] -= step[key][i]
            cdf_up = case.scipy_frozen({**params, key: up}).cdf(x)
            cdf_down = case.scipy_frozen({**params, key: down}).cdf(x)
            expected = -(cdf_up - cdf_down) / (2 * step[key][i]) / density
            actual = np.asarray(jacobian[key])[(Ellipsis, *i)]
            np.testing.assert_allclose(actual, expected, rtol=1e-4, atol=1e-6, err_msg=f"d sample / d {key}")
