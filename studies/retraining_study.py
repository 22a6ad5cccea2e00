"""The retraining system's figures: detection delay, false triggers, latency, ingestion, memory.

    python -m studies.retraining_study delay [--seeds 20]
    python -m studies.retraining_study false-rate [--events 10000000]
    python -m studies.retraining_study latency [--events 200000]
    python -m studies.retraining_study memory [--events 10000000]

Every run uses the default settings (RetrainingSettings()) with the reference
accuracy given (0.60), five features, and perfcore's synthetic stream
(perfcore.retraining.stream). Each prints one JSON object; docs/retraining.md
holds the figures measured with these commands.
"""

from __future__ import annotations

import argparse
import json
import time
from dataclasses import replace
from typing import Any

import numpy as np

from perfcore.retraining import OutcomeMonitor, RetrainingController, RetrainingSettings
from perfcore.retraining.resources import Resources
from perfcore.retraining.stream import StreamSpec, generate

SETTINGS = RetrainingSettings(reference_accuracy=0.60)
FEATURES = 5


def _first_signals(spec: StreamSpec, after: int) -> tuple[dict[str, int], int]:
    """Events from ``after`` to the first signal of each kind, and signals before ``after``."""
    monitor = OutcomeMonitor(SETTINGS, n_features=FEATURES)
    early = 0
    first: dict[str, int] = {}
    for batch in generate(spec, chunk=10_000):
        for signal in monitor.observe_batch(batch.predictions, batch.labels, batch.features):
            if signal.event <= after:
                early += 1
            else:
                first.setdefault(signal.kind, signal.event - after)
        if len(first) >= 2 and monitor.events > after + 50_000:
            break
    return first, early


def _summary(delays: list[int]) -> dict[str, float | int | None]:
    arr = np.array(delays, dtype=float)
    if not len(arr):
        return {"n": 0}
    return {
        "n": len(arr),
        "median": float(np.median(arr)),
        "mean": float(arr.mean()),
        "p10": float(np.percentile(arr, 10)),
        "p90": float(np.percentile(arr, 90)),
    }


def delay(seeds: int) -> dict[str, Any]:
    """Detection delay of accuracy drops and feature drifts, per trigger kind, over seeds."""
    change = 20_000
    cases = {
        "drop_5pct": {"accuracy_after": 0.57, "change_at": change},
        "drop_10pct": {"accuracy_after": 0.54, "change_at": change},
        "drift_0.25sd": {"drift": 0.25, "drift_at": change},
        "drift_0.5sd": {"drift": 0.5, "drift_at": change},
    }
    out: dict[str, Any] = {}
    for name, change_args in cases.items():
        watched = {"drift"} if name.startswith("drift") else {"drop", "floor", "emergency"}
        per_kind: dict[str, list[int]] = {}
        any_kind: list[int] = []
        early = 0
        for seed in range(seeds):
            spec = StreamSpec(
                events=change + 200_000,
                accuracy=0.60,
                n_features=FEATURES,
                seed=1000 + seed,
                **change_args,  # type: ignore[arg-type]
            )
            first, before = _first_signals(spec, change)
            early += before
            for kind, d in first.items():
                per_kind.setdefault(kind, []).append(d)
            hits = [d for kind, d in first.items() if kind in watched]
            if hits:
                any_kind.append(min(hits))
        out[name] = {
            "seeds": seeds,
            "signals_before_change": early,
            "first_watched_signal": _summary(any_kind),
            **{f"first_{kind}": _summary(v) for kind, v in sorted(per_kind.items())},
        }
    return out


def _peak_rss() -> int:
    with open("/proc/self/status", encoding="ascii") as status:
        for line in status:
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) * 1024
    return 0


def false_rate(events: int, with_memory: bool = True) -> dict[str, Any]:
    """Signals on a stationary stream at the reference accuracy, and the peak RSS."""
    monitor = OutcomeMonitor(SETTINGS, n_features=FEATURES)
    counts: dict[str, int] = {}
    rss: dict[str, int] = {}
    start = time.perf_counter()
    for batch in generate(
        StreamSpec(events=events, accuracy=0.60, n_features=FEATURES, seed=7), chunk=10_000
    ):
        for signal in monitor.observe_batch(batch.predictions, batch.labels, batch.features):
            counts[signal.kind] = counts.get(signal.kind, 0) + 1
        if with_memory and monitor.events in (10**5, 10**6, 10**7):
            rss[str(monitor.events)] = _peak_rss()
    seconds = time.perf_counter() - start
    total = sum(counts.values())
    return {
        "events": events,
        "signals": counts,
        "total": total,
        "per_million": total / events * 1e6,
        "seconds": seconds,
        "events_per_s_batch": events / seconds,
        "peak_rss_bytes_at": rss,
        "peak_rss_bytes": _peak_rss(),
    }


def latency(events: int) -> dict[str, Any]:
    """Per-event decision latency (observe), per 1,000-event batch, and ingestion rates."""
    controller = RetrainingController(
        replace(SETTINGS, schedule_s=None),
        n_features=FEATURES,
        resources=lambda: Resources(1e9, 0.0),
    )
    batches = list(
        generate(StreamSpec(events=events, accuracy=0.60, n_features=FEATURES, seed=3), chunk=1000)
    )
    warm, timed = batches[:10], batches[10:]
    for b in warm:
        controller.observe_batch(b.predictions, b.labels, b.features)
    rows = []
    for b in timed:
        if b.features is None:  # generated with n_features=FEATURES > 0: never
            raise ValueError("the stream was generated without features")
        rows += [
            (int(p), int(y), list(map(float, x)))
            for p, y, x in zip(b.predictions, b.labels, b.features, strict=True)
        ]
    clock = time.perf_counter_ns
    per_event = np.empty(len(rows))
    observe = controller.observe
    begin = clock()
    for i, (p, y, x) in enumerate(rows):
        t0 = clock()
        observe(p, y, x)
        per_event[i] = clock() - t0
    single_s = (clock() - begin) / 1e9
    per_batch = []
    begin = clock()
    for b in timed:
        t0 = clock()
        controller.observe_batch(b.predictions, b.labels, b.features)
        per_batch.append(clock() - t0)
    batch_s = (clock() - begin) / 1e9
    pb = np.array(per_batch)
    return {
        "events": len(rows),
        "per_event_us": {
            q: float(np.percentile(per_event, v)) / 1e3
            for q, v in (("p50", 50), ("p99", 99), ("p99.9", 99.9), ("max", 100))
        },
        "per_batch_1000_us": {
            q: float(np.percentile(pb, v)) / 1e3
            for q, v in (("p50", 50), ("p99", 99), ("max", 100))
        },
        "ingestion_events_per_s_single": len(rows) / single_s,
        "ingestion_events_per_s_batch": len(rows) / batch_s,
    }


def main() -> None:
    """Run one study and print its JSON."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("study", choices=("delay", "false-rate", "latency", "memory"))
    parser.add_argument("--events", type=int, default=None)
    parser.add_argument("--seeds", type=int, default=20)
    args = parser.parse_args()
    with open("/proc/loadavg", encoding="ascii") as f:
        load = f.read().split()[:3]
    if args.study == "delay":
        result = delay(args.seeds)
    elif args.study == "latency":
        result = latency(args.events or 200_000)
    else:
        result = false_rate(args.events or 10_000_000)
    print(json.dumps({"study": args.study, "loadavg_before": load, **result}, indent=1))


if __name__ == "__main__":
    main()
