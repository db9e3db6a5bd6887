"""Throughput of multivariate normal `log_prob`: probax against TFP on JAX and NumPyro.

Cases (float32, d = 50 by default, n = 65536 values):

* `tril_one`: one MultivariateNormalTriL, n values (`[n, d]`);
* `tril_batch`: a batch of 16 TriL distributions, n values spread over them (`[n/16, 16, d]`);
* `diag_one`: one MultivariateNormalDiag, n values.

Each library builds the distribution inside a jitted function from the same arrays and returns
`log_prob(values)`. NumPyro's `MultivariateNormal(loc, scale_tril=...)` stands in for TriL and
`Normal(loc, scale).to_event(1)` for the diagonal. The figure of merit is
`ratio = fastest_peer_seconds / probax_seconds` (>= 1.0: probax at least as fast as every peer), the
median of that ratio over interleaved rounds, each pair timed back to back (see
`timing.time_rounds` and `timing.peer_comparison`); the table's times are each library's fastest round.

Run:
  python benchmarks/multivariate.py            # full run -> results/multivariate.json
  python benchmarks/multivariate.py --quick    # smoke run -> results/multivariate_quick.json
"""

from __future__ import annotations

import argparse
import functools
import warnings
from collections.abc import Callable
from typing import Any

import jax
import jax.numpy as jnp
import numpy as np

import timing

warnings.filterwarnings("ignore", message="Explicitly requested dtype float64")

NAME = "multivariate"
BATCH = 16
CASES = ("tril_one", "tril_batch", "diag_one")


def _probax(family):
    from probax.distributions.multivariate_normal_diag import MultivariateNormalDiag
    from probax.distributions.multivariate_normal_tril import MultivariateNormalTriL

    return {"tril": MultivariateNormalTriL, "diag": MultivariateNormalDiag}[family]


def _tfp(family):
    import tensorflow_probability.substrates.jax as tfp

    tfd = tfp.distributions
    return {"tril": tfd.MultivariateNormalTriL, "diag": tfd.MultivariateNormalDiag}[family]


def _numpyro(family):
    import numpyro.distributions as npd

    if family == "tril":
        return lambda loc, scale_tril: npd.MultivariateNormal(loc, scale_tril=scale_tril)
    return lambda loc, scale_diag: npd.Normal(loc, scale_diag).to_event(1)


LIBRARIES: dict[str, Callable[[str], Any]] = {"probax": _probax, "tfp": _tfp, "numpyro": _numpyro}
PACKAGES = {"probax": "probax", "tfp": "tfp-nightly", "numpyro": "numpyro"}


def make_case(case: str, n: int, d: int) -> tuple[str, dict[str, jax.Array], jax.Array]:
    """The family, float32 parameters and values for one case (the same for every library)."""
    rng = np.random.default_rng(0)
    batch = (BATCH,) if case == "tril_batch" else ()
    loc = rng.normal(size=(*batch, d))
    if case.startswith("tril"):
        tril = np.tril(rng.normal(size=(*batch, d, d)), -1) * 0.1
        tril += np.einsum("...i,ij->...ij", rng.uniform(0.5, 1.5, size=(*batch, d)), np.eye(d))
        params = {"loc": loc, "scale_tril": tril}
    else:
        params = {"loc": loc, "scale_diag": rng.uniform(0.5, 1.5, size=(d,))}
    value_shape = (n // BATCH, BATCH, d) if batch else (n, d)
    values = rng.normal(size=value_shape)
    family = "tril" if case.startswith("tril") else "diag"
    params = {k: jnp.asarray(v, jnp.float32) for k, v in params.items()}
    return family, params, jnp.asarray(values, jnp.float32)


def build_calls(case: str, n: int, d: int):
    """Jitted log_prob calls per library (run once here), their outputs and notes on failures."""
    family, params, values = make_case(case, n, d)
    calls, outputs, notes = {}, {}, {}
    for name, constructor_of in LIBRARIES.items():
        try:
            build = constructor_of(family)
            fn = jax.jit(lambda p, x, build=build: build(**p).log_prob(x))
            call = functools.partial(fn, params, values)
            outputs[name] = np.asarray(timing.block(call()), np.float64)
        except Exception as err:  # a peer missing or failing: report, do not stop
            notes[name] = f"failed: {type(err).__name__}: {err}"[:300]
            continue
        calls[name] = call
    return calls, outputs, notes


def bench_case(case: str, args) -> dict[str, Any]:
    """Time one case across libraries, interleaved."""
    calls, outputs, notes = build_calls(case, args.n, args.d)
    reference = outputs.get("probax")
    agreement = {
        name: float(np.max(np.abs(out - reference)))
        for name, out in outputs.items() if name != "probax" and reference is not None
    }
    timings = timing.time_rounds(calls, args.repeats, args.min_round_seconds, budget=args.budget, warmed=True,
                                 drop_slower_than=args.drop_factor, keep=("probax",))
    return {
        "case": case,
        "seconds_per_call": {name: timings[name].best if name in timings else None for name in LIBRARIES},
        **timing.peer_comparison(timings, "probax"),
        "timings": {name: t.summary() for name, t in timings.items()},
        "max_abs_diff_vs_probax": agreement,
        "notes": notes,
    }


def table(rows) -> str:
    """The results as a readable table; ratio >= 1 means probax is at least as fast."""
    header = ["case", *LIBRARIES, "fastest peer", "peer/probax", "(best)", "(p10)", "(cpu)", "max|diff|"]
    ratios = ("ratio_fastest_peer_over_probax", "ratio_of_best_rounds", "ratio_of_10th_percentiles",
              "ratio_of_cpu_time")
    lines = []
    for row in rows:
        diffs = row["max_abs_diff_vs_probax"]
        lines.append([
            row["case"],
            *(timing.format_seconds(row["seconds_per_call"][name]) for name in LIBRARIES),
            row["fastest_peer"] or "-",
            *("-" if row[key] is None else f"{row[key]:.2f}" for key in ratios),
            f"{max(diffs.values()):.1e}" if diffs else "-",
        ])
    return timing.format_table(header, lines)


def parse_args(argv=None) -> argparse.Namespace:
    """Command-line options; `--quick` picks small sizes for a smoke run."""
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--quick", action="store_true", help="small sizes, few repeats (smoke run)")
    parser.add_argument("--n", type=int, help="values per log_prob call")
    parser.add_argument("--d", type=int, default=50, help="event size")
    parser.add_argument("--repeats", type=int, help="interleaved timing rounds")
    parser.add_argument("--cases", nargs="+", choices=CASES, default=list(CASES), help="subset to run")
    parser.add_argument("--output", help="results file stem under benchmarks/results/")
    parser.add_argument("--budget", type=float, default=20.0,
                        help="seconds of timed rounds per case (at least 3 rounds run)")
    parser.add_argument(
        "--drop-factor", type=float, default=3.0,
        help="stop timing a library once its best round is this many times the fastest library's",
    )
    args = parser.parse_args(argv)
    args.n = args.n or (4096 if args.quick else 65536)
    args.repeats = args.repeats or (3 if args.quick else 40)
    args.min_round_seconds = 0.01 if args.quick else 0.03
    args.output = args.output or (f"{NAME}_quick" if args.quick else NAME)
    return args


def main(argv=None) -> None:
    """Run the benchmark, write the JSON results and print the table."""
    args = parse_args(argv)
    rows = []
    for case in args.cases:
        print(f"timing {case} ...", flush=True)
        rows.append(bench_case(case, args))
    payload = {
        "benchmark": NAME,
        "settings": {"n": args.n, "d": args.d, "batch": BATCH, "repeats": args.repeats, "quick": args.quick,
                     "dtype": "float32", "min_round_seconds": args.min_round_seconds,
                     "budget_seconds": args.budget, "drop_factor": args.drop_factor,
                     "statistics": "seconds: fastest round; ratio: median of round-by-round ratios"},
        "machine": timing.machine_info(),
        "versions": {name: timing.package_version(package) for name, package in PACKAGES.items()},
        "results": rows,
    }
    path = timing.write_results(args.output, payload)
    print()
    print(table(rows))
    print(f"\nseconds per call: fastest of up to {args.repeats} rounds; peer/probax: median of the ratios "
          f"round by round ((best), (p10): ratios of the fastest rounds, of the 10th percentiles; "
          f"(cpu): of process CPU time round by round); "
          f"n = {args.n:,}, d = {args.d}; results in {path}")


if __name__ == "__main__":
    main()
