"""The retraining controller: decision latency per event and per batch, ingestion, memory.

Result ids are ``retraining.<name>``; the claims in reports/claims.toml are judged on
them. Settings: RetrainingSettings() with reference accuracy 0.60, five features,
a dry-run controller (no trainer) and free resources, fed perfcore's synthetic
stream; studies/retraining_study.py measures the same quantities at length.
"""

from __future__ import annotations

import json
import subprocess
import sys
from dataclasses import replace
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from benchutil import Profile, collected, record_per_op, record_samples
from workloads import stream_events

from perfcore.retraining import RetrainingController, RetrainingSettings
from perfcore.retraining.resources import Resources
from perfcore.retraining.stream import Batch, StreamSpec, generate

EVENTS_PER_ROUND = 2_000  # one drift evaluation per round, as in a long stream
BATCH = 1_000
FEATURES = 5
SETTINGS = replace(RetrainingSettings(reference_accuracy=0.60), schedule_s=None)
MEMORY_EVENTS = 10_000_000
STUDY = Path(__file__).resolve().parents[1] / "studies" / "retraining_study.py"


def _controller() -> RetrainingController:
    controller = RetrainingController(
        SETTINGS, n_features=FEATURES, resources=lambda: Resources(1e9, 0.0)
    )
    for b in generate(StreamSpec(events=10_000, n_features=FEATURES, seed=1), chunk=BATCH):
        controller.observe_batch(b.predictions, b.labels, b.features)
    return controller


@pytest.fixture(scope="module")
def batches() -> list[Batch]:
    """Stationary events at the reference accuracy, in batches of 1,000."""
    return list(
        generate(StreamSpec(events=EVENTS_PER_ROUND, n_features=FEATURES, seed=2), chunk=BATCH)
    )


@pytest.fixture(scope="module")
def events(batches: list[Batch]) -> list[tuple[int, int, list[float]]]:
    """The same events as Python scalars and lists, as a JSON reader would give them."""
    return stream_events(batches)


def test_decision_per_event(
    benchmark: Any, profile: Profile, events: list[tuple[int, int, list[float]]]
) -> None:
    """Time per observe() call: monitor update, triggers, decision (claim: < 100 ms)."""
    controller = _controller()
    observe = controller.observe

    def run() -> None:
        for p, y, x in events:
            observe(p, y, x)

    benchmark.pedantic(run, setup=collected(), rounds=profile.rounds(30), warmup_rounds=1)
    record_per_op(benchmark, len(events), result_id="retraining.decision_per_event")
    if benchmark.stats is not None:
        rates = [len(events) / t for t in benchmark.stats.stats.data]
        benchmark.extra_info["events_per_s"] = float(np.median(rates))


def test_ingestion_rate(
    benchmark: Any, profile: Profile, events: list[tuple[int, int, list[float]]]
) -> None:
    """Events per second one core ingests through observe() (claim: >= 5,000)."""
    controller = _controller()
    observe = controller.observe

    def run() -> None:
        for p, y, x in events:
            observe(p, y, x)

    benchmark.pedantic(run, setup=collected(), rounds=profile.rounds(30), warmup_rounds=1)
    if benchmark.stats is not None:
        rates = [len(events) / t for t in benchmark.stats.stats.data]
        record_samples(
            benchmark, rates, unit="ops/s", better="higher", result_id="retraining.ingestion_rate"
        )


def test_decision_per_batch(benchmark: Any, profile: Profile, batches: list[Batch]) -> None:
    """Time per observe_batch() call of 1,000 events."""
    controller = _controller()

    def run() -> None:
        for b in batches:
            controller.observe_batch(b.predictions, b.labels, b.features)

    benchmark.pedantic(run, setup=collected(), rounds=profile.rounds(30), warmup_rounds=1)
    record_per_op(benchmark, len(batches), result_id="retraining.decision_per_batch")


@pytest.mark.once
def test_stream_peak_memory(benchmark: Any, profile: Profile) -> None:
    """Peak RSS of the monitor over 10^7 stationary events (claim: under 200 MB)."""
    peaks: list[float] = []
    events = 1_000_000 if profile.quick else MEMORY_EVENTS

    def run() -> None:
        done = subprocess.run(
            [sys.executable, str(STUDY), "memory", "--events", str(events)],
            capture_output=True,
            text=True,
            check=True,
            timeout=1800,
        )
        peaks.append(float(json.loads(done.stdout)["peak_rss_bytes"]))

    benchmark.pedantic(run, rounds=1, warmup_rounds=0)
    benchmark.extra_info["events"] = events
    record_samples(
        benchmark, peaks, unit="bytes", better="lower", result_id="retraining.stream_peak_memory"
    )
