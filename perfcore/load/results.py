"""Load measurements in perfcore's result model, with MLPerf-style validity.

A run with too few requests or too short a duration is *invalid*: its results carry
``extra["valid"] = False`` and a reason, and no samples, so nothing downstream can
mistake it for a number. Ids are ``load.<label>.<metric>`` (label: ``local``,
``cloud``, ``cloud-cache``, or with a sweep point, ``local.u4``, ``local.r2000``).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Literal

import numpy as np

from perfcore.results.environment import new_run_info
from perfcore.results.model import Better, Result, ResultSet

__all__ = [
    "LoadMeasurement",
    "Validity",
    "percentiles_from_buckets",
    "slo_metrics",
    "to_result_set",
]

PERCENTILES = {"p50": 50.0, "p90": 90.0, "p95": 95.0, "p99": 99.0, "p99.9": 99.9}


@dataclass(frozen=True)
class Validity:
    """The least a run must carry to be reported (MLPerf LoadGen uses 600 s and 270,336
    queries for its Server scenario; these defaults suit a quick local check)."""

    min_requests: int = 200
    min_duration_s: float = 2.0

    def judge(self, requests: int, duration_s: float) -> str:
        """Empty when valid, else the reason it is not."""
        if requests < self.min_requests:
            return f"only {requests} requests (at least {self.min_requests} needed)"
        if duration_s < self.min_duration_s:
            return f"only {duration_s:.1f} s of load (at least {self.min_duration_s:g} s needed)"
        return ""


@dataclass(frozen=True)
class LoadMeasurement:
    """One target at one load point: what the client saw, plus server and bill figures."""

    label: str
    target: str
    mode: Literal["closed", "open"]
    requests: int
    ok: int
    errors: Mapping[str, int]
    duration_s: float
    latency_s: Mapping[str, float]  # p50..p99.9, avg, max (corrected, for open loop)
    window_throughput: tuple[float, ...] = ()
    window_p99_s: tuple[float, ...] = ()
    uncorrected_s: Mapping[str, float] = field(default_factory=dict)
    server_mean_s: float | None = None
    cost_per_1k: float | None = None
    cache_hits: int | None = None
    invalid_reason: str = ""
    params: Mapping[str, Any] = field(default_factory=dict)
    # How busy the machine was while this point ran (perfcore.instrument.disturbance),
    # carried into every result of the point for the judge's busy rule.
    disturbance: Mapping[str, Any] | None = None

    @property
    def valid(self) -> bool:
        """True when the run met the validity rules."""
        return not self.invalid_reason

    @property
    def throughput(self) -> float:
        """Successful requests per second over the run."""
        return self.ok / self.duration_s if self.duration_s > 0 else 0.0

    @property
    def error_rate(self) -> float:
        """Failed requests over all requests."""
        return (self.requests - self.ok) / self.requests if self.requests else 1.0

    @property
    def network_share_s(self) -> float | None:
        """Mean client latency minus mean server time: the wire and the client stack."""
        if self.server_mean_s is None or "avg" not in self.latency_s:
            return None
        return max(0.0, self.latency_s["avg"] - self.server_mean_s)


def percentiles_from_buckets(buckets: Mapping[int, int], scale: float) -> dict[str, float]:
    """Percentiles, mean and max of a value -> count histogram, multiplied by ``scale``."""
    if not buckets or sum(buckets.values()) == 0:
        return {}
    values = np.array(sorted(buckets), dtype=np.float64)
    counts = np.array([buckets[v] for v in sorted(buckets)], dtype=np.float64)
    cumulative = np.cumsum(counts) / counts.sum()
    last = len(values) - 1
    out = {
        name: float(values[min(int(np.searchsorted(cumulative, p / 100)), last)]) * scale
        for name, p in PERCENTILES.items()
    }
    out["avg"] = float((values * counts).sum() / counts.sum()) * scale
    out["max"] = float(values[-1]) * scale
    return out


def slo_metrics(m: LoadMeasurement) -> dict[str, float]:
    """The keys perfcore.analysis.slo judges: latencies in s, error_rate, throughput."""
    return {**m.latency_s, "error_rate": m.error_rate, "throughput": m.throughput}


def _result(
    m: LoadMeasurement,
    metric: str,
    unit: str,
    better: Better,
    *,
    samples: Sequence[float],
    extra: Mapping[str, Any] | None = None,
) -> Result:
    info: dict[str, Any] = {
        "valid": m.valid,
        "mode": m.mode,
        "target": m.target,
        "requests": m.requests,
        "duration_s": round(m.duration_s, 3),
    }
    info.update(extra or {})
    if m.disturbance is not None:
        info["disturbance"] = dict(m.disturbance)
    if not m.valid:
        info["reason"] = m.invalid_reason
        samples = ()
    return Result(
        id=f"load.{m.label}.{metric}",
        unit=unit,
        better=better,
        samples=tuple(float(s) for s in samples),
        params=dict(m.params),
        extra=info,
    )


def _results(m: LoadMeasurement) -> list[Result]:
    out = [
        _result(
            m,
            "throughput",
            "req/s",
            "higher",
            samples=m.window_throughput or (m.throughput,),
            extra={"value": m.throughput},
        ),
        _result(
            m,
            "error_rate",
            "ratio",
            "lower",
            samples=(m.error_rate,),
            extra={"errors": dict(m.errors)},
        ),
    ]
    for name in (*PERCENTILES, "avg", "max"):
        if name in m.latency_s:
            windows = m.window_p99_s if name == "p99" and m.window_p99_s else ()
            out.append(
                _result(
                    m,
                    name,
                    "s",
                    "lower",
                    samples=windows or (m.latency_s[name],),
                    extra={
                        "value": m.latency_s[name],
                        "latency_from": "scheduled start" if m.mode == "open" else "send",
                    },
                )
            )
    for name, value in m.uncorrected_s.items():
        out.append(_result(m, f"{name}_uncorrected", "s", "lower", samples=(value,)))
    if m.cost_per_1k is not None:
        out.append(_result(m, "cost_per_1k", "currency", "lower", samples=(m.cost_per_1k,)))
    if m.network_share_s is not None:
        out.append(_result(m, "network_share", "s", "lower", samples=(m.network_share_s,)))
    if m.cache_hits is not None:
        out.append(_result(m, "backend_calls_saved", "count", "higher", samples=(m.cache_hits,)))
    return out


def to_result_set(
    measurements: Sequence[LoadMeasurement], source: Literal["locust", "perfcore"] = "locust"
) -> ResultSet:
    """All measurements as one perfcore results document."""
    results = [r for m in measurements for r in _results(m)]
    return ResultSet(run=new_run_info(source), results=tuple(results))
