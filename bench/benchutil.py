"""Helpers shared by the benchmark modules: profiles, round setup, perfcore metadata.

pytest-benchmark times one call per round. Where the unit of work is tiny (a cache
hit is about a microsecond), a round runs a loop of many operations so that timer
resolution and call overhead do not dominate, and :func:`record_per_op` stores the
per-operation times as the samples perfcore reads. Ratios are measured side by
side: :func:`interleaved_ratios` alternates A and B inside every round, so drift
of the shared machine hits both sides alike.
"""

from __future__ import annotations

import gc
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

Setup = Callable[[], tuple[tuple[Any, ...], dict[str, Any]]]


@dataclass(frozen=True)
class Profile:
    """How much to measure: full (the defaults) or quick, and in how many passes.

    ``passes``: the suite runs this many times in separate processes (``perfcore run``
    does this, see ``PASSES_ENV``), each pass timing ``ceil(full / passes)`` rounds, so
    a run measures about as many rounds in all, spread over P processes and minutes.
    """

    quick: bool
    passes: int = 1

    def rounds(self, full: int, quick: int = 3) -> int:
        """Timed rounds: ``full`` normally (shared among the passes), ``quick`` in quick mode."""
        return quick if self.quick else max(1, -(-full // max(1, self.passes)))

    def warmup(self, full: int = 1) -> int:
        """Warm-up rounds (discarded): at most one in quick mode."""
        return min(full, 1) if self.quick else full


def collected(make_arg: Callable[[], Any] | None = None) -> Setup:
    """A pedantic ``setup`` that builds the round's argument, then collects garbage."""

    def setup() -> tuple[tuple[Any, ...], dict[str, Any]]:
        args = () if make_arg is None else (make_arg(),)
        gc.collect()
        return args, {}

    return setup


def record_per_op(benchmark: Any, ops: int, *, result_id: str | None = None) -> None:
    """Store per-operation times (round time / ops) as the samples perfcore reads."""
    if benchmark.stats is None:  # --benchmark-disable: the body ran once, nothing was timed
        return
    data = list(benchmark.stats.stats.data)
    benchmark.extra_info["ops_per_round"] = ops
    record_samples(
        benchmark, [t / ops for t in data], unit="s", better="lower", result_id=result_id
    )


def record_samples(
    benchmark: Any, samples: list[float], *, unit: str, better: str, result_id: str | None = None
) -> None:
    """Store samples (a ratio, bytes, per-op seconds) as what perfcore reads."""
    benchmark.extra_info["perfcore_unit"] = unit
    benchmark.extra_info["perfcore_better"] = better
    benchmark.extra_info["perfcore_samples"] = [float(s) for s in samples]
    if result_id is not None:
        benchmark.extra_info["perfcore_id"] = result_id


def timed(fn: Callable[[], Any], clock: Callable[[], int] = time.perf_counter_ns) -> float:
    """Seconds one call of ``fn`` takes."""
    start = clock()
    fn()
    return (clock() - start) / 1e9


def interleaved_ratios(
    slow: Callable[[], Any],
    fast: Callable[[], Any],
    rounds: int,
    *,
    before_each: Callable[[], Any] | None = None,
) -> tuple[list[float], list[float], list[float]]:
    """Time ``slow`` and ``fast`` alternately ``rounds`` times; speedups slow/fast per round.

    The order flips every round (AB, BA, AB...), so neither side always runs
    first, warm or cold. Returns (speedups, slow seconds, fast seconds).
    """
    ratios: list[float] = []
    slow_times: list[float] = []
    fast_times: list[float] = []
    for i in range(rounds):
        pair: list[float] = []
        for fn in (slow, fast) if i % 2 == 0 else (fast, slow):
            if before_each is not None:
                before_each()
            gc.collect()
            pair.append(timed(fn))
        t_slow, t_fast = (pair[0], pair[1]) if i % 2 == 0 else (pair[1], pair[0])
        slow_times.append(t_slow)
        fast_times.append(t_fast)
        ratios.append(t_slow / t_fast)
    return ratios, slow_times, fast_times
