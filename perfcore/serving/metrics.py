"""Server-side counters and a latency histogram (HdrHistogram, microseconds)."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from typing import Any

import numpy as np
from hdrh.histogram import HdrHistogram

__all__ = ["ServerMetrics"]

_MAX_US = 3_600_000_000  # one hour: anything slower is clamped, never dropped
_FLUSH_AT = 4096  # times held before they go into the histogram (bounds the list)


def _new_histogram() -> HdrHistogram:
    return HdrHistogram(1, _MAX_US, 3)


@dataclass
class ServerMetrics:
    """Request counts by status and the server-side latency of every answered request."""

    model_version: str
    kind: str = "local"
    by_status: Counter[int] = field(default_factory=Counter)
    latency_us: HdrHistogram = field(default_factory=_new_histogram)
    latency_sum_us: int = 0

    _pending: list[int] = field(default_factory=list)

    def record(self, status: int, elapsed_ns: int) -> None:
        """Count one answered request and its time in the server."""
        self.by_status[status] += 1
        micros = min(max(elapsed_ns // 1000, 1), _MAX_US)
        # HdrHistogram's record_value is pure Python (microseconds a call on the hot
        # path); times wait in a list and go in as (value, count) pairs, in bulk.
        self._pending.append(micros)
        self.latency_sum_us += micros
        if len(self._pending) >= _FLUSH_AT:
            self.flush()

    def flush(self) -> None:
        """Record the waiting times into the histogram (``snapshot`` does it first)."""
        if self._pending:
            values, counts = np.unique(
                np.asarray(self._pending, dtype=np.int64), return_counts=True
            )
            for value, count in zip(values.tolist(), counts.tolist(), strict=True):
                self.latency_us.record_value(value, count)
            self._pending.clear()

    def snapshot(self) -> dict[str, Any]:
        """JSON-ready view (the encoded histogram lets clients merge or re-read it)."""
        self.flush()
        hist = self.latency_us
        count = int(hist.get_total_count())
        pcts = {"p50": 50.0, "p90": 90.0, "p99": 99.0, "p99.9": 99.9}
        latency = {
            name: int(hist.get_value_at_percentile(p)) if count else 0 for name, p in pcts.items()
        }
        latency.update(
            count=count, max=int(hist.get_max_value()) if count else 0, sum=self.latency_sum_us
        )
        return {
            "kind": self.kind,
            "model_version": self.model_version,
            "requests": {
                "total": sum(self.by_status.values()),
                "by_status": {str(k): v for k, v in sorted(self.by_status.items())},
            },
            "latency_us": latency,
            "histogram": hist.encode().decode("ascii") if count else "",
        }
