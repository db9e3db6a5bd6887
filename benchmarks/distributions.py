"""Throughput of `log_prob` and `sample` for common families: probax against its peers.

For Normal, Gamma, StudentT, Beta, Categorical (100 classes) and Poisson this
times, in one process and on identical inputs (float32; int32 class labels for
Categorical), a jitted function that builds the distribution from scalar
parameters and then either evaluates `log_prob` on `n` values (1e6 by default)
or draws `n` samples. Peers: TFP on JAX, NumPyro and distrax; a peer without the
family (or not installed) gets null. Families probax does not have yet are
skipped with a message. The figure of merit is `ratio = fastest_peer_seconds / probax_seconds`
(>= 1.0: probax is at least as fast as every peer).

Timing: many short interleaved rounds (see `timing.time_rounds`). The table shows each library's
fastest round; the ratio is the median over rounds of `peer / probax`, each pair timed back to
back, which cancels most load from elsewhere on a shared machine; the ratios of the fastest rounds
and of the 10th percentiles are kept beside it, and each library's median round shows the spread.
A library more than `--drop-factor` times slower than the fastest stops being timed early.

Run:
  python benchmarks/distributions.py            # full run -> results/distributions.json
  python benchmarks/distributions.py --quick    # smoke run -> results/distributions_quick.json
"""

from __future__ import annotations

import argparse
import dataclasses
import functools
import importlib
import sys
import warnings
from collections.abc import Callable, Mapping
from typing import Any

import jax
import jax.numpy as jnp
import numpy as np

import timing

# TFP's JAX substrate asks for float64 in a few samplers and JAX truncates it; harmless here.
warnings.filterwarnings("ignore", message="Explicitly requested dtype float64")

NAME = "distributions"
NUM_CLASSES = 100
OPERATIONS = ("log_prob", "sample")


@dataclasses.dataclass(frozen=True)
class Family:
    """A family to benchmark: TFP-named scalar parameters and a NumPy sampler for test values."""

    name: str
    params: Mapping[str, Any]
    values: Callable[[np.random.Generator, int], np.ndarray]
    value_dtype: Any = np.float32


FAMILIES = (
    Family("Normal", {"loc": 0.5, "scale": 2.0}, lambda rng, n: rng.normal(0.5, 2.0, n)),
    Family("Gamma", {"concentration": 2.5, "rate": 1.5}, lambda rng, n: rng.gamma(2.5, 1 / 1.5, n)),
    Family(
        "StudentT",
        {"df": 5.0, "loc": 0.5, "scale": 2.0},
        lambda rng, n: 0.5 + 2.0 * rng.standard_t(5.0, n),
    ),
    Family(
        "Beta", {"concentration1": 2.0, "concentration0": 3.0}, lambda rng, n: rng.beta(2.0, 3.0, n)
    ),
    Family(
        "Categorical",
        {"logits": np.linspace(-2.0, 2.0, NUM_CLASSES)},
        lambda rng, n: rng.integers(0, NUM_CLASSES, n),
        value_dtype=np.int32,
    ),
    Family("Poisson", {"rate": 4.0}, lambda rng, n: rng.poisson(4.0, n)),
)


def _draw_tfp_style(dist, key, n):
    return dist.sample(n, seed=key)


def _draw_numpyro(dist, key, n):
    return dist.sample(key, (n,))


def _draw_distrax(dist, key, n):
    return dist.sample(seed=key, sample_shape=n)


@dataclasses.dataclass(frozen=True)
class Library:
    """How to reach one library's distributions and call them the same way."""

    name: str
    package: str  # pip distribution name, for the version
    module: str  # module holding the distribution classes
    draw: Callable[[Any, jax.Array, int], jax.Array]
    renames: Mapping[str, Mapping[str, str]] = dataclasses.field(default_factory=dict)

    def load(self):
        """The module of distribution classes; raises ImportError when not installed."""
        return importlib.import_module(self.module)

    def constructor(self, family: str) -> Callable[..., Any] | None:
        """A function of TFP-named parameters building the family, or None if absent."""
        cls = getattr(self.load(), family, None)
        if cls is None:
            return None
        names = self.renames.get(family, {})
        return lambda **params: cls(**{names.get(k, k): v for k, v in params.items()})


PROBAX = Library("probax", "probax", "probax.distributions", _draw_tfp_style)
PEERS = (
    Library("tfp", "tfp-nightly", "tensorflow_probability.substrates.jax.distributions", _draw_tfp_style),
    Library("numpyro", "numpyro", "numpyro.distributions", _draw_numpyro),
    Library(
        "distrax",
        "distrax",
        "distrax",
        _draw_distrax,
        renames={"Beta": {"concentration1": "alpha", "concentration0": "beta"}},
    ),
)
LIBRARIES = (PROBAX, *PEERS)


def available_libraries() -> tuple[list[Library], dict[str, str]]:
    """Libraries that import, and a reason for each one that does not."""
    found, missing = [], {}
    for library in LIBRARIES:
        try:
            library.load()
        except Exception as err:  # ImportError, or a peer broken against this JAX version
            missing[library.name] = f"cannot import: {type(err).__name__}: {err}"[:300]
        else:
            found.append(library)
    return found, missing


def make_inputs(family: Family, n: int) -> tuple[dict[str, jax.Array], jax.Array]:
    """float32 parameters and `n` test values inside the support (same for every library)."""
    params = {k: jnp.asarray(v, jnp.float32) for k, v in family.params.items()}
    values = family.values(np.random.default_rng(0), n)
    return params, jnp.asarray(values.astype(family.value_dtype))


def log_prob_call(build, params, values) -> Callable[[], jax.Array]:
    """A zero-argument call of a jitted `build(**params).log_prob(values)`."""
    fn = jax.jit(lambda p, x: build(**p).log_prob(x))
    return functools.partial(fn, params, values)


def sample_call(library: Library, build, params, n: int) -> Callable[[], jax.Array]:
    """A zero-argument call of a jitted function drawing `n` samples from `build(**params)`."""
    fn = jax.jit(lambda p, key: library.draw(build(**p), key, n))
    return functools.partial(fn, params, jax.random.key(1))


def build_calls(family, operation, libraries, n) -> tuple[dict, dict, dict[str, str]]:
    """Callables to time for one (family, operation), their first outputs, and why any is left out.

    Each callable is run once here (compiling it), so a library that fails to
    trace or run is reported and skipped instead of stopping the benchmark.
    """
    params, values = make_inputs(family, n)
    calls, outputs, notes = {}, {}, {}
    for library in libraries:
        build = library.constructor(family.name)
        if build is None:
            notes[library.name] = f"has no {family.name}"
            continue
        if operation == "log_prob":
            call = log_prob_call(build, params, values)
        else:
            call = sample_call(library, build, params, n)
        try:
            outputs[library.name] = np.asarray(timing.block(call()), np.float64)
        except Exception as err:
            notes[library.name] = f"failed: {type(err).__name__}: {err}"[:300]
            continue
        calls[library.name] = call
    return calls, outputs, notes


def sanity(operation: str, outputs: Mapping[str, np.ndarray]) -> dict[str, float]:
    """Cheap agreement checks, so a fast but wrong result stands out.

    log_prob: each peer's largest |difference| from probax on the same values.
    sample: each library's sample mean (they should agree to Monte Carlo error).
    """
    if operation == "sample":
        return {name: float(np.mean(out)) for name, out in outputs.items()}
    if PROBAX.name not in outputs:
        return {}
    reference = outputs[PROBAX.name]
    with np.errstate(invalid="ignore"):
        return {
            name: float(np.nanmax(np.abs(out - reference)))
            for name, out in outputs.items()
            if name != PROBAX.name
        }


def summarize(family, operation, timings, notes, checks) -> dict[str, Any]:
    """One result row: best seconds per library (null where absent), fastest peer and ratios."""
    return {
        "family": family.name,
        "operation": operation,
        "seconds_per_call": {lib.name: timings[lib.name].best if lib.name in timings else None
                             for lib in LIBRARIES},
        **timing.peer_comparison(timings, PROBAX.name),
        "timings": {name: t.summary() for name, t in timings.items()},
        "check": {"log_prob": "max_abs_diff_vs_probax", "sample": "sample_mean"}[operation],
        "check_values": checks,
        "notes": notes,
    }


def bench_one(family, operation, libraries, args) -> dict[str, Any]:
    """Time one (family, operation) across libraries, interleaved."""
    calls, outputs, notes = build_calls(family, operation, libraries, args.n)
    checks = sanity(operation, outputs)
    del outputs
    timings = timing.time_rounds(calls, args.repeats, args.min_round_seconds, budget=args.budget,
                                 warmed=True, drop_slower_than=args.drop_factor, keep=(PROBAX.name,))
    row = summarize(family, operation, timings, notes, checks)
    fastest = row["fastest_peer"]
    if fastest and PROBAX.name in calls:
        ops = timing.compiled_ops(calls[PROBAX.name])
        row["same_program_as_fastest_peer"] = ops is not None and ops == timing.compiled_ops(calls[fastest])
    return row


def run(args) -> dict[str, Any]:
    """Benchmark every selected family present in probax; skip (with a message) the rest."""
    libraries, missing = available_libraries()
    if PROBAX not in libraries:
        sys.exit("probax is not importable; install it first (pip install -e .[bench]).")
    for name, reason in missing.items():
        print(f"peer {name} left out: {reason}", flush=True)
    rows, skipped = [], []
    for family in FAMILIES:
        if args.families and family.name not in args.families:
            continue
        if PROBAX.constructor(family.name) is None:
            print(f"skipping {family.name}: probax has no {family.name} yet", flush=True)
            skipped.append({"family": family.name, "reason": "not in probax yet"})
            continue
        for operation in args.operations:
            print(f"timing {family.name}.{operation} ...", flush=True)
            rows.append(bench_one(family, operation, libraries, args))
    return {"rows": rows, "skipped": skipped, "missing_libraries": missing}


def versions() -> dict[str, str | None]:
    """Installed version of probax and of each peer (None when absent)."""
    return {lib.name: timing.package_version(lib.package) for lib in LIBRARIES}


def check_cell(row: dict[str, Any]) -> str:
    """Short text for the agreement check: max |log_prob difference|, or the sample means."""
    values = row["check_values"]
    if not values:
        return "-"
    if row["operation"] == "log_prob":
        return f"max|diff| {max(values.values()):.1e}"
    probax_mean = values.get(PROBAX.name)
    peers = [v for k, v in values.items() if k != PROBAX.name]
    text = "-" if probax_mean is None else f"{probax_mean:.4g}"
    return f"mean {text}" + (f" (peers {min(peers):.4g}..{max(peers):.4g})" if peers else "")


def format_ratio(ratio: float | None) -> str:
    """A ratio to two decimals; `-` when missing."""
    return "-" if ratio is None else f"{ratio:.2f}"


def table(rows: list[dict[str, Any]]) -> str:
    """The results as a readable table; ratio >= 1 means probax is at least as fast."""
    names = [lib.name for lib in LIBRARIES]
    header = ["family", "operation", *names, "fastest peer", "peer/probax", "(best)", "(p10)", "(cpu)",
              "same program", "check"]
    lines = []
    for row in rows:
        lines.append([
            row["family"],
            row["operation"],
            *(timing.format_seconds(row["seconds_per_call"][name]) for name in names),
            row["fastest_peer"] or "-",
            format_ratio(row["ratio_fastest_peer_over_probax"]),
            format_ratio(row["ratio_of_best_rounds"]),
            format_ratio(row["ratio_of_10th_percentiles"]),
            format_ratio(row["ratio_of_cpu_time"]),
            {True: "yes", False: "no"}.get(row.get("same_program_as_fastest_peer"), "-"),
            check_cell(row),
        ])
    return timing.format_table(header, lines)


def parse_args(argv=None) -> argparse.Namespace:
    """Command-line options; `--quick` picks small sizes for a smoke run."""
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--quick", action="store_true", help="small sizes, few repeats (smoke run)")
    parser.add_argument("--n", type=int, help="values per log_prob call / draws per sample call")
    parser.add_argument("--repeats", type=int, help="interleaved timing rounds (the fastest is reported)")
    parser.add_argument("--families", nargs="+", choices=[f.name for f in FAMILIES], help="subset to run")
    parser.add_argument("--operations", nargs="+", choices=OPERATIONS, default=list(OPERATIONS),
                        help="subset to run")
    parser.add_argument("--output", help="results file stem under benchmarks/results/")
    parser.add_argument(
        "--budget", type=float, default=15.0,
        help="seconds of timed rounds per (family, operation); slow ones get fewer rounds (>= 3)",
    )
    parser.add_argument(
        "--drop-factor", type=float, default=3.0,
        help="stop timing a library once its best round is this many times the fastest library's",
    )
    args = parser.parse_args(argv)
    args.n = args.n or (10_000 if args.quick else 1_000_000)
    args.repeats = args.repeats or (3 if args.quick else 40)
    args.min_round_seconds = 0.01 if args.quick else 0.02
    args.output = args.output or (f"{NAME}_quick" if args.quick else NAME)
    return args


def main(argv=None) -> None:
    """Run the benchmark, write the JSON results and print the table."""
    args = parse_args(argv)
    outcome = run(args)
    payload = {
        "benchmark": NAME,
        "settings": {"n": args.n, "repeats": args.repeats, "quick": args.quick, "dtype": "float32",
                     "min_round_seconds": args.min_round_seconds, "budget_seconds": args.budget,
                     "drop_factor": args.drop_factor,
                     "statistics": "seconds: fastest round; ratio: median of round-by-round ratios",
                     "num_classes": NUM_CLASSES},
        "machine": timing.machine_info(),
        "versions": versions(),
        "results": outcome["rows"],
        "skipped_families": outcome["skipped"],
        "missing_libraries": outcome["missing_libraries"],
    }
    path = timing.write_results(args.output, payload)
    print()
    print(table(outcome["rows"]))
    print(f"\nseconds per call: fastest of up to {args.repeats} rounds; peer/probax: median of the ratios "
          f"round by round ((best), (p10): ratios of the fastest rounds, of the 10th percentiles; "
          f"(cpu): of process CPU time round by round); "
          f"n = {args.n:,}; results in {path}")


if __name__ == "__main__":
    main()
