"""Parsers of pytest-benchmark output and shared unit helpers (the public face is readers.py).

asv and Locust output are read by asv_reader.py and locust_reader.py.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from perfcore.errors import SchemaError
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
                   cores=int(cpu.get("count") or 0), ram_bytes=0,
                   os=f"{info.get('system', '')} {info.get('release', '')}".strip(),
                   python=str(info.get("python_version", "")))


def pytest_benchmark_id(fullname: str, name: str) -> str:
    """``bench/test_cache.py::test_exact_hit[x]`` -> ``cache.exact_hit[x]``."""
    parts = fullname.split("::")
    stem = Path(parts[0]).stem.removeprefix("test_")
    middle = list(parts[1:-1])
    test = name.removeprefix("test_")
    return ".".join([stem, *middle, test]) if stem else test


def _pb_result(bench: Mapping[str, Any]) -> Result:
    try:
        stats = bench["stats"]
        extra_info = dict(bench.get("extra_info") or {})
        rid = str(extra_info.get("perfcore_id") or pytest_benchmark_id(
            str(bench.get("fullname", bench["name"])), str(bench["name"])))
    except (KeyError, TypeError):
        raise SchemaError("pytest-benchmark entry without name or stats") from None
    unit, factor = normalise_unit(str(extra_info.get("perfcore_unit", "s")))
    better = _direction(unit, extra_info.get("perfcore_better"))
    extra: dict[str, Any] = {"source": "pytest-benchmark", "group": bench.get("group"),
                             "iterations": stats.get("iterations")}
    if isinstance(bench.get("fullname"), str):
        extra["node"] = bench["fullname"]  # the pytest node id: how to run it again
    reading = extra_info.get("perfcore_disturbance")  # perfcore's pytest plugin
    if isinstance(reading, Mapping):
        extra["disturbance"] = [dict(reading)]  # one reading per run; merged runs add up
    custom = extra_info.get("perfcore_samples")
    if custom is not None:
        samples = _numbers(custom, rid)
    elif isinstance(stats.get("data"), list) and stats["data"]:
        samples = _numbers(stats["data"], rid)
    else:
        median, iqr, n = _floats(stats, ("median", "iqr", "rounds"), rid)
        samples = [median]
        extra["samples_from"] = "summary"
        extra["summary"] = {"median": median * factor, "iqr": iqr * factor, "n": int(n)}
    params = bench.get("params") or {}
    return Result(id=rid, unit=unit, better=better, samples=tuple(s * factor for s in samples),
                  params=dict(params), extra=extra)


def _numbers(values: object, rid: str) -> list[float]:
    if not isinstance(values, list) or not all(
        isinstance(v, int | float) and not isinstance(v, bool) for v in values
    ):
        raise SchemaError(f"{rid}: samples must be a list of numbers")
    return [float(v) for v in values]


def _floats(stats: Mapping[str, Any], keys: Sequence[str], rid: str) -> list[float]:
    try:
        return [float(stats[k]) for k in keys]
    except (KeyError, TypeError, ValueError):
        raise SchemaError(f"{rid}: stats lack {', '.join(keys)}") from None


def from_pytest_benchmark(data: Mapping[str, Any]) -> ResultSet:
    """A pytest-benchmark JSON document as a result set."""
    benches = data["benchmarks"]
    if not isinstance(benches, list) or not benches:
        raise SchemaError("pytest-benchmark file holds no benchmarks")
    commit = data.get("commit_info") or {}
    created = str(data.get("datetime") or utc_now_iso())
    run = _run(_pb_machine(data["machine_info"]), created, "pytest-benchmark",
               str(commit.get("id") or ""))
    return ResultSet(run=run, results=tuple(_pb_result(b) for b in benches))
