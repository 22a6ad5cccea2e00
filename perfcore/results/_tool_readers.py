"""Parsers of pytest-benchmark, asv and Locust output (the public face is readers.py)."""

from __future__ import annotations

import csv
import hashlib
import json
import math
import re
from collections.abc import Mapping
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from perfcore._jsonio import read_json_file
from perfcore.errors import SchemaError
from perfcore.results._values import (
    expect_mapping,
    finite,
    lenient_int,
    skip,
    usable_numbers,
)
from perfcore.results.model import (
    Better,
    Commit,
    Machine,
    Result,
    ResultSet,
    RunInfo,
    utc_now_iso,
)

UNKNOWN_MACHINE = Machine(id="unknown", cpu="", cores=0, ram_bytes=0, os="", python="")

# unit as written by a tool -> (canonical unit, factor to multiply values by)
_UNITS: dict[str, tuple[str, float]] = {
    "s": ("s", 1.0), "sec": ("s", 1.0), "seconds": ("s", 1.0), "second": ("s", 1.0),
    "ms": ("s", 1e-3), "us": ("s", 1e-6), "µs": ("s", 1e-6), "ns": ("s", 1e-9),
    "bytes": ("bytes", 1.0), "b": ("bytes", 1.0), "kib": ("bytes", 1024.0),
    "mib": ("bytes", 1024.0**2), "gib": ("bytes", 1024.0**3),
    "req/s": ("req/s", 1.0), "rps": ("req/s", 1.0), "ops/s": ("ops/s", 1.0),
    "ratio": ("ratio", 1.0), "%": ("ratio", 0.01), "percent": ("ratio", 0.01),
}
# Units where more is better; everything else (time, bytes, latency, errors) is lower.
_HIGHER = {"req/s", "ops/s", "items/s", "samples/s", "tokens/s", "speedup", "accuracy",
           "hit_rate", "throughput"}


def normalise_unit(unit: str) -> tuple[str, float]:
    """The canonical unit for ``unit`` and the factor converting values into it."""
    return _UNITS.get(unit.strip().lower(), (unit.strip(), 1.0))


def better_for_unit(unit: str) -> Better:
    """Higher is better for rates and scores; lower for time, bytes, latency and errors."""
    return "higher" if unit in _HIGHER or unit.endswith("/s") else "lower"


def _direction(unit: str, override: object) -> Better:
    if override in ("lower", "higher"):
        return "higher" if override == "higher" else "lower"
    if override is not None:
        raise SchemaError(f"perfcore_better must be 'lower' or 'higher', got {override!r}")
    return better_for_unit(unit)


def _run(machine: Machine, created: str, source: Any, commit_id: str = "") -> RunInfo:
    return RunInfo(created=created, machine=machine, commit=Commit(id=commit_id), source=source)


def _digest(data: object) -> str:
    blob = json.dumps(data, sort_keys=True, default=str)
    return hashlib.sha256(blob.encode()).hexdigest()[:12]


# --- pytest-benchmark ----------------------------------------------------------------


def _pb_machine(info: Mapping[str, Any]) -> Machine:
    """perfcore's machine when bench/conftest.py recorded it, else one derived from cpuinfo."""
    for name in ("perfcore_machine", "perfcore"):  # written by bench/conftest.py
        if isinstance(info.get(name), Mapping):
            return Machine.from_dict(info[name])
    cpu = info.get("cpu", {}) if isinstance(info.get("cpu"), Mapping) else {}
    key = {"node": info.get("node"), "cpu": cpu.get("brand_raw"), "count": cpu.get("count"),
           "system": info.get("system"), "release": info.get("release"),
           "python": info.get("python_version")}
    return Machine(id=f"pb-{_digest(key)}", cpu=str(cpu.get("brand_raw", "")),
                   cores=lenient_int(cpu.get("count")), ram_bytes=0,
                   os=f"{info.get('system', '')} {info.get('release', '')}".strip(),
                   python=str(info.get("python_version", "")))


def pytest_benchmark_id(fullname: str, name: str) -> str:
    """``bench/test_cache.py::test_exact_hit[x]`` -> ``cache.exact_hit[x]``."""
    parts = fullname.split("::")
    stem = Path(parts[0]).stem.removeprefix("test_")
    middle = list(parts[1:-1])
    test = name.removeprefix("test_")
    return ".".join([stem, *middle, test]) if stem else test


def _pb_id(bench: Mapping[str, Any], extra_info: Mapping[str, Any]) -> str:
    name = bench.get("name")
    if not isinstance(name, str) or not name:
        raise SchemaError("pytest-benchmark entry without a name")
    fullname = bench.get("fullname")
    custom = extra_info.get("perfcore_id")
    if isinstance(custom, str) and custom:
        return custom
    return pytest_benchmark_id(fullname if isinstance(fullname, str) else name, name)


def _pb_result(bench: Any) -> Result:
    bench = expect_mapping(bench, "pytest-benchmark entry")
    stats = expect_mapping(bench.get("stats"), "pytest-benchmark entry stats")
    extra_info = expect_mapping(bench.get("extra_info") or {}, "extra_info")
    params = expect_mapping(bench.get("params") or {}, "params")
    rid = _pb_id(bench, extra_info)
    unit, factor = normalise_unit(str(extra_info.get("perfcore_unit", "s")))
    better = _direction(unit, extra_info.get("perfcore_better"))
    extra: dict[str, Any] = {"source": "pytest-benchmark", "group": bench.get("group"),
                             "iterations": stats.get("iterations")}
    if isinstance(bench.get("fullname"), str):
        extra["node"] = bench["fullname"]  # the pytest node id: how to run it again
    custom = extra_info.get("perfcore_samples")
    samples: list[float] = []
    if custom is not None:
        samples = usable_numbers(custom, f"{rid}: perfcore_samples")
    elif isinstance(stats.get("data"), list) and stats["data"]:
        samples = usable_numbers(stats["data"], f"{rid}: stats.data")
    if not samples:
        median, iqr, n = _pb_summary(stats, rid)
        samples = [median]
        extra["samples_from"] = "summary"
        extra["summary"] = {"median": median * factor, "iqr": iqr * factor, "n": n}
    return Result(id=rid, unit=unit, better=better, samples=tuple(s * factor for s in samples),
                  params=dict(params), extra=extra)


def _pb_known_id(bench: Any) -> str | None:
    try:
        return _pb_id(bench, bench.get("extra_info") or {})
    except (SchemaError, AttributeError):
        return None


def _pb_summary(stats: Mapping[str, Any], rid: str) -> tuple[float, float, int]:
    median, iqr, rounds = (finite(stats.get(k)) for k in ("median", "iqr", "rounds"))
    if median is None or iqr is None or rounds is None or rounds < 1:
        raise SchemaError(f"{rid}: neither samples nor median, iqr and rounds")
    return median, iqr, int(rounds)


def from_pytest_benchmark(data: Mapping[str, Any]) -> ResultSet:
    """A pytest-benchmark JSON document as a result set; unusable entries skipped, warned."""
    benches = data["benchmarks"]
    if not isinstance(benches, list) or not benches:
        raise SchemaError("pytest-benchmark file holds no benchmarks")
    info = expect_mapping(data["machine_info"], "machine_info")
    commit = data.get("commit_info")
    commit_id = commit.get("id") if isinstance(commit, Mapping) else None
    created = data.get("datetime")
    run = _run(_pb_machine(info), created if isinstance(created, str) else utc_now_iso(),
               "pytest-benchmark", commit_id if isinstance(commit_id, str) else "")
    results = []
    for index, bench in enumerate(benches):
        try:
            results.append(_pb_result(bench))
        except SchemaError as exc:
            skip(f"benchmark #{index + 1} skipped: {exc}", _pb_known_id(bench))
    if not results:
        raise SchemaError("no usable benchmark in the pytest-benchmark file")
    return ResultSet(run=run, results=tuple(results))


# --- asv ---------------------------------------------------------------------------


def is_asv_tree(directory: Path) -> bool:
    """Whether ``directory`` is an asv results root or one machine's directory in it."""
    return (directory / "benchmarks.json").is_file() or (directory / "machine.json").is_file()


def read_asv_dir(directory: Path) -> ResultSet:
    """The asv results of one commit under a results root or machine directory."""
    files = sorted(p for p in directory.rglob("*.json")
                   if p.name not in ("benchmarks.json", "machine.json"))
    if not files:
        raise SchemaError(f"{directory}: asv results directory holds no result files")
    docs = [(p, _load(p)) for p in files]
    commits = sorted({str(d.get("commit_hash")) for _, d in docs})
    if len(commits) > 1:
        raise SchemaError(f"{directory}: asv results of {len(commits)} commits; "
                          "name one result file")
    from perfcore.results.readers import merge_runs

    return merge_runs(from_asv_file(d, p) for p, d in docs)


def _load(path: Path) -> dict[str, Any]:
    data = read_json_file(path)
    if not isinstance(data, dict) or "result_columns" not in data:
        raise SchemaError(f"{path}: not an asv 0.6 result file (no result_columns)")
    return data


def _asv_units(path: Path) -> dict[str, Any]:
    for candidate in (path.parent.parent / "benchmarks.json", path.parent / "benchmarks.json"):
        if candidate.is_file():
            try:
                data = read_json_file(candidate)
            except SchemaError as exc:
                skip(f"{exc}; units taken from the benchmark names")
                return {}
            if not isinstance(data, dict):
                skip(f"{candidate}: not an object; units taken from the benchmark names")
                return {}
            return {k: v for k, v in data.items() if isinstance(v, dict)}
    return {}


def _asv_kind(name: str, meta: Mapping[str, Any]) -> tuple[str, str]:
    kind = str(meta.get("type") or name.rsplit(".", 1)[-1].split("_", 1)[0])
    unit = str(meta.get("unit") or {"time": "seconds", "mem": "bytes",
                                     "peakmem": "bytes"}.get(kind, "unit"))
    return kind, unit


def from_asv_file(data: Mapping[str, Any], path: Path) -> ResultSet:
    """One asv 0.6 result file (``results/<machine>/<commit>-<env>.json``)."""
    columns = data.get("result_columns")
    if not isinstance(columns, list) or "result" not in columns:
        raise SchemaError("asv result file without result_columns")
    params = expect_mapping(data.get("params") or {}, "params")
    machine = Machine(id=str(params.get("machine") or "unknown"), cpu=str(params.get("cpu", "")),
                      cores=lenient_int(params.get("num_cpu")),
                      ram_bytes=lenient_int(params.get("ram")),
                      os=str(params.get("os", "")), python=str(data.get("python", "")))
    run = _run(machine, _asv_created(data.get("date")), "asv", str(data.get("commit_hash") or ""))
    units = _asv_units(path)
    results: list[Result] = []
    for name, row in expect_mapping(data.get("results") or {}, "results").items():
        if not isinstance(row, list):
            skip(f"{name}: result row is not a list; skipped", name)
            continue
        try:
            results.extend(_asv_results(name, dict(zip(columns, row, strict=False)),
                                        units.get(name, {})))
        except SchemaError as exc:
            skip(f"{name} skipped: {exc}", name)
    if not results:
        raise SchemaError("asv result file holds no successful benchmark")
    return ResultSet(run=run, results=tuple(results))


def _asv_created(date: Any) -> str:
    stamp = finite(date)
    try:
        return datetime.fromtimestamp(stamp / 1000, UTC).isoformat() if stamp is not None \
            else utc_now_iso()
    except (OverflowError, ValueError, OSError):  # a date beyond what datetime can hold
        return utc_now_iso()


def _asv_combos(param_lists: Any) -> list[str]:
    if not isinstance(param_lists, list) or not all(
        isinstance(values, list) and all(isinstance(v, str | int | float) for v in values)
        for values in param_lists
    ):
        raise SchemaError(f"params must be a list of lists of values, got {param_lists!r:.60}")
    combos = [""]
    for values in param_lists:
        combos = [f"{c}, {v}" if c else str(v) for c in combos for v in values]
    return combos


def _asv_results(name: str, rec: Mapping[str, Any], meta: Mapping[str, Any]) -> list[Result]:
    values = rec.get("result")
    values = values if isinstance(values, list) else [values]
    kind, raw_unit = _asv_kind(name, meta)
    unit, factor = normalise_unit(raw_unit)
    better = better_for_unit(unit) if kind == "track" else "lower"
    combos = _asv_combos(rec.get("params") or [])
    if len(combos) != len(values):
        raise SchemaError(f"{len(values)} result(s) for {len(combos)} parameter combination(s)")
    samples = rec.get("samples")
    samples = samples if isinstance(samples, list) else []
    out = []
    for j, raw_value in enumerate(values):
        if raw_value is None or (isinstance(raw_value, float) and math.isnan(raw_value)):
            continue  # the benchmark failed or was skipped for this parameter set
        rid = f"{name}({combos[j]})" if combos[j] else name
        value = finite(raw_value)
        if value is None:  # asv 0.6.6 can hold a dict or a bool where a track value goes
            skip(f"{rid}: result {raw_value!r:.40} is not a finite number; skipped", rid)
            continue
        extra: dict[str, Any] = {"source": "asv", "type": kind}
        raw = samples[j] if j < len(samples) else None
        series = [s * factor for s in usable_numbers(raw, f"{rid}: samples")] if raw else []
        if not series:
            series = [value * factor]
            summary = _asv_summary(rec, j, value * factor, factor)
            if summary:
                extra.update(samples_from="summary", summary=summary)
        out.append(Result(id=rid, unit=unit, better=better, samples=tuple(series),
                          params={"combo": combos[j]} if combos[j] else {}, extra=extra))
    return out


def _asv_summary(rec: Mapping[str, Any], j: int, median: float,
                 factor: float) -> dict[str, Any] | None:
    def pick(key: str) -> Any:
        column = rec.get(key)
        return column[j] if isinstance(column, list) and j < len(column) else None

    q25, q75, repeat = (finite(pick(k)) for k in ("stats_q_25", "stats_q_75", "stats_repeat"))
    if q25 is None or q75 is None or repeat is None or repeat < 1:
        return None
    return {"median": median, "iqr": (q75 - q25) * factor, "n": int(repeat)}


# --- Locust -------------------------------------------------------------------------


def _slug(name: str) -> str:
    return re.sub(r"[^a-z0-9_]+", "_", name.lower()).strip("_") or "root"


def _locust_result(name: str, stat: str, values: list[float], origin: str) -> Result:
    unit = {"rps": "req/s", "error_rate": "ratio"}.get(stat, "s")
    return Result(id=f"load.{_slug(name)}.{stat}", unit=unit, better=better_for_unit(unit),
                  samples=tuple(values), extra={"source": "locust", "samples_from": origin})


def _csv_rows(path: Path) -> list[dict[str, str]]:
    try:
        with path.open(encoding="utf-8", newline="") as handle:
            rows = list(csv.DictReader(handle))
    except (OSError, UnicodeDecodeError, csv.Error) as exc:
        raise SchemaError(f"{path}: cannot read CSV: {exc}") from None
    if not rows:
        raise SchemaError(f"{path}: CSV file holds no rows")
    return rows


def _num(row: Mapping[str, str], key: str) -> float | None:
    try:
        value = float(row[key])
    except (KeyError, TypeError, ValueError):
        return None
    return value if math.isfinite(value) else None


def read_locust_csv(path: Path) -> ResultSet:
    """Locust ``--csv`` output: the ``*_stats.csv`` file, with its history when beside it."""
    stats_path = Path(str(path).removesuffix("_stats_history.csv") + "_stats.csv") \
        if path.name.endswith("_stats_history.csv") else path
    rows = _csv_rows(stats_path)
    if "Request Count" not in rows[0] or "Name" not in rows[0]:
        raise SchemaError(f"{stats_path}: not a Locust *_stats.csv file")
    history_path = Path(str(stats_path).removesuffix("_stats.csv") + "_stats_history.csv")
    history = _csv_rows(history_path) if history_path.is_file() else []
    results: list[Result] = []
    for row in rows:
        name = row.get("Name")
        if not isinstance(name, str):  # a short row: csv.DictReader fills it with None
            skip(f"{stats_path}: a row without a Name column skipped")
            continue
        series = _history_series(history, name)
        results.extend(series or _final_stats(row, name))
    run = _run(UNKNOWN_MACHINE, utc_now_iso(), "locust")
    return ResultSet(run=run, results=tuple(results))


_STATS = (("p50", "50%"), ("p95", "95%"), ("p99", "99%"))


def _final_stats(row: Mapping[str, str], name: str) -> list[Result]:
    out = []
    rps, count, fails = _num(row, "Requests/s"), _num(row, "Request Count"), \
        _num(row, "Failure Count")
    if rps is not None:
        out.append(_locust_result(name, "rps", [rps], "final"))
    for stat, column in _STATS:
        value = _num(row, column)
        if value is not None:
            out.append(_locust_result(name, stat, [value / 1000], "final"))
    if count and fails is not None:
        out.append(_locust_result(name, "error_rate", [fails / count], "final"))
    return out


def _history_series(history: list[dict[str, str]], name: str) -> list[Result]:
    """One sample per reporting interval with traffic, for each stat of ``name``."""
    rows = [r for r in history if r.get("Name") == name and (_num(r, "Requests/s") or 0) > 0]
    if len(rows) < 2:
        return []
    out = [_locust_result(name, "rps", [_num(r, "Requests/s") or 0.0 for r in rows], "history")]
    for stat, column in _STATS:
        values = [v / 1000 for r in rows if (v := _num(r, column)) is not None]
        if values:
            out.append(_locust_result(name, stat, values, "history"))
    errors = [(_num(r, "Failures/s") or 0.0) / (_num(r, "Requests/s") or 1.0) for r in rows]
    out.append(_locust_result(name, "error_rate", errors, "history"))
    return out


def _counts(table: Any, what: str) -> dict[float, int]:
    """A Locust ``{value: count}`` table; an entry with a non-number key or count is skipped."""
    out: dict[float, int] = {}
    bad = 0
    for key, count in expect_mapping(table, what).items():
        try:
            value = float(key)
        except ValueError:
            value = math.nan
        number = finite(count)
        if not math.isfinite(value) or number is None or number < 0:
            bad += 1
            continue
        out[value] = out.get(value, 0) + int(number)
    if bad:
        skip(f"{what}: {bad} entr{'y' if bad == 1 else 'ies'} with a key or count that is not "
             "a number skipped")
    return out


def _histogram_percentile(histogram: Mapping[float, int], q: float) -> float:
    points = sorted(histogram.items())
    total = sum(c for _, c in points)
    seen = 0
    for value, count in points:
        seen += count
        if seen >= q * total:
            return value
    return points[-1][0]


def from_locust_json(entries: list[dict[str, Any]]) -> ResultSet:
    """Locust ``--json`` output: per-second request counts and the latency histogram."""
    results: list[Result] = []
    for entry in entries:
        try:
            name = str(entry["name"])
            per_second = _counts(entry["num_reqs_per_sec"], f"{name}: num_reqs_per_sec")
            histogram = _counts(entry["response_times"], f"{name}: response_times")
            requests, failures = finite(entry["num_requests"]), finite(entry["num_failures"])
        except KeyError:
            raise SchemaError("Locust JSON entry lacks name, counts or histograms") from None
        seconds = sorted(per_second)[1:-1]  # the first and last seconds are partial
        if seconds:
            results.append(_locust_result(name, "rps", [float(per_second[s]) for s in seconds],
                                          "json"))
        if histogram and sum(histogram.values()) > 0:
            for stat, q in (("p50", 0.5), ("p95", 0.95), ("p99", 0.99)):
                results.append(_locust_result(name, stat,
                                              [_histogram_percentile(histogram, q) / 1000], "json"))
        if requests and requests > 0 and failures is not None and 0 <= failures <= requests:
            results.append(_locust_result(name, "error_rate", [failures / requests], "json"))
    return ResultSet(run=_run(UNKNOWN_MACHINE, utc_now_iso(), "locust"), results=tuple(results))
