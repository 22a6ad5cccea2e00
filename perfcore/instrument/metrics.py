"""MetricsCollector: what each optimisation cycle did, kept in a bounded history.

A cycle is one pass of "ask the LLM, validate, write files". Usage::

    metrics = MetricsCollector()
    with metrics.cycle("c-17") as cycle:
        cycle.llm_call(hit=True)
        cycle.validation(seconds=0.12, count=4)
        cycle.file_ops(3)
    print(metrics.to_markdown())

A cycle succeeds unless its block raises or :meth:`CycleRecorder.fail` is called.
Only the newest ``max_history`` finished cycles are kept (a ``deque`` with ``maxlen``).
"""

from __future__ import annotations

import csv
import io
import threading
import time
from collections import deque
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import asdict, dataclass, fields

from perfcore._jsonio import dumps_strict

__all__ = ["CycleMetrics", "CycleRecorder", "CycleSummary", "MetricsCollector"]


@dataclass(frozen=True)
class CycleMetrics:
    """One finished cycle."""

    cycle_id: str
    started_at: float
    ended_at: float
    llm_hits: int
    llm_misses: int
    validations: int
    validation_s: float
    file_ops: int
    success: bool

    @property
    def duration_s(self) -> float:
        """Seconds from start to end."""
        return self.ended_at - self.started_at

    @property
    def llm_calls(self) -> int:
        """LLM requests made in the cycle, hits and misses."""
        return self.llm_hits + self.llm_misses


@dataclass(frozen=True)
class CycleSummary:
    """Totals and rates over the kept history."""

    cycles: int
    succeeded: int
    llm_calls: int
    llm_hit_rate: float
    validations: int
    validation_s: float
    file_ops: int
    mean_duration_s: float

    @property
    def success_rate(self) -> float:
        """Succeeded over cycles (0.0 with no cycles)."""
        return self.succeeded / self.cycles if self.cycles else 0.0


class CycleRecorder:
    """Counts for one cycle in progress; methods are safe to call from several threads."""

    def __init__(self, cycle_id: str, started_at: float) -> None:
        self.cycle_id = cycle_id
        self.started_at = started_at
        self._lock = threading.Lock()
        self._counts = {"llm_hits": 0, "llm_misses": 0, "validations": 0, "file_ops": 0}
        self._validation_s = 0.0
        self._success = True

    def llm_call(self, *, hit: bool) -> None:
        """One LLM request, answered from cache (hit) or by the backend (miss)."""
        with self._lock:
            self._counts["llm_hits" if hit else "llm_misses"] += 1

    def validation(self, *, seconds: float, count: int = 1) -> None:
        """``count`` validations that took ``seconds`` together."""
        with self._lock:
            self._counts["validations"] += count
            self._validation_s += seconds

    def file_ops(self, count: int = 1) -> None:
        """``count`` file reads or writes."""
        with self._lock:
            self._counts["file_ops"] += count

    def fail(self) -> None:
        """Mark the cycle as failed even though it finishes normally."""
        with self._lock:
            self._success = False

    def finish(self, ended_at: float, *, success: bool = True) -> CycleMetrics:
        """The frozen record of this cycle."""
        with self._lock:
            return CycleMetrics(
                cycle_id=self.cycle_id,
                started_at=self.started_at,
                ended_at=ended_at,
                validation_s=self._validation_s,
                success=self._success and success,
                **self._counts,
            )


class MetricsCollector:
    """Thread-safe collector of cycles with a bounded history; exports text, MD, JSON, CSV."""

    def __init__(self, max_history: int = 1000, clock: Callable[[], float] = time.time) -> None:
        if max_history < 1:
            raise ValueError(f"max_history must be >= 1, got {max_history}")
        self._clock = clock
        self._lock = threading.Lock()
        self._history: deque[CycleMetrics] = deque(maxlen=max_history)
        self._active: dict[str, CycleRecorder] = {}

    def start_cycle(self, cycle_id: str) -> CycleRecorder:
        """Begin a cycle; its id must not be in progress already."""
        with self._lock:
            if cycle_id in self._active:
                raise ValueError(f"cycle {cycle_id!r} is already in progress")
            recorder = CycleRecorder(cycle_id, self._clock())
            self._active[cycle_id] = recorder
            return recorder

    def end_cycle(self, cycle_id: str, *, success: bool = True) -> CycleMetrics:
        """Finish a cycle and add it to the history."""
        with self._lock:
            recorder = self._active.pop(cycle_id)
            record = recorder.finish(self._clock(), success=success)
            self._history.append(record)
            return record

    @contextmanager
    def cycle(self, cycle_id: str) -> Iterator[CycleRecorder]:
        """A cycle around a block; it fails if the block raises (the error propagates)."""
        recorder = self.start_cycle(cycle_id)
        try:
            yield recorder
        except BaseException:
            self.end_cycle(cycle_id, success=False)
            raise
        self.end_cycle(cycle_id)

    def history(self) -> tuple[CycleMetrics, ...]:
        """The kept cycles, oldest first."""
        with self._lock:
            return tuple(self._history)

    def summary(self) -> CycleSummary:
        """Totals and rates over the kept history."""
        cycles = self.history()
        hits = sum(c.llm_hits for c in cycles)
        calls = sum(c.llm_calls for c in cycles)
        return CycleSummary(
            cycles=len(cycles),
            succeeded=sum(c.success for c in cycles),
            llm_calls=calls,
            llm_hit_rate=hits / calls if calls else 0.0,
            validations=sum(c.validations for c in cycles),
            validation_s=sum(c.validation_s for c in cycles),
            file_ops=sum(c.file_ops for c in cycles),
            mean_duration_s=sum(c.duration_s for c in cycles) / len(cycles) if cycles else 0.0,
        )

    def to_text(self) -> str:
        """A few human-readable lines about the kept history."""
        s = self.summary()
        return (
            f"cycles: {s.cycles} ({s.success_rate:.1%} succeeded), "
            f"mean duration {s.mean_duration_s:.3f} s\n"
            f"LLM calls: {s.llm_calls} (hit rate {s.llm_hit_rate:.1%})\n"
            f"validations: {s.validations} in {s.validation_s:.3f} s\n"
            f"file operations: {s.file_ops}\n"
        )

    def to_markdown(self) -> str:
        """The summary as a Markdown table, one row per metric."""
        s = self.summary()
        rows = [
            ("cycles", str(s.cycles)),
            ("success rate", f"{s.success_rate:.1%}"),
            ("mean duration (s)", f"{s.mean_duration_s:.3f}"),
            ("LLM calls", str(s.llm_calls)),
            ("LLM hit rate", f"{s.llm_hit_rate:.1%}"),
            ("validations", str(s.validations)),
            ("validation time (s)", f"{s.validation_s:.3f}"),
            ("file operations", str(s.file_ops)),
        ]
        return "| metric | value |\n|---|---:|\n" + "".join(f"| {k} | {v} |\n" for k, v in rows)

    def to_json(self) -> str:
        """Summary and every kept cycle as a JSON document."""
        doc = {
            "schema": "perfcore.cycles/1",
            "summary": asdict(self.summary()),
            "cycles": [_row(c) for c in self.history()],
        }
        return dumps_strict(doc) + "\n"  # strict JSON: a non-finite figure is null

    def to_csv(self) -> str:
        """One CSV row per kept cycle, with a header."""
        buffer = io.StringIO()
        names = [f.name for f in fields(CycleMetrics)] + ["duration_s"]
        writer = csv.DictWriter(buffer, fieldnames=names, lineterminator="\n")
        writer.writeheader()
        writer.writerows(_row(c) for c in self.history())
        return buffer.getvalue()


def _row(cycle: CycleMetrics) -> dict[str, object]:
    return {**asdict(cycle), "duration_s": cycle.duration_s}
