"""ASV: the retraining controller's decision latency, ingestion rate and memory on a long stream."""

from __future__ import annotations

import time
from dataclasses import replace

from perfcore.retraining import OutcomeMonitor, RetrainingController, RetrainingSettings
from perfcore.retraining.resources import Resources
from perfcore.retraining.stream import StreamSpec, generate

from ._common import workloads

FEATURES = 5
SETTINGS = replace(RetrainingSettings(reference_accuracy=0.60), schedule_s=None)


def _controller() -> RetrainingController:
    controller = RetrainingController(
        SETTINGS, n_features=FEATURES, resources=lambda: Resources(1e9, 0.0)
    )
    for b in generate(StreamSpec(events=10_000, n_features=FEATURES, seed=1), chunk=1000):
        controller.observe_batch(b.predictions, b.labels, b.features)
    return controller


class RetrainingDecisions:
    """observe() per event and observe_batch() per 1,000 events, on a stationary stream."""

    timeout = 300

    def setup(self) -> None:
        self.controller = _controller()
        self.batches = list(
            generate(StreamSpec(events=2000, n_features=FEATURES, seed=2), chunk=1000)
        )
        self.events = workloads.stream_events(self.batches)

    def time_observe_2000_events(self) -> None:
        observe = self.controller.observe
        for p, y, x in self.events:
            observe(p, y, x)

    def time_observe_batch_2x1000(self) -> None:
        for b in self.batches:
            self.controller.observe_batch(b.predictions, b.labels, b.features)

    def track_ingestion_events_per_s(self) -> float:
        observe = self.controller.observe
        start = time.perf_counter()
        for p, y, x in self.events:
            observe(p, y, x)
        return len(self.events) / (time.perf_counter() - start)

    track_ingestion_events_per_s.unit = "events/s"  # type: ignore[attr-defined]


class RetrainingMemory:
    """Peak memory of the monitor over a long stream (bounded histories)."""

    timeout = 900

    def peakmem_monitor_1e6_events(self) -> None:
        monitor = OutcomeMonitor(SETTINGS, n_features=FEATURES)
        for b in generate(StreamSpec(events=1_000_000, n_features=FEATURES, seed=7), chunk=10_000):
            monitor.observe_batch(b.predictions, b.labels, b.features)
