"""Service levels in k6's threshold style, judged over load-test metrics.

Accepted forms (spaces optional)::

    p99<20ms   p50<=5ms   p(95)<200ms   p99.9<100ms   avg<10ms   max<1s
    error_rate<1%   error_rate<=0.001   throughput>5000/s   throughput>=800rps

Latencies are normalised to seconds (a bare number means milliseconds, as in
k6), error rates to a fraction, throughput to requests per second. The metrics
judged are keyed ``p50``, ``p90``, ``p95``, ``p99``, ``p99.9``, ``avg``, ``max``
(seconds), ``error_rate`` (fraction) and ``throughput`` (req/s): the canonical
names of :mod:`perfcore.results.metric_names`, whose aliases (``rps``, ``median``,
``mean``...) are accepted in objectives and in result ids alike (docs/metrics.md). A
metric that was not measured fails its objective: a service level never passes silently.
"""

from __future__ import annotations

import math
import operator
import re
import statistics
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass

from perfcore.errors import InputError
from perfcore.results.metric_names import METRICS, canonical_metric, split_load_id
from perfcore.results.model import ResultSet

__all__ = [
    "Slo",
    "SloOutcome",
    "evaluate_slos",
    "load_targets",
    "metrics_from_results",
    "parse_slo",
]

_OPS: dict[str, Callable[[float, float], bool]] = {
    "<": operator.lt,
    "<=": operator.le,
    ">": operator.gt,
    ">=": operator.ge,
}
_LATENCY_UNITS = {"ns": 1e-9, "us": 1e-6, "µs": 1e-6, "ms": 1e-3, "s": 1.0, "m": 60.0, "": 1e-3}
_RATE_UNITS = {"%": 0.01, "": 1.0}
_THROUGHPUT_UNITS = {"/s": 1.0, "rps": 1.0, "req/s": 1.0, "": 1.0}
_PATTERN = re.compile(
    r"^\s*(?P<metric>p\(\s*\d+(?:\.\d+)?\s*\)|p\d+(?:\.\d+)?|[a-z_]+)"
    r"\s*(?P<op><=|>=|<|>)\s*(?P<number>\d+(?:\.\d*)?|\.\d+)\s*(?P<unit>[a-zµ%/]*)\s*$"
)


@dataclass(frozen=True)
class Slo:
    """One service-level objective: ``metric op threshold`` (threshold in SI units)."""

    metric: str
    op: str
    threshold: float
    text: str


@dataclass(frozen=True)
class SloOutcome:
    """An objective with the value measured for it (None when missing) and whether it held."""

    slo: Slo
    measured: float | None
    passed: bool


# Metrics an objective may name: the latencies, error rate and throughput of the table.
_SLO_METRICS = frozenset(m for m in METRICS if m != "cost_per_1k")


def _metric_name(raw: str) -> str:
    name = canonical_metric(raw)
    if name is None and re.fullmatch(r"p\(?[\d.\s]+\)?", raw.strip()):
        raise InputError(f"percentile must lie between 0 and 100, got {raw.strip()}")
    if name is None or not (name in _SLO_METRICS or name.startswith("p")):
        raise InputError(f"unknown service-level metric {raw.strip()!r} (see docs/metrics.md)")
    return name


def _scale(metric: str, unit: str, text: str) -> float:
    table = (
        _RATE_UNITS
        if metric == "error_rate"
        else _THROUGHPUT_UNITS
        if metric == "throughput"
        else _LATENCY_UNITS
    )
    if unit not in table:
        raise InputError(f"service level {text!r}: unit {unit!r} does not fit {metric}")
    return table[unit]


def parse_slo(text: str) -> Slo:
    """Parse one k6-style objective such as ``p99<20ms``; InputError when malformed."""
    match = _PATTERN.match(text)
    if match is None:
        raise InputError(
            f"malformed service level {text!r} (expected e.g. 'p99<20ms', "
            "'error_rate<1%', 'throughput>5000/s')"
        )
    metric = _metric_name(match["metric"])
    threshold = float(match["number"]) * _scale(metric, match["unit"], text)
    if not math.isfinite(threshold):
        raise InputError(f"service level {text!r}: threshold is not a finite number")
    return Slo(metric=metric, op=match["op"], threshold=threshold, text=text.strip())


def evaluate_slos(slos: Iterable[Slo], metrics: Mapping[str, float]) -> tuple[SloOutcome, ...]:
    """Judge every objective against measured metrics; a missing metric fails."""
    outcomes = []
    for slo in slos:
        measured = metrics.get(slo.metric)
        if measured is None or not math.isfinite(measured):
            outcomes.append(SloOutcome(slo, None, False))
            continue
        outcomes.append(SloOutcome(slo, float(measured), _OPS[slo.op](measured, slo.threshold)))
    return tuple(outcomes)


_TIME_SCALE = {"s": 1.0, "ms": 1e-3, "us": 1e-6, "µs": 1e-6, "ns": 1e-9}
_METRIC = re.compile(r"^(p\d+(?:\.\d+)?|avg|max)$")


def _metric_value(metric: str, unit: str, value: float) -> float | None:
    if metric == "throughput":
        return value if unit in ("req/s", "/s", "rps") else None
    if metric == "error_rate":
        return value / 100 if unit == "%" else value if unit in ("ratio", "") else None
    if _METRIC.match(metric):
        scale = _TIME_SCALE.get(unit)
        return None if scale is None else value * scale
    return None


def load_targets(results: ResultSet) -> tuple[str, ...]:
    """The load targets (``local``, ``cloud``, ``local.u4``...) with results in ``results``."""
    targets = set()
    for result in results.results:
        split = split_load_id(result.id)
        if split is not None:
            targets.add(split[0])
    return tuple(sorted(targets))


def metrics_from_results(results: ResultSet, target: str) -> dict[str, float]:
    """The SLO metrics of one load target from results with ids ``load.<target>.<metric>``.

    Latencies become seconds, the error rate a fraction, throughput req/s. A
    metric's whole-run value (``extra["value"]``) is preferred to the median of its
    per-window samples; a result with no value (an invalid run) is left out, so
    every objective over it fails.
    """
    out: dict[str, float] = {}
    for result in results.results:
        split = split_load_id(result.id)
        if split is None or split[0] != target:
            continue
        metric = split[1]  # canonical: a file naming it ``rps`` still gives ``throughput``
        raw = result.extra.get("value")
        if isinstance(raw, int | float) and not isinstance(raw, bool):
            value: float | None = float(raw)
        else:
            value = float(statistics.median(result.samples)) if result.samples else None
        if value is None or result.extra.get("valid") is False:
            continue
        converted = _metric_value(metric, result.unit, value)
        if converted is not None:
            out[metric] = converted
    return out
