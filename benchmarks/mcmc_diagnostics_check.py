"""Posterior summary: probax `summarize` against ArviZ's `summary`, same draws, same process.

Draws: `--chains` x `--draws` x `--params` (default 4 x 1000 x 1000) AR(1) chains
with assorted autocorrelations, float64, in a dict of one array-valued parameter.
Both libraries compute mean, sd, the 94% HDI, MCSE of the mean and sd, bulk and
tail ESS and rank-normalized R-hat for every parameter. Reported: seconds per
summary, `ratio = arviz_seconds / probax_seconds` (>= 1.0: probax is at least
as fast), and the largest relative difference per column between the two tables.

ArviZ 0.x (`arviz.summary`) or ArviZ 1.x, whichever is installed. arviz-stats 0.8
(ArviZ 1.x's statistics) computes `mcse_sd` with the draws' ESS instead of the ESS
of the squared deviations (its issue 428, fixed later); with it that column differs.

Run:
  python benchmarks/mcmc_diagnostics_check.py          # full run -> results/mcmc_diagnostics_check.json
  python benchmarks/mcmc_diagnostics_check.py --quick  # -> results/mcmc_diagnostics_check_quick.json
"""

from __future__ import annotations

import argparse
import sys
import warnings

import numpy as np
from scipy import signal

import timing
from probax.mcmc.summary import summarize

NAME = "mcmc_diagnostics_check"
PROB = 0.94
# probax column -> ArviZ 0.x column (ArviZ 1.x names its interval bounds differently).
ARVIZ_COLUMNS = {c: c for c in ("mean", "sd", "hdi_3%", "hdi_97%", "mcse_mean", "mcse_sd", "ess_bulk",
                                "ess_tail", "r_hat")}


def make_draws(chains: int, draws: int, params: int, seed: int = 0) -> np.ndarray:
    """AR(1) chains, coefficient spread over [0, 0.95] across parameters, unit stationary variance."""
    rng = np.random.default_rng(seed)
    rho = np.linspace(0.0, 0.95, params)
    out = np.empty((chains, draws, params))
    noise = rng.normal(size=(chains, draws, params))
    for j, r in enumerate(rho):
        start = noise[:, :, j].copy()
        start[:, 0] /= np.sqrt(1 - r**2)
        out[:, :, j] = signal.lfilter([np.sqrt(1 - r**2)], [1, -r], start, axis=1)
    return out


def arviz_summary_fn(arviz, data: dict[str, np.ndarray]):
    """A zero-argument call of ArviZ's summary, and a function reading a column of its table."""
    if int(arviz.__version__.split(".")[0]) >= 1:
        tree = arviz.from_dict({"posterior": data})

        def call():
            return arviz.summary(tree, ci_prob=PROB, ci_kind="hdi", round_to="none")

        percent = int(PROB * 100)
        names = {**ARVIZ_COLUMNS, "hdi_3%": f"hdi{percent}_lb", "hdi_97%": f"hdi{percent}_ub"}
    else:
        inference_data = arviz.from_dict(posterior=data)

        def call():
            return arviz.summary(inference_data, hdi_prob=PROB, round_to="none")

        names = ARVIZ_COLUMNS
    return call, lambda table, column: np.asarray(table[names[column]], dtype=float)


def main(argv: list[str]) -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--chains", type=int, default=4)
    parser.add_argument("--draws", type=int, default=1000)
    parser.add_argument("--params", type=int, default=1000)
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--quick", action="store_true", help="4 x 200 x 20 draws, 3 rounds")
    args = parser.parse_args(argv)
    if args.quick:
        args.draws, args.params, args.repeats = 200, 20, 3
    try:
        import arviz
    except ImportError:
        sys.exit("this check needs ArviZ: pip install arviz")

    data = {"theta": make_draws(args.chains, args.draws, args.params)}
    arviz_call, arviz_column = arviz_summary_fn(arviz, data)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        ours, theirs = summarize(data, prob=PROB), arviz_call()
        seconds, rounds = timing.time_interleaved(
            {"probax": lambda: summarize(data, prob=PROB), "arviz": arviz_call},
            repeats=args.repeats, min_seconds=0.0, budget=300.0,
        )
    table = ours.to_dict()
    differences = {
        column: float(np.max(np.abs(np.asarray(table[column]) - arviz_column(theirs, column))
                             / np.abs(arviz_column(theirs, column))))
        for column in ARVIZ_COLUMNS
    }
    ratio = seconds["arviz"] / seconds["probax"]
    shape = (args.chains, args.draws, args.params)
    print(f"summary of draws shaped {shape}, ArviZ {arviz.__version__}, {rounds} rounds")
    print(timing.format_table(
        ["library", "seconds per summary"],
        [[name, timing.format_seconds(value)] for name, value in seconds.items()],
    ))
    print(f"ratio arviz / probax: {ratio:.1f}")
    print("largest relative difference per column:")
    rows = [[column, f"{difference:.2e}"] for column, difference in differences.items()]
    print(timing.format_table(["column", "max rel. diff."], rows))
    path = timing.write_results(NAME + ("_quick" if args.quick else ""), {
        "machine": timing.machine_info(),
        "arviz": arviz.__version__,
        "shape": shape,
        "rounds": rounds,
        "seconds": seconds,
        "ratio_arviz_over_probax": ratio,
        "max_relative_difference": differences,
    })
    print(f"wrote {path}")


if __name__ == "__main__":
    main(sys.argv[1:])
