"""The benchmark timing helpers: round statistics, paired ratios, dropping far-off candidates."""

import importlib.util
import sys
from pathlib import Path

import jax.numpy as jnp
import pytest

_PATH = Path(__file__).resolve().parents[2] / "benchmarks" / "timing.py"
_SPEC = importlib.util.spec_from_file_location("benchmark_timing", _PATH)
timing = importlib.util.module_from_spec(_SPEC)
sys.modules[_SPEC.name] = timing  # dataclasses look their module up while the class is made
_SPEC.loader.exec_module(timing)


def test_timing_statistics():
    t = timing.Timing(tuple(float(v) for v in range(20, 0, -1)), cpu_seconds=(1.0,) * 20)
    assert (t.best, t.low, t.median, t.rounds) == (1.0, 2.0, 10.5, 20)
    assert t.summary() == {"best": 1.0, "low": 2.0, "median": 10.5, "rounds": 20}


def test_paired_ratio_cancels_load_shared_by_a_round():
    # The load triples in some rounds: both candidates see it, so their round-by-round ratio stays 2.
    load = (1.0, 3.0, 1.0, 3.0, 3.0)
    fast = timing.Timing(tuple(1.0 * x for x in load), tuple(0.5 * x for x in load))
    slow = timing.Timing(tuple(2.0 * x for x in load), tuple(1.5 * x for x in load))
    assert slow.paired_ratio(fast) == pytest.approx(2.0)
    assert slow.paired_ratio(fast, cpu=True) == pytest.approx(3.0)
    comparison = timing.peer_comparison({"probax": fast, "peer": slow}, "probax")
    assert comparison["fastest_peer"] == "peer"
    assert comparison["ratio_fastest_peer_over_probax"] == pytest.approx(2.0)
    assert comparison["ratio_of_best_rounds"] == pytest.approx(2.0)
    assert comparison["ratio_of_cpu_time"] == pytest.approx(3.0)


def test_peer_comparison_of_a_peer_left_out_early_uses_best_rounds():
    mine = timing.Timing((5.0, 1.0, 1.0, 1.0), (1.0,) * 4)
    far = timing.Timing((4.0,), (4.0,))  # one round, paired with a slow first round of `mine`
    comparison = timing.peer_comparison({"probax": mine, "far": far}, "probax")
    assert comparison["ratio_fastest_peer_over_probax"] == pytest.approx(4.0)
    assert comparison["ratio_of_cpu_time"] is None


def test_peer_comparison_without_peers_is_empty():
    comparison = timing.peer_comparison({"probax": timing.Timing((1.0,))}, "probax")
    assert set(comparison.values()) == {None}


def _fake_clock(monkeypatch, durations):
    """Each call of a candidate advances a fake clock by its duration (wall and CPU alike)."""
    clock = {"t": 0.0}
    monkeypatch.setattr(timing.time, "perf_counter", lambda: clock["t"])
    monkeypatch.setattr(timing.time, "process_time", lambda: clock["t"])
    calls = {name: 0 for name in durations}

    def make(name):
        def call():
            calls[name] += 1
            clock["t"] += durations[name]
            return jnp.zeros(())

        return call

    return {name: make(name) for name in durations}, calls


def test_time_rounds_interleaves_and_drops_far_off_candidates(monkeypatch):
    fns, calls = _fake_clock(monkeypatch, {"a": 0.01, "b": 0.012, "far": 0.5, "kept": 0.5})
    timings = timing.time_rounds(fns, repeats=10, min_seconds=0.02, warmed=True, drop_slower_than=3.0,
                                 keep=("kept",))
    assert timings["a"].rounds == timings["b"].rounds == timings["kept"].rounds == 10
    assert timings["a"].best == pytest.approx(0.01) and timings["b"].best == pytest.approx(0.012)
    # `far` ran its sizing call and two rounds, then was left out: 50x slower than the fastest.
    assert timings["far"].rounds == 2 and calls["far"] == 3
    assert timings["b"].paired_ratio(timings["a"]) == pytest.approx(1.2)


def test_time_rounds_budget_keeps_at_least_three_rounds(monkeypatch):
    fns, _ = _fake_clock(monkeypatch, {"a": 1.0, "b": 1.0})
    timings = timing.time_rounds(fns, repeats=50, min_seconds=0.01, budget=2.0, warmed=True)
    assert timings["a"].rounds == timings["b"].rounds == 3
    seconds, rounds = timing.time_interleaved(fns, repeats=4, min_seconds=0.01, warmed=True)
    assert rounds == 4 and seconds == {"a": pytest.approx(1.0), "b": pytest.approx(1.0)}
