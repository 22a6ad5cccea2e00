"""asv result files read as asv means them (results formats 1 and 2, asv 0.4 to 0.6).

* Format 1 (asv before 0.5) is converted to format 2 the way ``asv update`` does
  (``asv.results.Results.update_to_2``), then read like any format-2 file.
* One file is one run: ``results/<machine>/<commit>-<environment>.json``. A machine
  folder holding two environments of one commit holds two runs; read together, each
  result id gets ``@<environment>`` so the environments are never merged as one.
  :func:`read_asv_runs` gives them one by one.
* Each result carries asv's benchmark ``version`` (``extra["version"]``): asv
  refuses to compare two results whose versions differ (the benchmark's code
  changed), and so must a judge (:func:`perfcore.results.comparability.version_changed`).
* ``time`` results: raw samples with ``asv run --record-samples``, else asv's
  summary (median, IQR, repeat count, 99% interval) marked ``samples_from="summary"``.
  ``memory``, ``peakmemory`` and ``track`` results are one value each
  (``samples_from="single"``); ``memory`` and whole-number ``track`` values are
  ``deterministic`` (the same code gives the same number), ``peakmemory`` (the
  process's peak RSS) and fractional ``track`` values are not.
* A failed benchmark (asv writes ``null``) is left out; a ``track`` value that is not
  a number (asv 0.6 stores whatever the function returns: a dict, a bool) is skipped
  with an :class:`~perfcore.errors.InputWarning`.
"""

from __future__ import annotations

import dataclasses
import itertools
import json
import math
import warnings
from collections.abc import Mapping
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from perfcore.errors import InputWarning, SchemaError
from perfcore.results._asv_format1 import upgrade_asv
from perfcore.results._tool_readers import better_for_unit, normalise_unit
from perfcore.results.model import Commit, Machine, Result, ResultSet, RunInfo, utc_now_iso

__all__ = ["from_asv_file", "is_asv_tree", "looks_like_asv", "read_asv_dir", "read_asv_runs"]

_DEFAULT_UNITS = {"time": "seconds", "memory": "bytes", "peakmemory": "bytes"}
_PREFIX_KIND = {
    "time": "time",
    "timeraw": "time",
    "mem": "memory",
    "peakmem": "peakmemory",
    "track": "track",
}


def _skip(message: str) -> None:
    warnings.warn(message, InputWarning, stacklevel=3)


def is_asv_tree(directory: Path) -> bool:
    """Whether ``directory`` is an asv results root or one machine's directory in it."""
    return (directory / "benchmarks.json").is_file() or (directory / "machine.json").is_file()


def looks_like_asv(data: Any) -> bool:
    """Whether a parsed JSON document is an asv result file (format 1 or 2)."""
    return (
        isinstance(data, dict)
        and "commit_hash" in data
        and ("result_columns" in data or isinstance(data.get("results"), dict))
    )


def _load(path: Path) -> dict[str, Any]:
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError, RecursionError) as exc:
        raise SchemaError(f"{path}: not a readable JSON file ({exc})") from None
    if not looks_like_asv(data):
        raise SchemaError(f"{path}: not an asv result file (no commit_hash and results)")
    return upgrade_asv(data, path)


def read_asv_runs(directory: Path) -> list[ResultSet]:
    """Every run (one commit in one environment) under an asv results root or machine dir."""
    files = sorted(
        p for p in directory.rglob("*.json") if p.name not in ("benchmarks.json", "machine.json")
    )
    if not files:
        raise SchemaError(f"{directory}: asv results directory holds no result files")
    return [from_asv_file(_load(p), p) for p in files]


def read_asv_dir(directory: Path) -> ResultSet:
    """The asv results of one commit; several environments stay apart (``id@env``)."""
    runs = read_asv_runs(directory)
    commits = sorted({r.run.commit.id for r in runs})
    if len(commits) > 1:
        raise SchemaError(
            f"{directory}: asv results of {len(commits)} commits; name one result file"
        )
    machines = sorted({r.run.machine.id for r in runs})
    if len(machines) > 1:
        raise SchemaError(
            f"{directory}: asv results of machines {', '.join(machines)}; "
            "name one machine's directory"
        )
    if len(runs) == 1:
        return runs[0]
    results = [
        dataclasses.replace(r, id=f"{r.id}@{r.extra['env']}") for run in runs for r in run.results
    ]
    return ResultSet(run=runs[0].run, results=tuple(results))


def _benchmarks_meta(path: Path) -> dict[str, Mapping[str, Any]]:
    for candidate in (path.parent.parent / "benchmarks.json", path.parent / "benchmarks.json"):
        if not candidate.is_file():
            continue
        try:
            data = json.loads(candidate.read_text(encoding="utf-8"))
        except (OSError, UnicodeDecodeError, json.JSONDecodeError, RecursionError):
            _skip(f"{candidate}: unreadable; units taken from the benchmark names")
            return {}
        if isinstance(data, dict):
            return {k: v for k, v in data.items() if isinstance(v, dict)}
    return {}


def _kind_and_unit(name: str, meta: Mapping[str, Any]) -> tuple[str, str]:
    prefix = name.rsplit(".", 1)[-1].split("_", 1)[0]
    kind = meta.get("type") if isinstance(meta.get("type"), str) else None
    kind = kind or _PREFIX_KIND.get(prefix, "track")
    unit = meta.get("unit") if isinstance(meta.get("unit"), str) else None
    return kind, unit or _DEFAULT_UNITS.get(kind, "unit")


def _machine(data: Mapping[str, Any]) -> Machine:
    raw = data.get("params")
    params: Mapping[str, Any] = raw if isinstance(raw, dict) else {}

    def count(value: Any) -> int:
        text = str(value).strip()
        return int(text) if text.isdigit() and len(text) < 20 else 0

    return Machine(
        id=str(params.get("machine") or "unknown"),
        cpu=str(params.get("cpu", "")),
        cores=count(params.get("num_cpu")),
        ram_bytes=count(params.get("ram")),
        os=str(params.get("os", "")),
        python=str(data.get("python", "")),
    )


def _created(date: Any) -> str:
    if isinstance(date, int | float) and not isinstance(date, bool):
        try:
            return datetime.fromtimestamp(date / 1000, UTC).isoformat()
        except (OverflowError, OSError, ValueError):
            pass
    return utc_now_iso()


def from_asv_file(data: Mapping[str, Any], path: Path) -> ResultSet:
    """One asv result file (format 1 is converted first, as ``asv update`` does)."""
    data = upgrade_asv(dict(data), path)
    columns = data["result_columns"]
    run = RunInfo(
        created=_created(data.get("date")),
        machine=_machine(data),
        commit=Commit(id=str(data.get("commit_hash") or "")),
        source="asv",
    )
    meta = _benchmarks_meta(path)
    env = str(data.get("env_name") or "")
    results: list[Result] = []
    raw_rows = data.get("results")
    rows: Mapping[str, Any] = raw_rows if isinstance(raw_rows, dict) else {}
    for name, row in rows.items():
        if not isinstance(row, list):
            _skip(f"{path}: {name}: result row is not a list; skipped")
            continue
        record = dict(zip(columns, row, strict=False))
        results.extend(_results(str(name), record, meta.get(name, {}), env))
    if not results:
        raise SchemaError(f"{path}: asv result file holds no successful benchmark")
    return ResultSet(run=run, results=tuple(results))


def _combos(param_lists: Any, count: int) -> list[str]:
    """The first ``count`` parameter combinations, in asv's order (the last varies fastest)."""
    if not isinstance(param_lists, list) or not param_lists:
        return [""]
    axes = [entry if isinstance(entry, list) else [entry] for entry in param_lists]
    # lazily: a broken file's product of parameter lists can be astronomically long
    return [
        ", ".join(str(v) for v in combo)
        for combo in itertools.islice(itertools.product(*axes), count)
    ]


def _params_problem(param_lists: Any, count: int) -> str:
    """Why ``params`` cannot label ``count`` results ('' when they can)."""
    if param_lists in (None, []):
        return "" if count == 1 else f"{count} results but no parameters"
    if not isinstance(param_lists, list) or not all(
        isinstance(axis, list)
        and axis
        and all(isinstance(v, str | int | float) and not isinstance(v, bool) for v in axis)
        for axis in param_lists
    ):
        return f"params must be one list of values per parameter, got {param_lists!r:.60}"
    combos = math.prod(len(axis) for axis in param_lists)
    if combos != count:
        return f"{count} result(s) for {combos} parameter combination(s)"
    return ""


def _number(value: Any) -> float | None:
    if isinstance(value, bool) or not isinstance(value, int | float):
        return None
    number = float(value)
    return number if math.isfinite(number) else None


def _column(rec: Mapping[str, Any], key: str, j: int) -> Any:
    column = rec.get(key)
    return column[j] if isinstance(column, list) and j < len(column) else None


def _results(name: str, rec: Mapping[str, Any], meta: Mapping[str, Any], env: str) -> list[Result]:
    values = rec.get("result")
    values = values if isinstance(values, list) else [values]
    kind, raw_unit = _kind_and_unit(name, meta)
    unit, factor = normalise_unit(raw_unit)
    better = better_for_unit(unit) if kind == "track" else "lower"
    shape = _params_problem(rec.get("params"), len(values))
    if shape:
        _skip(f"{name} skipped: {shape}")
        return []
    combos = _combos(rec.get("params"), len(values))
    # As asv does: the version the result was measured with, or unknown. benchmarks.json
    # holds only the newest versions, so it cannot stand in for an older result's.
    version = rec.get("version")
    out = []
    for j, raw in enumerate(values):
        combo = combos[j] if j < len(combos) else str(j)
        rid = f"{name}({combo})" if combo else name
        if raw is None:
            continue  # asv's mark of a failed or skipped benchmark
        value = _number(raw)
        if value is None:
            _skip(f"{rid}: asv {kind} value {raw!r:.40} is not a number; skipped")
            continue
        extra: dict[str, Any] = {"source": "asv", "type": kind, "env": env}
        if version is not None:
            extra["version"] = str(version)
        samples = _values(rec, j, kind, raw=raw, value=value, factor=factor, extra=extra)
        out.append(
            Result(
                id=rid,
                unit=unit,
                better=better,
                samples=samples,
                params={"combo": combo} if combo else {},
                extra=extra,
            )
        )
    return out


def _values(
    rec: Mapping[str, Any],
    j: int,
    kind: str,
    *,
    raw: Any,
    value: float,
    factor: float,
    extra: dict[str, Any],
) -> tuple[float, ...]:
    """The samples of one result; marks in ``extra`` say what they are."""
    raw_samples = _column(rec, "samples", j)
    if kind == "time" and isinstance(raw_samples, list):
        numbers = [n * factor for s in raw_samples if (n := _number(s)) is not None]
        if numbers:
            return tuple(numbers)
    if kind == "time":
        summary = _summary(rec, j, value * factor, factor)
        if summary:
            extra.update(samples_from="summary", summary=summary)
        else:  # asv run --quick: one timing, no spread
            extra.update(samples_from="single", deterministic=False)
        return (value * factor,)
    extra["samples_from"] = "single"
    extra["deterministic"] = kind == "memory" or (kind == "track" and isinstance(raw, int))
    return (value * factor,)


def _summary(rec: Mapping[str, Any], j: int, median: float, factor: float) -> dict[str, Any] | None:
    q25, q75 = _number(_column(rec, "stats_q_25", j)), _number(_column(rec, "stats_q_75", j))
    repeat = _number(_column(rec, "stats_repeat", j))
    if q25 is None or q75 is None or not repeat or repeat < 2:
        return None  # one timing (asv's interval is +-inf) has no spread to summarise
    out: dict[str, Any] = {"median": median, "iqr": (q75 - q25) * factor, "n": int(repeat)}
    low, high = _number(_column(rec, "stats_ci_99_a", j)), _number(_column(rec, "stats_ci_99_b", j))
    if low is not None and high is not None:
        out["ci_99"] = [low * factor, high * factor]
    number = _number(_column(rec, "stats_number", j))
    if number is not None:
        out["number"] = int(number)
    return out
