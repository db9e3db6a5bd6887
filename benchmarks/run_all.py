"""Run every benchmark script in `benchmarks/` in turn, each in its own process.

A benchmark script is any `benchmarks/*.py` except this runner, shared helper
modules (listed in `HELPERS`) and files whose name starts with `_`. Extra
arguments (e.g. `--quick`) are passed on to every script.

Run:
  python benchmarks/run_all.py            # full runs
  python benchmarks/run_all.py --quick    # smoke runs
  python benchmarks/run_all.py --only distributions --quick
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
HELPERS = frozenset({"run_all", "timing"})


def benchmark_scripts() -> list[Path]:
    """The benchmark scripts, sorted by name."""
    return sorted(
        path for path in HERE.glob("*.py") if path.stem not in HELPERS and not path.stem.startswith("_")
    )


def run_script(path: Path, extra: list[str]) -> tuple[int, float]:
    """Run one script with the current interpreter; return its exit code and wall seconds."""
    print(f"\n=== {path.name} {' '.join(extra)}".rstrip(), flush=True)
    start = time.perf_counter()
    code = subprocess.call([sys.executable, str(path), *extra], cwd=HERE.parent)
    return code, time.perf_counter() - start


def parse_args(argv=None) -> tuple[argparse.Namespace, list[str]]:
    """Runner options; everything unrecognised goes to the scripts."""
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--only", nargs="+", metavar="NAME", help="run only these scripts (stems)")
    parser.add_argument("--list", action="store_true", help="list the benchmark scripts and exit")
    return parser.parse_known_args(argv)


def main(argv=None) -> int:
    """Run the selected scripts; exit non-zero if any of them failed."""
    args, extra = parse_args(argv)
    scripts = [p for p in benchmark_scripts() if not args.only or p.stem in args.only]
    if args.list:
        print("\n".join(p.stem for p in scripts))
        return 0
    outcomes = {path.stem: run_script(path, extra) for path in scripts}
    print("\n=== summary")
    for stem, (code, seconds) in outcomes.items():
        print(f"{stem:<30} {'ok' if code == 0 else f'FAILED (exit {code})':<20} {seconds:7.1f} s")
    return int(any(code != 0 for code, _ in outcomes.values()))


if __name__ == "__main__":
    sys.exit(main())
