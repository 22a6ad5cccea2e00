"""asv results format 1 converted to format 2, step for step as ``asv update`` does it.

The steps follow ``asv.results.Results.update_to_2`` (asv 0.6.6): each benchmark's
``{"result", "params", "samples", "stats"}`` (or, older still, a bare value) becomes
one row of the ``result_columns``; ``benchmark_version``, ``started_at`` and
``duration`` move into the rows; each ``stats`` entry gives ``ci_99`` (a, b),
``q_25``, ``q_75``, ``number`` and ``repeat``. Where asv would stop with "missing
key" (a stats entry without ``ci_99``) this keeps the other statistics instead.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

from perfcore.errors import SchemaError

__all__ = ["ASV_COLUMNS", "ASV_FORMAT", "upgrade_asv"]

ASV_FORMAT = 2
ASV_COLUMNS = (
    "result",
    "params",
    "version",
    "started_at",
    "duration",
    "stats_ci_99_a",
    "stats_ci_99_b",
    "stats_q_25",
    "stats_q_75",
    "stats_number",
    "stats_repeat",
    "samples",
    "profile",
)


def upgrade_asv(data: dict[str, Any], path: Path) -> dict[str, Any]:
    """An asv result document in format 2 (format 1 converted; newer formats refused)."""
    version = data.get("version")
    if "result_columns" in data:
        if isinstance(version, int) and version > ASV_FORMAT:
            raise SchemaError(
                f"{path}: asv results format {version} is newer than this "
                f"perfcore reads ({ASV_FORMAT})"
            )
        columns = data["result_columns"]
        if (
            not isinstance(columns, list)
            or not all(isinstance(c, str) for c in columns)
            or "result" not in columns
        ):
            raise SchemaError(
                f"{path}: asv result_columns is not a list of column names with a 'result' column"
            )
        return data
    if version not in (1, None):
        raise SchemaError(f"{path}: unknown asv results format {version!r}")
    if not isinstance(data.get("results"), dict):
        raise SchemaError(f"{path}: asv format-1 file without a results object")
    return _to_format2(data)


def _stat(key: str) -> Callable[[Any], Any]:
    def get(entry: Any) -> Any:
        if not isinstance(entry, Mapping):
            return None
        if key in ("a", "b"):
            ci = entry.get("ci_99")
            return ci[0 if key == "a" else 1] if isinstance(ci, list) and len(ci) == 2 else None
        return entry.get(key)

    return get


def _entry(value: Any) -> dict[str, Any]:
    """One benchmark's format-1 value in its dict form (asv's backward-compatible load)."""
    if not isinstance(value, dict):
        value = {"result": [value], "samples": None, "stats": None, "params": []}
    out = dict(value)
    if not isinstance(out.get("result"), list):
        out["result"] = [out.get("result")]
    if "stats" in out and out["stats"] is not None and not isinstance(out["stats"], list):
        out["stats"] = [out["stats"]]
    out.setdefault("samples", None)
    out.setdefault("stats", None)
    if out.get("params") is None:
        out["params"] = []
    return out


def _dict(data: Mapping[str, Any], key: str) -> dict[str, Any]:
    value = data.get(key)
    return dict(value) if isinstance(value, dict) else {}


def _cell(column: str, value: Any, getter: Callable[[Any], Any] | None) -> Any:
    if getter is not None and value is not None:
        value = (
            [getter(z) if z is not None else None for z in value]
            if isinstance(value, list)
            else getter(value)
        )
    if column == "params" and value is None:
        return []
    if column != "params" and isinstance(value, list) and all(x is None for x in value):
        return None
    return value


def _to_format2(d: Mapping[str, Any]) -> dict[str, Any]:
    entries = {str(k): _entry(v) for k, v in d["results"].items()}
    per_column: dict[str, tuple[dict[str, Any], Callable[[Any], Any] | None]] = {
        "result": ({k: e["result"] for k, e in entries.items()}, None),
        "params": ({k: e["params"] for k, e in entries.items()}, None),
        "version": (_dict(d, "benchmark_version"), None),
        "started_at": (_dict(d, "started_at"), None),
        "duration": (_dict(d, "duration"), None),
        "samples": ({k: e["samples"] for k, e in entries.items()}, None),
        "profile": (_dict(d, "profiles"), None),
    }
    stats = {k: e["stats"] for k, e in entries.items()}
    for column, key in (
        ("stats_ci_99_a", "a"),
        ("stats_ci_99_b", "b"),
        ("stats_q_25", "q_25"),
        ("stats_q_75", "q_75"),
        ("stats_number", "number"),
        ("stats_repeat", "repeat"),
    ):
        per_column[column] = (stats, _stat(key))
    rows: dict[str, list[Any]] = {}
    for name in sorted(entries):
        row = [_cell(c, per_column[c][0].get(name), per_column[c][1]) for c in ASV_COLUMNS]
        while row and row[-1] is None:
            row.pop()
        rows[name] = row
    python = str(d.get("python", ""))
    requirements = _dict(d, "requirements")
    return {
        "commit_hash": d.get("commit_hash"),
        "date": d.get("date"),
        "env_name": d.get("env_name") or _env_name(python, requirements),
        "params": _dict(d, "params"),
        "python": python,
        "requirements": requirements,
        "env_vars": _dict(d, "env_vars"),
        "result_columns": list(ASV_COLUMNS),
        "results": rows,
        "durations": {k: v for k, v in _dict(d, "duration").items() if k.startswith("<")},
        "version": ASV_FORMAT,
    }


def _env_name(python: str, requirements: Mapping[str, Any]) -> str:
    """asv's name for an environment a format-1 file does not name (``get_env_name``)."""
    parts = [f"py{python}"]
    parts += [f"{k}{v}" if v else k for k, v in sorted(requirements.items())]
    # asv.util.sanitize_filename's replacement (its reserved Windows names aside)
    return re.sub(r'[<>:"/\\^|?*\x00-\x1f]', "_", "-".join(parts))
