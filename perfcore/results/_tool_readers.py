"""Parsers of pytest-benchmark output and shared unit helpers (the public face is readers.py).

asv and Locust output are read by asv_reader.py and locust_reader.py.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping
from pathlib import Path
from typing import Any

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
    "s": ("s", 1.0),
    "sec": ("s", 1.0),
    "seconds": ("s", 1.0),
    "second": ("s", 1.0),
    "ms": ("s", 1e-3),
    "us": ("s", 1e-6),
    "µs": ("s", 1e-6),
    "ns": ("s", 1e-9),
    "bytes": ("bytes", 1.0),
    "b": ("bytes", 1.0),
    "kib": ("bytes", 1024.0),
    "mib": ("bytes", 1024.0**2),
    "gib": ("bytes", 1024.0**3),
    "req/s": ("req/s", 1.0),
    "rps": ("req/s", 1.0),
    "ops/s": ("ops/s", 1.0),
    "ratio": ("ratio", 1.0),
    "%": ("ratio", 0.01),
    "percent": ("ratio", 0.01),
}
# Units where more is better; everything else (time, bytes, latency, errors) is lower.
_HIGHER = {
    "req/s",
    "ops/s",
    "items/s",
    "samples/s",
    "tokens/s",
    "speedup",
    "accuracy",
    "hit_rate",
    "throughput",
}


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
    key = {
        "node": info.get("node"),
        "cpu": cpu.get("brand_raw"),
        "count": cpu.get("count"),
        "system": info.get("system"),
        "release": info.get("release"),
        "python": info.get("python_version"),
    }
    return Machine(
        id=f"pb-{_digest(key)}",
        cpu=str(cpu.get("brand_raw", "")),
        cores=lenient_int(cpu.get("count")),
        ram_bytes=0,
        os=f"{info.get('system', '')} {info.get('release', '')}".strip(),
        python=str(info.get("python_version", "")),
    )


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
    extra: dict[str, Any] = {
        "source": "pytest-benchmark",
        "group": bench.get("group"),
        "iterations": stats.get("iterations"),
    }
    if isinstance(bench.get("fullname"), str):
        extra["node"] = bench["fullname"]  # the pytest node id: how to run it again
    reading = extra_info.get("perfcore_disturbance")  # perfcore's pytest plugin
    if isinstance(reading, Mapping):
        extra["disturbance"] = [dict(reading)]  # one reading per run; merged runs add up
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
    return Result(
        id=rid,
        unit=unit,
        better=better,
        samples=tuple(s * factor for s in samples),
        params=dict(params),
        extra=extra,
    )


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
    run = _run(
        _pb_machine(info),
        created if isinstance(created, str) else utc_now_iso(),
        "pytest-benchmark",
        commit_id if isinstance(commit_id, str) else "",
    )
    results = []
    for index, bench in enumerate(benches):
        try:
            results.append(_pb_result(bench))
        except SchemaError as exc:
            skip(f"benchmark #{index + 1} skipped: {exc}", _pb_known_id(bench))
    if not results:
        raise SchemaError("no usable benchmark in the pytest-benchmark file")
    return ResultSet(run=run, results=tuple(results))
