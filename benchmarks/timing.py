"""Shared helpers for the benchmark scripts: timing, machine info, results, tables.

Timing rules used by every script:

* each candidate is called (and blocked on) before timing, so compilation and
  first-call allocation never count, then once more to size the rounds;
* candidates are timed in interleaved rounds (the order rotates each round), so
  a burst of load from elsewhere on the machine hits all of them alike;
* a round times `number` back-to-back calls and keeps the mean; the reported
  figure is the median over rounds, in seconds per call.
"""

from __future__ import annotations

import datetime
import importlib.metadata
import json
import os
import platform
import re
import statistics
import sys
import time
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

import jax

RESULTS_DIR = Path(__file__).resolve().parent / "results"


def block(value: Any) -> Any:
    """Wait until every array in `value` (any pytree) has been computed."""
    return jax.block_until_ready(value)


def warm_up(fn: Callable[[], Any], calls: int = 1) -> None:
    """Call `fn` a few times, blocking, so compilation is not timed."""
    for _ in range(calls):
        block(fn())


def seconds_per_call(fn: Callable[[], Any], number: int) -> float:
    """Mean wall-clock seconds of `number` back-to-back calls of `fn`."""
    start = time.perf_counter()
    for _ in range(number):
        out = fn()
    block(out)
    return (time.perf_counter() - start) / number


def calls_for(fn: Callable[[], Any], min_seconds: float) -> tuple[int, float]:
    """How many calls of `fn` one round needs to last about `min_seconds`, and one call's seconds."""
    once = seconds_per_call(fn, 1)
    return max(1, min(1000, int(min_seconds / max(once, 1e-9)) + 1)), once


def rounds_within(repeats: int, round_seconds: float, budget: float | None, least: int = 3) -> int:
    """`repeats`, cut down (to no fewer than `least`) so that all rounds fit in `budget` seconds."""
    if budget is None or round_seconds * repeats <= budget:
        return repeats
    return max(min(least, repeats), int(budget / max(round_seconds, 1e-9)))


def time_interleaved(
    fns: Mapping[str, Callable[[], Any]],
    repeats: int,
    min_seconds: float = 0.05,
    budget: float | None = None,
    warmed: bool = False,
) -> tuple[dict[str, float], int]:
    """Median seconds per call of each function, timed in interleaved rounds.

    Args:
      fns: name -> zero-argument callable returning JAX arrays.
      repeats: number of rounds; each round times every function once.
      min_seconds: a round of one function lasts at least about this long.
      budget: if given, fewer rounds (but at least 3) when `repeats` of them would
        take longer than this many seconds (for very slow functions).
      warmed: the functions have already been called once (compiled); skip the warm-up.

    Returns:
      name -> median over rounds of seconds per call, and the number of rounds run.

    """
    if not fns:
        return {}, 0
    if not warmed:
        for fn in fns.values():
            warm_up(fn)
    numbers, round_seconds = {}, 0.0
    for name, fn in fns.items():
        numbers[name], once = calls_for(fn, min_seconds)
        round_seconds += numbers[name] * once
    samples: dict[str, list[float]] = {name: [] for name in fns}
    names = list(fns)
    rounds = rounds_within(repeats, round_seconds, budget)
    for round_index in range(rounds):
        shift = round_index % len(names)
        for name in names[shift:] + names[:shift]:
            samples[name].append(seconds_per_call(fns[name], numbers[name]))
    return {name: statistics.median(values) for name, values in samples.items()}, rounds


def package_version(distribution: str) -> str | None:
    """Installed version of a pip distribution, or None when it is absent."""
    try:
        return importlib.metadata.version(distribution)
    except importlib.metadata.PackageNotFoundError:
        return None


def machine_info() -> dict[str, Any]:
    """What the numbers were measured on: software versions, backend, cores, load."""
    try:
        usable_cpus = len(os.sched_getaffinity(0))
    except AttributeError:  # not Linux
        usable_cpus = os.cpu_count()
    return {
        "timestamp": datetime.datetime.now(datetime.UTC).isoformat(timespec="seconds"),
        "python": sys.version.split()[0],
        "platform": platform.platform(),
        "processor": platform.processor() or platform.machine(),
        "cpu_count": os.cpu_count(),
        "usable_cpus": usable_cpus,
        "load_average": list(os.getloadavg()) if hasattr(os, "getloadavg") else None,
        "jax": jax.__version__,
        "jaxlib": package_version("jaxlib"),
        "numpy": package_version("numpy"),
        "backend": jax.default_backend(),
        "devices": [str(d.device_kind) for d in jax.devices()],
        "x64_enabled": bool(jax.config.jax_enable_x64),
    }


def write_results(name: str, payload: Mapping[str, Any]) -> Path:
    """Write `payload` as JSON to `benchmarks/results/<name>.json`; return the path."""
    RESULTS_DIR.mkdir(parents=True, exist_ok=True)
    path = RESULTS_DIR / f"{name}.json"
    path.write_text(json.dumps(payload, indent=2, sort_keys=False) + "\n")
    return path


def format_seconds(value: float | None) -> str:
    """Seconds in a short human unit (`1.23 ms`); `-` for a missing value."""
    if value is None:
        return "-"
    for unit, scale in (("s", 1.0), ("ms", 1e-3), ("us", 1e-6)):
        if value >= scale:
            return f"{value / scale:.3g} {unit}"
    return f"{value / 1e-9:.3g} ns"


def format_table(header: list[str], rows: list[list[str]]) -> str:
    """A plain-text table with columns padded to their widest cell."""
    widths = [max(len(str(row[i])) for row in [header, *rows]) for i in range(len(header))]
    lines = ["  ".join(str(cell).ljust(width) for cell, width in zip(row, widths, strict=True))
             for row in [header, *rows]]
    lines.insert(1, "  ".join("-" * width for width in widths))
    return "\n".join(lines)


def compiled_ops(call: Callable[[], Any]) -> dict[str, int] | None:
    """Op counts of the optimized XLA program behind `functools.partial(jitted, *args)`.

    Two libraries whose counts agree compile to the same program up to names and operand
    order, so any time difference between them is measurement noise. None when `call` is not
    such a partial.
    """
    fn, args = getattr(call, "func", None), getattr(call, "args", None)
    if fn is None or not hasattr(fn, "lower"):
        return None
    text = fn.lower(*args).compile().as_text()
    counts: dict[str, int] = {}
    for match in re.finditer(r"= \S+ ([a-z][a-z0-9-]*)\(", text):
        counts[match.group(1)] = counts.get(match.group(1), 0) + 1
    return counts
