"""MetricsCollector: cycle records, bounded history, thread safety and exports."""

from __future__ import annotations

import csv
import io
import itertools
import json
import threading

import pytest

from perfcore.instrument import MetricsCollector


def _collector(max_history: int = 1000) -> MetricsCollector:
    ticks = itertools.count(100)
    return MetricsCollector(max_history=max_history, clock=lambda: float(next(ticks)))


def test_cycle_records_counts_and_times() -> None:
    """A cycle keeps its LLM hits and misses, validations, file operations and span."""
    metrics = _collector()
    with metrics.cycle("c1") as cycle:
        cycle.llm_call(hit=True)
        cycle.llm_call(hit=False)
        cycle.validation(seconds=0.25, count=3)
        cycle.file_ops(4)
    (record,) = metrics.history()
    assert (record.llm_hits, record.llm_misses, record.llm_calls) == (1, 1, 2)
    assert (record.validations, record.validation_s, record.file_ops) == (3, 0.25, 4)
    assert record.success
    assert record.duration_s == 1.0


def test_raising_block_marks_failure_and_propagates() -> None:
    """A cycle whose block raises is recorded as failed; fail() does the same explicitly."""
    metrics = _collector()
    with pytest.raises(RuntimeError), metrics.cycle("bad"):
        raise RuntimeError("x")
    with metrics.cycle("soft") as cycle:
        cycle.fail()
    assert [c.success for c in metrics.history()] == [False, False]
    assert metrics.summary().success_rate == 0.0


def test_history_is_bounded() -> None:
    """Only the newest max_history cycles are kept."""
    metrics = _collector(max_history=3)
    for i in range(10):
        with metrics.cycle(str(i)):
            pass
    assert [c.cycle_id for c in metrics.history()] == ["7", "8", "9"]


def test_duplicate_active_cycle_is_rejected() -> None:
    """Starting a cycle id that is already running is an error."""
    metrics = _collector()
    metrics.start_cycle("a")
    with pytest.raises(ValueError, match="already in progress"):
        metrics.start_cycle("a")


def test_concurrent_cycles_lose_nothing() -> None:
    """8 threads recording 200 cycles each: every call is counted."""
    metrics = MetricsCollector(max_history=5000)

    def work(worker: int) -> None:
        for i in range(200):
            with metrics.cycle(f"{worker}-{i}") as cycle:
                cycle.llm_call(hit=i % 2 == 0)
                cycle.file_ops()

    threads = [threading.Thread(target=work, args=(w,)) for w in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    summary = metrics.summary()
    assert (summary.cycles, summary.llm_calls, summary.file_ops) == (1600, 1600, 1600)
    assert summary.llm_hit_rate == 0.5


def test_exports_carry_the_same_numbers() -> None:
    """Text, Markdown, JSON and CSV exports all report the recorded cycles."""
    metrics = _collector()
    for i in range(3):
        with metrics.cycle(f"c{i}") as cycle:
            cycle.llm_call(hit=i > 0)
    doc = json.loads(metrics.to_json())
    assert doc["schema"] == "perfcore.cycles/1"
    assert doc["summary"]["llm_calls"] == 3
    assert len(doc["cycles"]) == 3
    rows = list(csv.DictReader(io.StringIO(metrics.to_csv())))
    assert [r["cycle_id"] for r in rows] == ["c0", "c1", "c2"]
    assert rows[0]["llm_hits"] == "0"
    assert "| LLM hit rate | 66.7% |" in metrics.to_markdown()
    assert "LLM calls: 3 (hit rate 66.7%)" in metrics.to_text()
