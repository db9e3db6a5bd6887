"""Seed 001's "Canned approach: GLMs" slide, in probax.

The slide builds a Bernoulli GLM and fits it with L1 and L2 penalties:

    model = tfp.glm.Bernoulli()
    coeffs, linear_response, is_converged, num_iter = tfp.glm.fit_sparse(
        model_matrix=x, response=y, l1_regularizer=0.5, l2_regularizer=1., model=model)

`fit_sparse` returns three values, `(model_coefficients, is_converged, num_iter)` (in TFP
and in probax); the slide's four-name unpacking is a slip (`fit` is the one that also
returns the linear response). This script simulates data with a sparse true weight vector,
runs the slide's call as written, prints the estimate next to the truth, shows how a
larger `l1_regularizer` zeroes the irrelevant weights (and an unpenalized refit on the
kept columns undoes the L1 shrinkage), and then fits a small dense Poisson
GLM with `fit` and prints its coefficient table.

Run it alone with `python examples/glm.py --output demo_output` or through `make demo`.
"""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import NamedTuple

import numpy as np

from figures import output_folder, pyplot, save_figure
from probax import glm

NUM_ROWS, NUM_FEATURES = 1000, 20
TRUE_SUPPORT = (2, 7, 11, 16)


class SparseProblem(NamedTuple):
    """A simulated logistic-regression problem whose true weights are mostly zero."""

    model_matrix: np.ndarray
    response: np.ndarray
    true_coefficients: np.ndarray


def simulate_sparse_problem(seed: int = 0) -> SparseProblem:
    """x ~ N(0, 1), four non-zero weights out of twenty, y ~ Bernoulli(sigmoid(x @ w))."""
    rng = np.random.default_rng(seed)
    x = rng.normal(size=(NUM_ROWS, NUM_FEATURES))
    w = np.zeros(NUM_FEATURES)
    w[list(TRUE_SUPPORT)] = [1.5, -1.0, 2.0, -1.5]
    y = rng.binomial(1, 1 / (1 + np.exp(-x @ w))).astype(np.float64)
    return SparseProblem(x, y, w)


def seed_fit(problem: SparseProblem) -> glm.FitSparseResult:
    """The slide's call, as written (three results, not four)."""
    x, y = problem.model_matrix, problem.response
    # Build model.
    model = glm.Bernoulli()
    # Fit model.
    coeffs, is_converged, num_iter = glm.fit_sparse(
        model_matrix=x,
        response=y,
        l1_regularizer=0.5,  # Induces sparse weights.
        l2_regularizer=1.0,  # Also prevents over-fitting.
        model=model,
    )
    return glm.FitSparseResult(coeffs, is_converged, num_iter)


def strong_l1_fit(problem: SparseProblem) -> tuple[float, glm.FitSparseResult]:
    """The same fit with `l1_regularizer` at a fifth of the weight that zeroes every coefficient.

    fit_sparse's objective sums the log-likelihood over rows (TFP's scaling), so a weight
    that makes a difference grows with the number of rows.
    """
    x, y = problem.model_matrix, problem.response
    l1 = 0.2 * float(glm.largest_useful_l1_regularizer(x, y, glm.Bernoulli()))
    return l1, glm.fit_sparse(
        model_matrix=x, response=y, l1_regularizer=l1, l2_regularizer=1.0, model=glm.Bernoulli()
    )


def sparse_demo(problem: SparseProblem) -> tuple[list[str], dict[str, np.ndarray]]:
    """Fit both ways; return printable lines and the estimates (for the figure)."""
    seed = seed_fit(problem)
    l1, strong = strong_l1_fit(problem)
    seed_w, strong_w = np.asarray(seed.model_coefficients), np.asarray(strong.model_coefficients)
    # L1 shrinks what it keeps; an unpenalized `fit` on the selected columns undoes the shrinkage.
    support = np.flatnonzero(strong_w)
    refit_w = np.zeros(NUM_FEATURES)
    refit_w[support] = np.asarray(
        glm.fit(problem.model_matrix[:, support], problem.response, glm.Bernoulli())[0]
    )
    lines = [
        f"simulated x: {NUM_ROWS} x {NUM_FEATURES}, true non-zero weights at {list(TRUE_SUPPORT)}",
        f"seed call (l1=0.5, l2=1): is_converged={bool(seed.is_converged)}, num_iter={int(seed.num_iter)}, "
        f"exact zeros: {int(np.sum(seed_w == 0))} of {NUM_FEATURES}",
        f"l1={l1:.1f} (0.2 x the all-zero weight): is_converged={bool(strong.is_converged)}, "
        f"num_iter={int(strong.num_iter)}, non-zero at {np.flatnonzero(strong_w).tolist()}",
        f"{'j':>3} {'truth':>8} {'l1=0.5':>9} {f'l1={l1:.0f}':>9} {'refit':>9}",
    ]
    lines += [
        f"{j:>3} {truth:>8.2f} {seed_w[j]:>9.3f} {strong_w[j]:>9.3f} {refit_w[j]:>9.3f}"
        for j, truth in enumerate(problem.true_coefficients)
    ]
    estimates = {
        "l1=0.5 (seed call)": seed_w,
        f"l1={l1:.0f}": strong_w,
        "unpenalized refit on support": refit_w,
    }
    return lines, estimates


def dense_demo(seed: int = 1) -> list[str]:
    """`fit` (Fisher scoring) and the coefficient table on a small Poisson regression."""
    rng = np.random.default_rng(seed)
    covariates = rng.normal(size=(200, 2))
    x = np.column_stack([np.ones(200), covariates])
    y = rng.poisson(np.exp(x @ np.array([0.5, 0.8, -0.3]))).astype(np.float64)
    w, _, is_converged, num_iter = glm.fit(model_matrix=x, response=y, model=glm.Poisson())
    table = glm.summary(x, y, glm.Poisson(), w, coefficient_names=["const", "x1", "x2"])
    return [
        "true coefficients: const 0.5, x1 0.8, x2 -0.3",
        f"fit: is_converged={bool(is_converged)}, num_iter={int(num_iter)}",
        str(table),
    ]


def plot_estimates(truth: np.ndarray, estimates: dict[str, np.ndarray], path: Path) -> None:
    """Truth and estimates per coefficient."""
    plt = pyplot()

    fig, ax = plt.subplots(figsize=(9, 3.8))
    index = np.arange(len(truth))
    ax.bar(index, truth, color="0.8", label="truth")
    for k, (label, values) in enumerate(estimates.items()):
        ax.plot(index + 0.15 * (k - 1), values, "o", ms=5, label=label)
    ax.axhline(0.0, color="k", lw=0.5)
    ax.set_xticks(index)
    ax.set_xlabel("coefficient")
    ax.set_ylabel("weight")
    ax.set_title("Sparse Bernoulli GLM: fit_sparse estimates against the true weights")
    ax.legend(fontsize=8)
    save_figure(fig, path)


def main(output: Path) -> str:
    """Run both demos, write `glm.png` into `output`, return the summary text."""
    output = output_folder(output)
    problem = simulate_sparse_problem()
    sparse_lines, estimates = sparse_demo(problem)
    plot_estimates(problem.true_coefficients, estimates, output / "glm.png")
    lines = ["== Seed 001: generalized linear models =="]
    lines += ["-- fit_sparse: the slide's sparse Bernoulli GLM --", *sparse_lines]
    lines += ["-- fit + summary: a dense Poisson GLM --", *dense_demo()]
    lines.append(f"figure: {output / 'glm.png'}")
    return "\n".join(lines)


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--output", type=Path, default=Path("demo_output"))
    print(main(parser.parse_args().output))
