"""Locust output read as Locust means it: run totals, Locust's percentiles, history as a series.

* ``*_stats.csv``: one row per request name and a final ``Aggregated`` row; each row
  holds the run's totals (requests, failures, req/s, percentiles that Locust computed
  from its whole-run histogram). Those totals are the values, one per metric
  (``extra["samples_from"] = "single"``).
* ``*_stats_history.csv`` (``--csv-full-history``) beside it: a time series, one row per
  second, whose percentiles cover a sliding window. It is kept as
  ``extra["history"] = {"timestamp": [...], "user_count": [...], "value": [...]}`` and
  never used as samples: consecutive windows overlap, so they are not independent.
* ``--json`` / ``--json-file``: per name, the response-time histogram (already rounded
  into Locust's buckets) and requests per second. Percentiles are computed exactly as
  ``locust.stats.calculate_response_time_percentile`` does; the ``aggregated`` target
  sums the histograms, as Locust's total does; the per-second counts, with zero for
  every second without a request, become ``extra["history"]``.

Ids are ``load.<name>.<metric>`` with the canonical metric names of
:mod:`perfcore.results.metric_names`; latencies are in seconds.
"""

from __future__ import annotations

import csv
import math
import re
import warnings
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from perfcore.errors import InputWarning, SchemaError
from perfcore.results.metric_names import METRICS
from perfcore.results.model import Commit, Machine, Result, ResultSet, RunInfo, utc_now_iso

__all__ = ["from_locust_json", "locust_percentile", "read_locust_csv"]

_UNKNOWN = Machine(id="unknown", cpu="", cores=0, ram_bytes=0, os="", python="")
# canonical metric -> the *_stats.csv column holding its whole-run value (ms for latencies)
_CSV_LATENCY = {
    "p50": "50%",
    "p90": "90%",
    "p95": "95%",
    "p99": "99%",
    "p99.9": "99.9%",
    "avg": "Average Response Time",
    "max": "Max Response Time",
}
_JSON_PERCENTILES = {"p50": 0.5, "p90": 0.9, "p95": 0.95, "p99": 0.99, "p99.9": 0.999}


def _skip(message: str) -> None:
    warnings.warn(message, InputWarning, stacklevel=3)


def _slug(name: str) -> str:
    return re.sub(r"[^a-z0-9_]+", "_", name.lower()).strip("_") or "root"


def _result(name: str, metric: str, value: float, extra: Mapping[str, Any]) -> Result:
    meta = METRICS[metric]
    info = {"source": "locust", "samples_from": "single", "value": value, **extra}
    return Result(
        id=f"load.{_slug(name)}.{metric}",
        unit=meta.unit,
        better=meta.better,
        samples=(value,),
        extra=info,
    )


def _run() -> RunInfo:
    return RunInfo(created=utc_now_iso(), machine=_UNKNOWN, commit=Commit(), source="locust")


# --- percentiles as Locust computes them ---------------------------------------------


def locust_percentile(histogram: Mapping[int, int], requests: int, q: float) -> int:
    """Locust's percentile of a bucketed histogram (``calculate_response_time_percentile``).

    Walks the buckets from the slowest down until no more than ``int(requests * q)``
    requests remain below; ``requests`` excludes requests without a response time.
    """
    below = int(requests * q)
    seen = 0
    for bucket in sorted(histogram, reverse=True):
        seen += histogram[bucket]
        if requests - seen <= below:
            return bucket
    return 0


# --- CSV --------------------------------------------------------------------------


def _csv_rows(path: Path) -> list[dict[str, str]]:
    try:
        with path.open(encoding="utf-8", newline="") as handle:
            rows = list(csv.DictReader(handle))
    except (OSError, UnicodeDecodeError, csv.Error) as exc:
        raise SchemaError(f"{path}: cannot read CSV: {exc}") from None
    if not rows:
        raise SchemaError(f"{path}: CSV file holds no rows")
    return rows


def _num(row: Mapping[str, str | None], key: str) -> float | None:
    try:
        value = float(row[key] or "")
    except (KeyError, TypeError, ValueError):
        return None  # Locust writes N/A where a window had no request
    return value if math.isfinite(value) else None


def read_locust_csv(path: Path) -> ResultSet:
    """Locust ``--csv`` output: the totals of ``*_stats.csv``, its history beside it."""
    stats_path = path
    if path.name.endswith("_stats_history.csv"):
        stats_path = path.with_name(path.name.removesuffix("_stats_history.csv") + "_stats.csv")
    rows = _csv_rows(stats_path)
    if "Request Count" not in rows[0] or "Name" not in rows[0]:
        raise SchemaError(f"{stats_path}: not a Locust *_stats.csv file")
    history = _history_rows(
        stats_path.with_name(stats_path.name.removesuffix("_stats.csv") + "_stats_history.csv")
    )
    results: list[Result] = []
    seen: set[str] = set()
    for row in rows:
        name, method = row.get("Name") or "", row.get("Type") or ""
        # one name under two methods (GET / and POST /) is two rows; the second gets its method
        label = name if _slug(name) not in seen else f"{method}_{_slug(name)}"
        if not name or _slug(label) in seen:
            _skip(f"{stats_path}: a row without a Name, or a repeated one, skipped")
            continue
        seen.add(_slug(label))
        mine = [h for h in history if (h.get("Name"), h.get("Type") or "") == (name, method)]
        results.extend(_row_totals(row, label, mine))
    if not results:
        raise SchemaError(f"{stats_path}: no row with a request count")
    return ResultSet(run=_run(), results=tuple(results))


def _history_rows(path: Path) -> list[dict[str, str]]:
    """The rows of a history file beside the stats; a missing or broken one is no history."""
    if not path.is_file():
        return []
    try:
        return _csv_rows(path)
    except SchemaError as exc:
        _skip(f"{exc}; read without its history")
        return []


def _row_totals(
    row: Mapping[str, str], name: str, history: Sequence[Mapping[str, str]]
) -> list[Result]:
    requests, failures = _num(row, "Request Count"), _num(row, "Failure Count")
    if requests is None or requests <= 0:
        return []  # a name with no request holds no measurement
    counts = {"requests": int(requests), "failures": int(failures or 0)}
    out = []
    rps = _num(row, "Requests/s")
    if rps is not None:
        out.append(
            _result(name, "throughput", rps, {**counts, **_history(history, "Requests/s", 1)})
        )
    for metric, column in _CSV_LATENCY.items():
        value = _num(row, column)
        if value is not None:
            series = _history(history, column, 1000) if column.endswith("%") else {}
            out.append(_result(name, metric, value / 1000, {**counts, **series}))
    if failures is not None:
        out.append(_result(name, "error_rate", failures / requests, counts))
    return out


def _history(rows: Sequence[Mapping[str, str]], column: str, scale: int) -> dict[str, Any]:
    """The per-second series of one column over ``scale`` (None for N/A), or nothing."""
    if not rows:
        return {}
    values = [None if (v := _num(r, column)) is None else v / scale for r in rows]
    return {
        "history": {
            "timestamp": [_whole(_num(r, "Timestamp")) for r in rows],
            "user_count": [_whole(_num(r, "User Count")) for r in rows],
            "value": values,
        }
    }


def _whole(value: float | None) -> float | int | None:
    return int(value) if value is not None and value.is_integer() else value


# --- JSON -------------------------------------------------------------------------


def _histogram(raw: Any, name: str) -> dict[int, int]:
    """Locust's response-time buckets; keys or counts that are not numbers are skipped."""
    out: dict[int, int] = {}
    bad = 0
    for key, count in raw.items():
        try:
            out[int(float(key))] = int(count)
        except (TypeError, ValueError, OverflowError):
            bad += 1
    if bad:
        _skip(
            f"{name}: response_times: {bad} entr{'y' if bad == 1 else 'ies'} not a number; skipped"
        )
    return out


def _entry(raw: Any) -> dict[str, Any] | None:
    """One ``--json`` entry with its counts and histograms checked, or None (skipped)."""
    try:
        entry: dict[str, Any] = {
            "name": str(raw["name"]),
            "method": str(raw.get("method")),
            "requests": int(raw["num_requests"]),
            "failures": int(raw["num_failures"]),
            "none": int(raw.get("num_none_requests") or 0),
            "histogram": _histogram(raw["response_times"], str(raw["name"])),
            "per_second": {int(float(k)): int(v) for k, v in raw["num_reqs_per_sec"].items()},
            "start": float(raw["start_time"]),
            "last": float(raw["last_request_timestamp"]),
            "total_ms": float(raw.get("total_response_time") or 0.0),
            "max_ms": float(raw.get("max_response_time") or 0.0),
        }
    except (KeyError, TypeError, ValueError, AttributeError, OverflowError):
        return None
    counts_ok = min(entry["requests"], entry["failures"], entry["none"]) >= 0 and all(
        v >= 0 for v in (*entry["histogram"].values(), *entry["per_second"].values())
    )
    times_ok = all(math.isfinite(entry[k]) for k in ("start", "last", "total_ms", "max_ms"))
    return entry if counts_ok and times_ok else None


def _aggregate(entries: Sequence[dict[str, Any]]) -> dict[str, Any]:
    """Locust's Aggregated entry: the sum of every name's counts and histograms."""
    total: dict[str, Any] = {"name": "Aggregated", "histogram": {}, "per_second": {}}
    for key in ("requests", "failures", "none"):
        total[key] = sum(e[key] for e in entries)
    for key in ("histogram", "per_second"):
        for e in entries:
            for k, v in e[key].items():
                total[key][k] = total[key].get(k, 0) + v
    total["total_ms"] = sum(e["total_ms"] for e in entries)
    total["max_ms"] = max(e["max_ms"] for e in entries)
    total["start"] = min(e["start"] for e in entries)
    total["last"] = max(e["last"] for e in entries)
    return total


# A per-second series longer than this (a week) is not a Locust run but a broken file;
# it is dropped rather than expanded second by second.
MAX_HISTORY_SECONDS = 7 * 24 * 3600


def _per_second(counts: Mapping[int, int], start: float, last: float) -> dict[str, Any]:
    """Requests in every second of the run, zero where none was sent (Locust leaves them out)."""
    keys = [int(start), int(last), *counts]
    first_s, last_s = min(keys), max(keys)
    if last_s - first_s > MAX_HISTORY_SECONDS:
        _skip(f"Locust JSON: per-second counts span {last_s - first_s} s; series left out")
        return {}
    seconds = list(range(first_s, last_s + 1))
    return {"history": {"timestamp": seconds, "value": [float(counts.get(s, 0)) for s in seconds]}}


def _json_results(e: Mapping[str, Any], run_span: tuple[float, float]) -> list[Result]:
    counts = {"requests": e["requests"], "failures": e["failures"]}
    start, last = run_span
    per_second = _per_second(e["per_second"], start, last)
    out = []
    if last > start:  # Locust's total_rps: requests over the run's start to last request
        out.append(
            _result(
                e["name"], "throughput", e["requests"] / (last - start), {**counts, **per_second}
            )
        )
    timed = e["requests"] - e["none"]
    if e["histogram"] and timed > 0:
        for metric, q in _JSON_PERCENTILES.items():
            value = locust_percentile(e["histogram"], timed, q) / 1000
            out.append(_result(e["name"], metric, value, counts))
        out.append(_result(e["name"], "avg", e["total_ms"] / timed / 1000, counts))
        out.append(_result(e["name"], "max", e["max_ms"] / 1000, counts))
    if e["requests"]:
        out.append(_result(e["name"], "error_rate", e["failures"] / e["requests"], counts))
    return out


def from_locust_json(data: Any) -> ResultSet:
    """Locust ``--json`` output: Locust's percentiles, run totals and per-second counts."""
    if not isinstance(data, list):
        raise SchemaError("Locust JSON: expected a list of entries")
    entries = [e for raw in data if (e := _entry(raw)) is not None]
    if len(entries) < len(data):
        _skip(
            f"Locust JSON: {len(data) - len(entries)} entr(y/ies) without usable counts, "
            "histograms or times skipped"
        )
    entries = [e for e in entries if e["requests"] > 0]
    seen: set[str] = set()
    for e in entries:  # a name under two methods: the second is named by its method (as in CSV)
        if _slug(e["name"]) in seen:
            e["name"] = f"{e['method']}_{_slug(e['name'])}"
        seen.add(_slug(e["name"]))
    if not entries:
        raise SchemaError("Locust JSON holds no entry with requests")
    # Locust's req/s divides by the run's span (stats start to last request), the same for
    # every name; the JSON keeps no run start, so the earliest entry start stands for it.
    total = _aggregate(entries)
    span = (total["start"], total["last"])
    results = [r for e in [*entries, total] for r in _json_results(e, span)]
    by_id: dict[str, Result] = {}
    for result in results:
        if result.id in by_id:
            _skip(f"Locust JSON: two entries give {result.id}; the first kept")
            continue
        by_id[result.id] = result
    return ResultSet(run=_run(), results=tuple(by_id.values()))
