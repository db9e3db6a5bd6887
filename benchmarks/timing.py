"""Shared helpers for the benchmark scripts: timing, machine info, results, tables.

Timing rules used by every script:

* each candidate is called (and blocked on) before timing, so compilation and
  first-call allocation never count, then once more to size the rounds;
* candidates are timed in interleaved rounds (the order rotates each round), so
  a burst of load from elsewhere on the machine hits all of them alike;
* a round times `number` back-to-back calls and keeps the mean, in seconds per
  call; `time_rounds` returns every round (`Timing`: best, 10th percentile,
  median, and ratios of two candidates round by round), `time_interleaved` the
  median alone.
"""

from __future__ import annotations

import dataclasses
import datetime
import importlib.metadata
import json
import os
import platform
import re
import statistics
import sys
import time
from collections.abc import Callable, Collection, Mapping
from pathlib import Path
from typing import Any

import jax

RESULTS_DIR = Path(__file__).resolve().parent / "results"
_LEAST_ROUNDS = 3  # a time budget never cuts the rounds below this


def block(value: Any) -> Any:
    """Wait until every array in `value` (any pytree) has been computed."""
    return jax.block_until_ready(value)


def warm_up(fn: Callable[[], Any], calls: int = 1) -> None:
    """Call `fn` a few times, blocking, so compilation is not timed."""
    for _ in range(calls):
        block(fn())


def seconds_per_call(fn: Callable[[], Any], number: int) -> float:
    """Mean wall-clock seconds of `number` back-to-back calls of `fn`."""
    return wall_and_cpu_seconds_per_call(fn, number)[0]


def wall_and_cpu_seconds_per_call(fn: Callable[[], Any], number: int) -> tuple[float, float]:
    """Mean wall-clock and process CPU seconds (all threads) of `number` back-to-back calls of `fn`."""
    start, cpu_start = time.perf_counter(), time.process_time()
    for _ in range(number):
        out = fn()
    block(out)
    return (time.perf_counter() - start) / number, (time.process_time() - cpu_start) / number


def calls_for(fn: Callable[[], Any], min_seconds: float) -> tuple[int, float]:
    """How many calls of `fn` one round needs to last about `min_seconds`, and one call's seconds."""
    once = seconds_per_call(fn, 1)
    return max(1, min(1000, int(min_seconds / max(once, 1e-9)) + 1)), once


@dataclasses.dataclass(frozen=True)
class Timing:
    """Seconds per call of one function, one entry per interleaved round it ran in.

    On a shared machine other load only ever adds time, so the low end of many short rounds
    (`best`, `low`) is what repeats from run to run; the median shows how much the load moved
    things. Comparing two functions round by round (`paired_ratio`) cancels load that changes
    more slowly than a round. `cpu_seconds` holds the process CPU time of the same rounds
    (all threads): time spent waiting for a core does not count there, so its round-by-round
    ratios move least under load, though they miss differences in how well a program uses
    several threads.

    Example:
      >>> t = Timing((3.0, 1.0, 2.0, 4.0, 5.0))
      >>> t.best, t.median, t.rounds
      (1.0, 3.0, 5)
      >>> round(Timing((2.0, 4.0, 2.2)).paired_ratio(t), 2)  # rounds 1..3: 2/3, 4/1, 2.2/2
      1.1

    """

    seconds: tuple[float, ...]
    cpu_seconds: tuple[float, ...] = ()

    @property
    def rounds(self) -> int:
        """How many rounds were timed."""
        return len(self.seconds)

    @property
    def best(self) -> float:
        """The fastest round (the least disturbed by other load)."""
        return min(self.seconds)

    @property
    def low(self) -> float:
        """The 10th percentile of the rounds (the fastest of the slowest 90%)."""
        return sorted(self.seconds)[(self.rounds - 1) // 10]

    @property
    def median(self) -> float:
        """The median round."""
        return statistics.median(self.seconds)

    def paired_ratio(self, other: Timing, cpu: bool = False) -> float:
        """Median over the rounds both ran of `self`'s seconds / `other`'s seconds (or CPU seconds)."""
        mine, theirs = (self.cpu_seconds, other.cpu_seconds) if cpu else (self.seconds, other.seconds)
        return statistics.median(a / max(b, 1e-12) for a, b in zip(mine, theirs, strict=False))

    def summary(self) -> dict[str, float | int]:
        """best, low, median and rounds, as a JSON-ready dict."""
        return {"best": self.best, "low": self.low, "median": self.median, "rounds": self.rounds}


def time_rounds(
    fns: Mapping[str, Callable[[], Any]],
    repeats: int,
    min_seconds: float = 0.05,
    budget: float | None = None,
    warmed: bool = False,
    drop_slower_than: float | None = None,
    keep: Collection[str] = (),
) -> dict[str, Timing]:
    """Seconds per call of each function, timed in interleaved rounds (the order rotates).

    Args:
      fns: name -> zero-argument callable returning JAX arrays.
      repeats: number of rounds; each round times every function once, in an order that rotates.
      min_seconds: a round of one function lasts at least about this long.
      budget: if given, no further round starts (after the first 3) once the rounds timed so
        far and the next one would take longer than this many seconds (for slow functions).
      warmed: the functions have already been called once (compiled); skip the warm-up.
      drop_slower_than: if given, a function that took more than this factor times the fastest
        function's best round in its sizing call and in each of its first two rounds stops
        being timed (far-off candidates need no precision, and slow ones would eat the budget).
      keep: functions never dropped (the subject of the comparison).

    Returns:
      name -> `Timing` of its rounds; round `i` of every function still running was timed
      back to back with the others.

    """
    if not fns:
        return {}
    if not warmed:
        for fn in fns.values():
            warm_up(fn)
    numbers, sizing = {}, {}
    for name, fn in fns.items():
        numbers[name], sizing[name] = calls_for(fn, min_seconds)
    samples: dict[str, list[float]] = {name: [] for name in fns}
    cpu_samples: dict[str, list[float]] = {name: [] for name in fns}
    active, spent = list(fns), 0.0
    for round_index in range(repeats):
        if drop_slower_than is not None and round_index >= 2:
            limit = drop_slower_than * min(min(values) for values in samples.values() if values)
            active = [name for name in active if name in keep or min(sizing[name], *samples[name]) <= limit]
        next_round = sum(numbers[name] * sizing[name] for name in active)
        if budget is not None and round_index >= _LEAST_ROUNDS and spent + next_round > budget:
            break
        start = time.perf_counter()
        shift = round_index % len(active)
        for name in active[shift:] + active[:shift]:
            wall, cpu = wall_and_cpu_seconds_per_call(fns[name], numbers[name])
            samples[name].append(wall)
            cpu_samples[name].append(cpu)
        spent += time.perf_counter() - start
    return {name: Timing(tuple(samples[name]), tuple(cpu_samples[name])) for name in fns}


def peer_comparison(timings: Mapping[str, Timing], subject: str = "probax") -> dict[str, Any]:
    """How `subject` compares with the fastest of the other candidates (its peers).

    The fastest peer is the one with the fastest round. The headline ratio is the median over
    rounds of `peer seconds / subject seconds`, each round's pair timed back to back; a peer
    that ran fewer than 3 rounds (left out early as far slower) gets the ratio of the fastest
    rounds instead. The ratios of the fastest rounds, of the 10th percentiles and the
    round-by-round ratio of CPU time come beside it. A ratio >= 1 means `subject` is at least
    as fast. All are None without `subject` or peers.

    Example:
      >>> peer_comparison({"probax": Timing((1.0, 2.0)), "other": Timing((1.5, 2.0))})["fastest_peer"]
      'other'

    """
    mine = timings.get(subject)
    peers = {name: t for name, t in timings.items() if name != subject and t.rounds}
    if mine is None or not mine.rounds or not peers:
        return {"fastest_peer": None, f"ratio_fastest_peer_over_{subject}": None,
                "ratio_of_best_rounds": None, "ratio_of_10th_percentiles": None, "ratio_of_cpu_time": None}
    fastest = min(peers, key=lambda name: peers[name].best)
    peer = peers[fastest]
    paired = min(peer.rounds, mine.rounds) >= _LEAST_ROUNDS
    return {
        "fastest_peer": fastest,
        f"ratio_fastest_peer_over_{subject}": peer.paired_ratio(mine) if paired else peer.best / mine.best,
        "ratio_of_best_rounds": peer.best / mine.best,
        "ratio_of_10th_percentiles": min(t.low for t in peers.values()) / mine.low,
        "ratio_of_cpu_time": peer.paired_ratio(mine, cpu=True) if paired and mine.cpu_seconds else None,
    }


def time_interleaved(
    fns: Mapping[str, Callable[[], Any]],
    repeats: int,
    min_seconds: float = 0.05,
    budget: float | None = None,
    warmed: bool = False,
) -> tuple[dict[str, float], int]:
    """Median seconds per call of each function, timed in interleaved rounds (see `time_rounds`).

    Returns:
      name -> median over rounds of seconds per call, and the number of rounds run.

    """
    timings = time_rounds(fns, repeats, min_seconds, budget, warmed)
    rounds = max((t.rounds for t in timings.values()), default=0)
    return {name: t.median for name, t in timings.items()}, rounds


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
