"""Pick the training phases and load-test figures out of a run's results.

Naming conventions (set by the training and load engineers' writers):

* ``training.<model_type>.<phase>`` in seconds, phases data_loading, preprocessing,
  training, validation;
* ``load.<target>.<metric>`` with targets such as local, cloud, cloud_cached and
  metrics p50 ... p99.9, throughput, error_rate, cost_per_1k (canonical names of
  perfcore.results.metric_names; aliases such as ``rps`` are resolved); a sweep puts its
  point in ``params`` (``{"users": n}`` or ``{"rate": r}``); a full percentile
  spectrum may sit in ``extra["spectrum"]`` as ``[[percentile, value], ...]``.
"""

from __future__ import annotations

import math
import re
import statistics
from collections.abc import Iterable, Sequence

from perfcore.report.model import LoadPoint, LoadView, PhaseTiming
from perfcore.results.metric_names import canonical_metric
from perfcore.results.model import Result

__all__ = ["PHASES", "load_view", "training_phases"]

PHASES = ("data_loading", "preprocessing", "training", "validation")
_PERCENTILE = re.compile(r"^p(\d+(?:\.\d+)?)$")
# chart group of each canonical metric name (perfcore.results.metric_names)
_GROUPS = {"throughput": "throughput", "error_rate": "errors", "cost_per_1k": "costs"}


def _median(samples: Sequence[float]) -> float | None:
    return statistics.median(samples) if samples else None


def training_phases(results: Iterable[Result]) -> tuple[PhaseTiming, ...]:
    """Median phase timings per model type, phases in pipeline order."""
    found: list[PhaseTiming] = []
    for result in results:
        parts = result.id.split(".")
        if len(parts) != 3 or parts[0] != "training":
            continue
        value = _median(result.samples)
        if value is not None:
            found.append(PhaseTiming(model_type=parts[1], phase=parts[2], seconds=value))
    order = {p: i for i, p in enumerate(PHASES)}
    return tuple(sorted(found, key=lambda t: (t.model_type, order.get(t.phase, 99), t.phase)))


def _split_load_id(result_id: str) -> tuple[str, str] | None:
    if not result_id.startswith("load."):
        return None
    target, _, metric = result_id[len("load.") :].partition(".")
    # A sweep may also encode its point in the id, e.g. "throughput[users=10]".
    metric = metric.split("[", 1)[0]
    return (target, metric) if target and metric else None


def _spectrum_of(result: Result, target: str) -> list[tuple[str, float, float]]:
    raw = result.extra.get("spectrum")
    if not isinstance(raw, list):
        return []
    points: list[tuple[str, float, float]] = []
    for item in raw:
        if (
            isinstance(item, list | tuple)
            and len(item) == 2
            and all(isinstance(v, int | float) for v in item)
        ):
            pct, value = float(item[0]), float(item[1])
            if 0 <= pct < 100 and math.isfinite(value):
                points.append((target, pct, value))
    return points


def load_view(results: Iterable[Result]) -> LoadView:
    """Group ``load.*`` results for the spectrum, throughput, error and cost charts."""
    spectrum: list[tuple[str, float, float]] = []
    full: dict[str, list[tuple[str, float, float]]] = {}
    unit = ""
    groups: dict[str, list[LoadPoint]] = {"throughput": [], "errors": [], "costs": [], "other": []}
    for result in results:
        split = _split_load_id(result.id)
        value = _median(result.samples)
        if split is None or value is None:
            continue
        target, metric = split[0], canonical_metric(split[1]) or split[1]
        pct = _PERCENTILE.match(metric)
        if pct and not result.params:
            spectrum.append((target, float(pct.group(1)), value))
            unit = unit or result.unit
            if extra := _spectrum_of(result, target):
                full[target] = extra
            continue
        point = LoadPoint(
            target=target, metric=metric, value=value, unit=result.unit, params=dict(result.params)
        )
        groups[_group_of(metric)].append(point)
    # A recorded full spectrum is finer than the handful of named percentiles.
    spectrum = [p for p in spectrum if p[0] not in full]
    for points in full.values():
        spectrum.extend(points)
    spectrum.sort(key=lambda p: (p[0], p[1]))
    return LoadView(
        spectrum=tuple(spectrum),
        latency_unit=unit,
        throughput=tuple(groups["throughput"]),
        error_rates=tuple(groups["errors"]),
        costs=tuple(groups["costs"]),
        other=tuple(groups["other"]),
    )


def _group_of(metric: str) -> str:
    return _GROUPS.get(canonical_metric(metric) or "", "other")
