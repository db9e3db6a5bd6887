"""GLM fitting speed: probax's `glm.fit` / `glm.fit_sparse` against statsmodels, scikit-learn and TFP on JAX.

Four problems on synthetic data (100,000 rows x 100 columns by default, float64, no intercept):

* logistic regression, unpenalized, with independent columns and with correlated ones
  (neighbouring columns correlated 0.9): probax `glm.fit(Bernoulli)`, TFP `tfp.glm.fit`,
  statsmodels `GLM(Binomial).fit()` (IRLS), scikit-learn `LogisticRegression` without a
  penalty (lbfgs and newton-cholesky solvers);
* Poisson regression, unpenalized: the same with `Poisson` / `PoissonRegressor`;
* elastic-net logistic regression: probax `glm.fit_sparse(Bernoulli)` against scikit-learn
  `LogisticRegression(solver="saga", l1_ratio=...)` with the objective matched (sklearn's
  `C sum(logloss) + r ||w||_1 + (1 - r) / 2 ||w||^2` is fit_sparse's objective divided by
  `1 / C = l1 + 2 l2`, `r = l1 / (l1 + 2 l2)`). TFP's JAX substrate has no `fit_sparse`.

probax and TFP run jitted, timed after compilation (`seconds_per_call`); their first call,
compilation included, is recorded apart (`first_call_seconds`; peers compile nothing, so it
is their plain first call), and jit's cache serves later calls with the same shapes.
Everything runs in one process with interleaved rounds (see `timing.py`). Candidates more
than 5x slower than probax on a first timed call (statsmodels and TFP at the full size) are
timed in rounds of their own, so that the rounds comparing probax with its close competitors
stay short. Peer solvers get tolerances tight enough that their answers agree with probax's
(the check column: largest coefficient difference over the largest coefficient). The figure
of merit is
`ratio = fastest_peer_seconds / probax_seconds` (>= 1.0: probax is at least as fast as every peer).

Run:
  python benchmarks/glm.py            # full run -> results/glm.json
  python benchmarks/glm.py --quick    # smoke run -> results/glm_quick.json
  python benchmarks/glm.py --peers sklearn --output glm_sklearn   # the fastest peers only
"""

from __future__ import annotations

import argparse
import dataclasses
import sys
import time
import warnings
from collections.abc import Callable
from typing import Any

import jax

jax.config.update("jax_enable_x64", True)

import jax.numpy as jnp  # noqa: E402
import numpy as np  # noqa: E402

import timing  # noqa: E402

NAME = "glm"
# A fit's answer is taken to agree with probax's when no coefficient differs by more than this
# fraction of the largest coefficient.
AGREEMENT = 1e-4
# fit_sparse's penalties on the sum-scaled objective, as fractions of the all-zero weight.
L1_FRACTION, L2 = 0.05, 10.0
# Correlation between neighbouring columns in the correlated-design problem.
CORRELATION = 0.9
# Candidates whose first timed call is this many times slower than probax's are timed apart.
SLOW_FACTOR = 5.0


@dataclasses.dataclass(frozen=True)
class Problem:
    """One benchmark problem: data and the penalties (for the sparse one)."""

    name: str
    x: np.ndarray
    y: np.ndarray
    l1: float = 0.0
    l2: float = 0.0

    @property
    def sparse(self) -> bool:
        """Whether this is the penalized (fit_sparse) problem."""
        return self.l1 > 0


def correlated_columns(rng: np.random.Generator, n: int, p: int, rho: float) -> np.ndarray:
    """Standard normal columns with correlation rho**|j - k| (an AR(1) design)."""
    noise = rng.normal(size=(n, p))
    x = np.empty_like(noise)
    x[:, 0] = noise[:, 0]
    for j in range(1, p):
        x[:, j] = rho * x[:, j - 1] + np.sqrt(1 - rho**2) * noise[:, j]
    return x


def make_problems(n: int, p: int, seed: int = 0) -> list[Problem]:
    """Logistic and Poisson data with coefficients scaled so the linear response is O(1).

    Independent columns make an easy problem for first-order solvers (lbfgs converges in a
    handful of iterations); the correlated design (rho = 0.9) is a common harder case.
    """
    rng = np.random.default_rng(seed)
    x = rng.normal(size=(n, p))
    w = rng.normal(size=p) / np.sqrt(p)
    logistic_y = rng.binomial(1, 1 / (1 + np.exp(-x @ w))).astype(np.float64)
    poisson_y = rng.poisson(np.exp(0.5 * x @ w)).astype(np.float64)
    x_correlated = correlated_columns(rng, n, p, CORRELATION)
    correlated_y = rng.binomial(1, 1 / (1 + np.exp(-x_correlated @ w))).astype(np.float64)
    from probax import glm

    largest = float(glm.largest_useful_l1_regularizer(x, logistic_y, glm.Bernoulli()))
    return [
        Problem("logistic fit", x, logistic_y),
        Problem("logistic fit, correlated columns", x_correlated, correlated_y),
        Problem("poisson fit", x, poisson_y),
        Problem("logistic fit_sparse", x, logistic_y, l1=L1_FRACTION * largest, l2=L2),
    ]


# ---------------------------------------------------------------- candidates
def probax_candidates(problem: Problem) -> dict[str, Callable[[], Any]]:
    from probax import glm

    x, y = jnp.asarray(problem.x), jnp.asarray(problem.y)
    if problem.name.startswith("logistic fit") and not problem.sparse:
        return {"probax": lambda: glm.fit(x, y, glm.Bernoulli()).model_coefficients}
    if problem.name == "poisson fit":
        return {"probax": lambda: glm.fit(x, y, glm.Poisson()).model_coefficients}
    return {
        "probax": lambda: (
            glm.fit_sparse(
                x, y, glm.Bernoulli(), l1_regularizer=problem.l1, l2_regularizer=problem.l2
            ).model_coefficients
        ),
    }


def tfp_candidates(problem: Problem) -> dict[str, Callable[[], Any]]:
    if problem.sparse:
        return {}
    from tensorflow_probability.substrates import jax as tfp

    model = tfp.glm.Poisson() if problem.name == "poisson fit" else tfp.glm.Bernoulli()
    fit = jax.jit(lambda x, y: tfp.glm.fit(x, y, model)[0])
    x, y = jnp.asarray(problem.x), jnp.asarray(problem.y)

    def call():
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # "fast_unsafe_numerics not supported in JAX" (while tracing)
            return fit(x, y)

    return {"tfp": call}


def statsmodels_candidates(problem: Problem) -> dict[str, Callable[[], Any]]:
    if problem.sparse:
        return {}  # GLM.fit_regularized is a pure-Python coordinate descent: minutes at this size
    import statsmodels.api as sm

    family = sm.families.Poisson() if problem.name == "poisson fit" else sm.families.Binomial()
    return {"statsmodels": lambda: sm.GLM(problem.y, problem.x, family=family).fit().params}


def sklearn_candidates(problem: Problem) -> dict[str, Callable[[], Any]]:
    from sklearn.linear_model import LogisticRegression, PoissonRegressor

    x, y = problem.x, problem.y
    if problem.name.startswith("logistic fit") and not problem.sparse:

        def logistic(solver):
            # C = inf: no penalty. lbfgs' default tol (1e-4 on the gradient) stops short of agreement.
            model = LogisticRegression(
                C=np.inf, solver=solver, fit_intercept=False, tol=1e-8, max_iter=10_000
            )
            return lambda: model.fit(x, y).coef_[0]

        return {"sklearn-lbfgs": logistic("lbfgs"), "sklearn-newton-cholesky": logistic("newton-cholesky")}
    if problem.name == "poisson fit":

        def poisson(solver):
            model = PoissonRegressor(alpha=0.0, solver=solver, fit_intercept=False, tol=1e-8, max_iter=10_000)
            return lambda: model.fit(x, y).coef_

        return {"sklearn-lbfgs": poisson("lbfgs"), "sklearn-newton-cholesky": poisson("newton-cholesky")}
    inverse_c = problem.l1 + 2 * problem.l2
    model = LogisticRegression(
        C=1 / inverse_c,
        l1_ratio=problem.l1 / inverse_c,
        solver="saga",
        fit_intercept=False,
        tol=1e-6,
        max_iter=10_000,
    )

    def saga():
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            return model.fit(x, y).coef_[0]

    return {"sklearn-saga": saga}


PEER_BUILDERS = {"tfp": tfp_candidates, "statsmodels": statsmodels_candidates, "sklearn": sklearn_candidates}
PEER_PACKAGES = {"tfp": "tfp-nightly", "statsmodels": "statsmodels", "sklearn": "scikit-learn"}
PEER_SETTINGS = {
    "tfp": "tfp.glm.fit defaults (fast_unsafe_numerics is ignored on JAX: least squares by QR), jitted",
    "statsmodels": "GLM(family).fit() defaults: IRLS, tol 1e-8 on the deviance",
    "sklearn": "fit_intercept=False; lbfgs / newton-cholesky: tol=1e-8; saga: tol=1e-6; max_iter=10000",
    "probax": (
        "glm.fit / glm.fit_sparse defaults (fit: Newton-form Fisher scoring, float64 score, Fisher "
        "information in float32 with its Cholesky factor reused while weights change < 10%; "
        "fit_sparse: one sweep per iteration)"
    ),
}


def build_calls(
    problem: Problem, missing: dict[str, str], first_call_seconds: dict[str, float]
) -> tuple[dict, dict, dict[str, str], dict]:
    """Candidates that import and run, their first answers, why any is left out, and one timed call each.

    The seconds of each candidate's first call (compilation included) go into `first_call_seconds`.
    """
    candidates = dict(probax_candidates(problem))
    for peer, builder in PEER_BUILDERS.items():
        if peer in missing:
            continue
        try:
            candidates |= builder(problem)
        except ImportError as err:
            missing[peer] = f"cannot import: {err}"[:300]
    calls, answers, notes, first_seconds = {}, {}, {}, {}
    for name, call in candidates.items():
        try:
            start = time.perf_counter()
            answers[name] = np.asarray(timing.block(call()), np.float64)  # compiles probax and TFP
            first_call_seconds[name] = time.perf_counter() - start
            first_seconds[name] = timing.seconds_per_call(call, 1)
        except Exception as err:
            notes[name] = f"failed: {type(err).__name__}: {err}"[:300]
            continue
        calls[name] = call
    return calls, answers, notes, first_seconds


def agreement(answers: dict[str, np.ndarray]) -> dict[str, float]:
    """Each peer's largest coefficient difference from probax over probax's largest coefficient."""
    reference = answers.get("probax")
    if reference is None:
        return {}
    scale = float(np.max(np.abs(reference)))
    return {
        name: float(np.max(np.abs(answer - reference)) / scale)
        for name, answer in answers.items()
        if name != "probax"
    }


def bench_problem(problem: Problem, args, missing: dict[str, str]) -> dict[str, Any]:
    print(f"timing {problem.name} ...", flush=True)
    first_call_seconds: dict[str, float] = {}
    calls, answers, notes, first_seconds = build_calls(problem, missing, first_call_seconds)
    differences = agreement(answers)
    # Candidates far slower than probax (statsmodels and TFP here: tens of seconds) cannot be the
    # fastest peer; timing them in rounds of their own keeps the rounds that compare probax with
    # its close competitors short, so that load from elsewhere hits both sides of the ratio alike.
    limit = SLOW_FACTOR * first_seconds.get("probax", np.inf)
    close = {name: call for name, call in calls.items() if first_seconds[name] <= limit}
    slow = {name: call for name, call in calls.items() if name not in close}
    timings = timing.time_rounds(
        close, args.repeats, args.min_round_seconds, budget=args.budget, warmed=True, keep=["probax"]
    )
    timings |= timing.time_rounds(
        slow, min(args.repeats, 3), args.min_round_seconds, budget=args.budget, warmed=True
    )
    seconds = {name: timed.best for name, timed in timings.items()}
    nonzeros = {name: int(np.sum(np.abs(answer) > 1e-10)) for name, answer in answers.items()}
    return {
        "problem": problem.name,
        "l1_regularizer": problem.l1 or None,
        "l2_regularizer": problem.l2 or None,
        "seconds_per_call": seconds,
        "first_call_seconds": first_call_seconds,
        **timing.peer_comparison(timings),
        "timings": {name: timed.summary() for name, timed in timings.items()},
        "max_coefficient_difference_over_max_coefficient": differences,
        "all_agree": all(d <= AGREEMENT for d in differences.values()),
        "nonzero_coefficients": nonzeros,
        "slow_candidates": sorted(slow),
        "notes": notes,
    }


def table(rows: list[dict[str, Any]]) -> str:
    """Readable results: seconds per fit, the fastest peer, the ratio and the agreement."""
    names = sorted(
        {name for row in rows for name in row["seconds_per_call"]}, key=lambda n: (n != "probax", n)
    )
    header = ["problem", *names, "fastest peer", "peer/probax", "max rel diff"]
    lines = []
    for row in rows:
        ratio = row["ratio_fastest_peer_over_probax"]
        differences = row["max_coefficient_difference_over_max_coefficient"]
        lines.append(
            [
                row["problem"],
                *(timing.format_seconds(row["seconds_per_call"].get(name)) for name in names),
                row["fastest_peer"] or "-",
                "-" if ratio is None else f"{ratio:.2f}",
                f"{max(differences.values()):.1e}" if differences else "-",
            ]
        )
    return timing.format_table(header, lines)


def parse_args(argv=None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--quick", action="store_true", help="small problems, few repeats (smoke run)")
    parser.add_argument("--n", type=int, help="rows")
    parser.add_argument("--p", type=int, help="columns")
    parser.add_argument("--repeats", type=int, help="interleaved timing rounds")
    parser.add_argument("--output", help="results file stem under benchmarks/results/")
    parser.add_argument(
        "--peers",
        nargs="+",
        choices=sorted(PEER_BUILDERS),
        default=sorted(PEER_BUILDERS),
        help="peers to time (all by default; statsmodels and TFP take minutes at the full size)",
    )
    parser.add_argument(
        "--budget", type=float, default=120.0, help="seconds of timed rounds per problem (>= 3 rounds)"
    )
    args = parser.parse_args(argv)
    args.n = args.n or (10_000 if args.quick else 100_000)
    args.p = args.p or (20 if args.quick else 100)
    args.repeats = args.repeats or (3 if args.quick else 15)
    args.min_round_seconds = 0.01 if args.quick else 0.2
    args.output = args.output or (f"{NAME}_quick" if args.quick else NAME)
    return args


def main(argv=None) -> int:
    args = parse_args(argv)
    try:
        import probax  # noqa: F401
    except ImportError:
        sys.exit("probax is not importable; install it first (pip install -e .[bench]).")
    missing = {peer: "left out by --peers" for peer in PEER_BUILDERS if peer not in args.peers}
    rows = [bench_problem(problem, args, missing) for problem in make_problems(args.n, args.p)]
    for name, reason in missing.items():
        print(f"peer {name} left out: {reason}", flush=True)
    payload = {
        "benchmark": NAME,
        "settings": {
            "n": args.n,
            "p": args.p,
            "dtype": "float64",
            "repeats": args.repeats,
            "quick": args.quick,
            "min_round_seconds": args.min_round_seconds,
            "budget_seconds": args.budget,
            "peers": args.peers,
            "agreement_threshold": AGREEMENT,
            "sparse_l1_fraction_of_all_zero_weight": L1_FRACTION,
            "sparse_l2": L2,
            "solvers": PEER_SETTINGS,
        },
        "machine": timing.machine_info(),
        "versions": {"probax": timing.package_version("probax")}
        | {peer: timing.package_version(package) for peer, package in PEER_PACKAGES.items()},
        "results": rows,
        "missing_libraries": missing,
    }
    path = timing.write_results(args.output, payload)
    print()
    print(table(rows))
    print(
        f"\nseconds per fit: fastest round; peer/probax: median of the ratios round by round (candidates "
        f"timed back to back); {args.n:,} x {args.p}; results in {path}"
    )
    return 0 if all(row["all_agree"] for row in rows) else 1


if __name__ == "__main__":
    sys.exit(main())
