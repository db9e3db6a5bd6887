"""Quasi-Newton solves: probax against TFP on JAX, a plain optax L-BFGS loop and scipy.

Two problems, float64, same start and same stopping rule for every solver
(supremum norm of the gradient <= `tolerance`):

* Rosenbrock in 100 dimensions from (-1.2, 1, -1.2, 1, ...);
* the MAP of a logistic regression with a Normal(0, 2) prior on synthetic data
  (`--points` rows, `--features` columns).

Solvers: probax `lbfgs_minimize` and `bfgs_minimize`; TFP's (JAX substrate)
`lbfgs_minimize` and `bfgs_minimize`; `optax.lbfgs()` driven by a
`lax.while_loop` with `optax.value_and_grad_from_state` (its default zoom line
search); scipy's `L-BFGS-B` (ftol=0, so it too stops on the gradient) and
`BFGS` with NumPy objectives. JAX solvers are jitted and timed after
compilation. Reported per solve: seconds, iterations, objective evaluations
and the final gradient norm; `ratio = peer_seconds / probax_seconds` for the
same method (>= 1.0: probax is at least as fast).

Run:
  python benchmarks/optimizer.py            # full run -> results/optimizer.json
  python benchmarks/optimizer.py --quick    # smoke run -> results/optimizer_quick.json
"""

from __future__ import annotations

import os

# scipy's L-BFGS-B makes many BLAS calls on tiny arrays; OpenBLAS's thread pool turns each into
# a thread handoff (35x slower on a busy 2-core machine), so BLAS gets one thread, before numpy loads.
os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")

import argparse
import dataclasses
import sys
from collections.abc import Callable
from typing import Any

import jax

jax.config.update("jax_enable_x64", True)

import jax.numpy as jnp  # noqa: E402
import numpy as np  # noqa: E402
import optax  # noqa: E402
import scipy.optimize  # noqa: E402

import timing  # noqa: E402

NAME = "optimizer"
PRIOR_SCALE = 2.0


@dataclasses.dataclass(frozen=True)
class Problem:
    """An objective in JAX and in NumPy (value and gradient), and a start."""

    name: str
    jax_value: Callable[[jax.Array], jax.Array]
    numpy_value_and_gradient: Callable[[np.ndarray], tuple[float, np.ndarray]]
    start: np.ndarray


def rosenbrock_problem(n: int) -> Problem:
    """Rosenbrock's function in `n` dimensions."""

    def value(x):
        return jnp.sum(100.0 * (x[1:] - x[:-1] ** 2) ** 2 + (1.0 - x[:-1]) ** 2)

    def numpy_value_and_gradient(x):
        return scipy.optimize.rosen(x), scipy.optimize.rosen_der(x)

    return Problem(f"rosenbrock_{n}d", value, numpy_value_and_gradient, np.tile([-1.2, 1.0], n // 2))


def logistic_problem(points: int, features: int) -> Problem:
    """Logistic-regression MAP with a Normal(0, PRIOR_SCALE) prior on synthetic data."""
    rng = np.random.default_rng(0)
    x = rng.normal(size=(points, features))
    w = rng.normal(size=features) / np.sqrt(features)
    y = (rng.uniform(size=points) < 1 / (1 + np.exp(-x @ w))).astype(float)
    xj, yj = jnp.asarray(x), jnp.asarray(y)

    def value(weights):
        logits = xj @ weights
        return jnp.sum(jax.nn.softplus(logits) - yj * logits) + 0.5 * jnp.sum(weights**2) / PRIOR_SCALE**2

    def numpy_value_and_gradient(weights):
        logits = x @ weights
        val = np.sum(np.logaddexp(0.0, logits) - y * logits) + 0.5 * weights @ weights / PRIOR_SCALE**2
        return val, x.T @ (1 / (1 + np.exp(-logits)) - y) + weights / PRIOR_SCALE**2

    return Problem(f"logistic_map_{points}x{features}", value, numpy_value_and_gradient, np.zeros(features))


@dataclasses.dataclass
class Outcome:
    """One solve's result, uniform across solvers."""

    position: np.ndarray
    iterations: int
    evaluations: int
    converged: bool


def tfp_style(minimize, problem: Problem, tolerance: float, max_iterations: int):
    """A jitted TFP-signature solve (probax or TFP) and its outcome reader."""
    value_and_grad = jax.value_and_grad(problem.jax_value)
    solve = jax.jit(lambda x: minimize(value_and_grad, x, tolerance=tolerance, max_iterations=max_iterations))
    start = jnp.asarray(problem.start)

    def read(result) -> Outcome:
        return Outcome(
            np.asarray(result.position),
            int(result.num_iterations),
            int(result.num_objective_evaluations),
            bool(result.converged),
        )

    return (lambda: solve(start)), read


def optax_loop(problem: Problem, tolerance: float, max_iterations: int):
    """`optax.lbfgs()` in a `lax.while_loop`, stopping on the supremum norm of the gradient."""
    solver = optax.lbfgs()
    value_and_grad = optax.value_and_grad_from_state(problem.jax_value)

    def solve(x):
        def step(carry):
            x, state, iteration, _ = carry
            value, grad = value_and_grad(x, state=state)
            updates, state = solver.update(grad, state, x, value=value, grad=grad, value_fn=problem.jax_value)
            x = optax.apply_updates(x, updates)
            return x, state, iteration + 1, jnp.max(jnp.abs(optax.tree.get(state, "grad")))

        def keep_going(carry):
            _, _, iteration, grad_norm = carry
            return (iteration < max_iterations) & (grad_norm > tolerance)

        carry = (x, solver.init(x), 0, jnp.inf)
        return jax.lax.while_loop(keep_going, step, carry)

    solve = jax.jit(solve)
    start = jnp.asarray(problem.start)

    def read(result) -> Outcome:
        x, _, iterations, grad_norm = result
        # One evaluation to start, then the line search's steps; optax does not total them.
        return Outcome(np.asarray(x), int(iterations), -1, bool(grad_norm <= tolerance))

    return (lambda: solve(start)), read


def scipy_solve(method: str, problem: Problem, tolerance: float, max_iterations: int):
    """scipy's solver with the NumPy objective; stops on the gradient only."""
    options: dict[str, Any] = {"gtol": tolerance, "maxiter": max_iterations}
    if method == "L-BFGS-B":
        options.update(ftol=0.0, maxcor=10)

    def solve():
        return scipy.optimize.minimize(
            problem.numpy_value_and_gradient, problem.start, jac=True, method=method, options=options
        )

    def read(result) -> Outcome:
        return Outcome(result.x, int(result.nit), int(result.nfev), bool(result.success))

    return solve, read


def candidates(problem, tolerance, max_iterations) -> dict[str, dict[str, tuple[Callable, Callable]]]:
    """method -> solver name -> (zero-argument solve, outcome reader)."""
    from probax import optimizer as px

    out = {
        "lbfgs": {
            "probax": tfp_style(px.lbfgs_minimize, problem, tolerance, max_iterations),
            "optax": optax_loop(problem, tolerance, max_iterations),
            "scipy": scipy_solve("L-BFGS-B", problem, tolerance, max_iterations),
        },
        "bfgs": {
            "probax": tfp_style(px.bfgs_minimize, problem, tolerance, max_iterations),
            "scipy": scipy_solve("BFGS", problem, tolerance, max_iterations),
        },
    }
    try:
        from tensorflow_probability.substrates.jax import optimizer as tfp_optimizer
    except Exception as err:  # not installed, or broken against this JAX
        print(f"TFP left out: {type(err).__name__}: {err}"[:300], flush=True)
    else:
        out["lbfgs"]["tfp"] = tfp_style(tfp_optimizer.lbfgs_minimize, problem, tolerance, max_iterations)
        out["bfgs"]["tfp"] = tfp_style(tfp_optimizer.bfgs_minimize, problem, tolerance, max_iterations)
    return out


def gradient_norm(problem: Problem, position: np.ndarray) -> float:
    """Supremum norm of the NumPy gradient at `position` (the same yardstick for every solver)."""
    return float(np.max(np.abs(problem.numpy_value_and_gradient(np.asarray(position, np.float64))[1])))


def bench_problem(problem: Problem, args) -> list[dict[str, Any]]:
    """Time every solver of every method on one problem; one row per method."""
    rows = []
    for method, solvers in candidates(problem, args.tolerance, args.max_iterations).items():
        calls, outcomes, notes = {}, {}, {}
        for name, (solve, read) in solvers.items():
            try:
                outcomes[name] = read(timing.block(solve()))
            except Exception as err:
                notes[name] = f"failed: {type(err).__name__}: {err}"[:300]
                continue
            calls[name] = solve
        print(f"timing {problem.name} {method}: {', '.join(calls)}", flush=True)
        seconds, rounds = timing.time_interleaved(
            calls, args.repeats, args.min_round_seconds, budget=args.budget, warmed=True
        )
        probax_seconds = seconds.get("probax")
        rows.append(
            {
                "problem": problem.name,
                "method": method,
                "seconds_per_solve": seconds,
                "ratio_peer_over_probax": {
                    name: (value / probax_seconds if probax_seconds else None)
                    for name, value in seconds.items()
                    if name != "probax"
                },
                "iterations": {name: o.iterations for name, o in outcomes.items()},
                "objective_evaluations": {name: o.evaluations for name, o in outcomes.items()},
                "converged": {name: o.converged for name, o in outcomes.items()},
                "final_gradient_sup_norm": {
                    name: gradient_norm(problem, o.position) for name, o in outcomes.items()
                },
                "rounds": rounds,
                "notes": notes,
            }
        )
    return rows


def table(rows: list[dict[str, Any]]) -> str:
    """One line per (problem, method, solver)."""
    header = ["problem", "method", "solver", "time", "peer/probax", "iters", "evals", "max|grad|"]
    lines = []
    for row in rows:
        for name, value in row["seconds_per_solve"].items():
            ratio = row["ratio_peer_over_probax"].get(name)
            evaluations = row["objective_evaluations"][name]
            lines.append(
                [
                    row["problem"],
                    row["method"],
                    name,
                    timing.format_seconds(value),
                    "-" if ratio is None else f"{ratio:.2f}",
                    str(row["iterations"][name]),
                    "-" if evaluations < 0 else str(evaluations),
                    f"{row['final_gradient_sup_norm'][name]:.1e}",
                ]
            )
    return timing.format_table(header, lines)


def parse_args(argv=None) -> argparse.Namespace:
    """Command-line options; `--quick` picks small sizes for a smoke run."""
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--quick", action="store_true", help="small problems, few repeats (smoke run)")
    parser.add_argument("--dimension", type=int, help="Rosenbrock dimension (even)")
    parser.add_argument("--points", type=int, help="logistic-regression rows")
    parser.add_argument("--features", type=int, help="logistic-regression columns")
    parser.add_argument("--tolerance", type=float, default=1e-5, help="gradient supremum-norm tolerance")
    parser.add_argument("--max-iterations", type=int, default=5000)
    parser.add_argument("--repeats", type=int, help="interleaved timing rounds (median reported)")
    parser.add_argument("--budget", type=float, default=60.0, help="seconds of timed rounds per row")
    parser.add_argument("--output", help="results file stem under benchmarks/results/")
    args = parser.parse_args(argv)
    args.dimension = args.dimension or (10 if args.quick else 100)
    args.points = args.points or (200 if args.quick else 10_000)
    args.features = args.features or (5 if args.quick else 50)
    args.repeats = args.repeats or (3 if args.quick else 7)
    args.min_round_seconds = 0.01 if args.quick else 0.1
    args.output = args.output or (f"{NAME}_quick" if args.quick else NAME)
    return args


def main(argv=None) -> None:
    """Run the benchmark, write the JSON results and print the table."""
    args = parse_args(argv)
    problems = [rosenbrock_problem(args.dimension), logistic_problem(args.points, args.features)]
    rows = [row for problem in problems for row in bench_problem(problem, args)]
    payload = {
        "benchmark": NAME,
        "settings": {
            "dimension": args.dimension,
            "points": args.points,
            "features": args.features,
            "tolerance": args.tolerance,
            "max_iterations": args.max_iterations,
            "repeats": args.repeats,
            "quick": args.quick,
            "dtype": "float64",
        },
        "machine": timing.machine_info(),
        "versions": {
            name: timing.package_version(package)
            for name, package in (
                ("probax", "probax"),
                ("tfp", "tfp-nightly"),
                ("optax", "optax"),
                ("scipy", "scipy"),
            )
        },
        "results": rows,
    }
    path = timing.write_results(args.output, payload)
    print()
    print(table(rows))
    print(f"\nseconds per solve (median of up to {args.repeats} rounds); results in {path}")


if __name__ == "__main__":
    sys.exit(main())
