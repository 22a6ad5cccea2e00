"""The instruments' own cost: the phase tracker per phase, the resource monitor's overhead.

A phase costs about a microsecond, so rounds time loops of 20,000 and perfcore
records the per-phase time. The reference is the least any timer can do: two bare
``perf_counter_ns`` calls.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

from benchutil import Profile, collected, interleaved_ratios, record_per_op, record_samples

from perfcore.instrument.monitor import ResourceMonitor
from perfcore.instrument.phases import PhaseTracker

LOOPS = 20_000


def _with_phase() -> Callable[[], None]:
    tracker = PhaseTracker()
    phase = tracker.phase

    def run() -> None:
        for _ in range(LOOPS):
            with phase("step"):
                pass

    return run


def _enter_exit() -> Callable[[], None]:
    tracker = PhaseTracker()
    enter, leave = tracker.enter, tracker.exit

    def run() -> None:
        for _ in range(LOOPS):
            enter("step")
            leave("step")

    return run


def _bare_clock() -> Callable[[], None]:
    clock = time.perf_counter_ns

    def run() -> None:
        for _ in range(LOOPS):
            clock()
            clock()

    return run


RUNS = {"with_phase": _with_phase, "enter_exit": _enter_exit, "bare_perf_counter_ns": _bare_clock}


def test_tracker_per_phase_with(benchmark: Any, profile: Profile) -> None:
    """Per-phase cost of ``with tracker.phase(name):`` around nothing."""
    benchmark.pedantic(
        _with_phase(),
        setup=collected(),
        rounds=profile.rounds(30, 5),
        warmup_rounds=profile.warmup(2),
    )
    record_per_op(benchmark, LOOPS)


def test_tracker_per_phase_enter_exit(benchmark: Any, profile: Profile) -> None:
    """Per-phase cost of ``tracker.enter(name)`` then ``tracker.exit(name)``."""
    benchmark.pedantic(
        _enter_exit(),
        setup=collected(),
        rounds=profile.rounds(30, 5),
        warmup_rounds=profile.warmup(2),
    )
    record_per_op(benchmark, LOOPS)


def test_bare_perf_counter_pair(benchmark: Any, profile: Profile) -> None:
    """Reference: two bare perf_counter_ns calls (the floor of any phase timer)."""
    benchmark.pedantic(
        _bare_clock(),
        setup=collected(),
        rounds=profile.rounds(30, 5),
        warmup_rounds=profile.warmup(2),
    )
    record_per_op(benchmark, LOOPS)


def test_tracker_vs_bare_ratio(benchmark: Any, profile: Profile) -> None:
    """Phase (with-statement) cost over two bare clock reads, side by side."""
    ours, bare = _with_phase(), _bare_clock()
    ratios: list[float] = []

    def pair() -> None:
        got, _, _ = interleaved_ratios(ours, bare, 2)
        ratios.extend(got)

    benchmark.pedantic(pair, rounds=profile.rounds(10, 2), warmup_rounds=1)
    record_samples(benchmark, ratios[2:], unit="ratio", better="lower")


def test_monitor_sample(benchmark: Any, profile: Profile) -> None:
    """Per-call cost of one ResourceMonitor sample (psutil reads, rule checks)."""
    monitor = ResourceMonitor(interval_s=1.0, gpu=False)
    calls = 200

    def run() -> None:
        for _ in range(calls):
            monitor.sample()

    benchmark.pedantic(
        run, setup=collected(), rounds=profile.rounds(15, 3), warmup_rounds=profile.warmup(1)
    )
    record_per_op(benchmark, calls)


def _busy(loops: int = 400_000) -> int:
    total = 0
    for i in range(loops):
        total += i * i % 7
    return total


def test_monitor_overhead_ratio(benchmark: Any, profile: Profile) -> None:
    """CPU-bound work with a 10 Hz monitor running over the same work without, side by side."""

    def monitored() -> None:
        with ResourceMonitor(interval_s=0.1, gpu=False):
            _busy()

    ratios: list[float] = []

    def pair() -> None:
        got, _, _ = interleaved_ratios(monitored, _busy, 2)
        ratios.extend(got)

    benchmark.pedantic(pair, rounds=profile.rounds(8, 2), warmup_rounds=0)
    record_samples(benchmark, ratios, unit="ratio", better="lower")
