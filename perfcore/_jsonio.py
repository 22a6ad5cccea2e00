"""Strict JSON in and out: one place that turns every parse failure into a one-line SchemaError.

Reading: ``json.loads`` raises more than ``JSONDecodeError`` on hostile input -- a
``RecursionError`` on deeply nested arrays, a ``ValueError`` on an integer longer than
Python's digit limit -- and each of those escaped as a traceback before. Writing:
``json.dumps`` writes ``NaN`` and ``Infinity`` by default, which no strict JSON parser
accepts, so every writer goes through :func:`json_safe` (non-finite numbers become
``null``) and ``allow_nan=False``.
"""

from __future__ import annotations

import json
import math
from pathlib import Path
from typing import Any

from perfcore.errors import SchemaError

__all__ = ["dumps_strict", "json_safe", "parse_json", "read_json_file"]


def json_safe(obj: Any) -> Any:
    """``obj`` with every non-finite float replaced by None (tuples become lists)."""
    if isinstance(obj, float):
        return obj if math.isfinite(obj) else None
    if isinstance(obj, dict):
        return {key: json_safe(value) for key, value in obj.items()}
    if isinstance(obj, list | tuple):
        return [json_safe(value) for value in obj]
    return obj


def dumps_strict(obj: Any, *, indent: int | None = 2, sort_keys: bool = False) -> str:
    """Valid JSON text of ``obj``: non-finite numbers written as null, never NaN/Infinity."""
    return json.dumps(json_safe(obj), indent=indent, sort_keys=sort_keys, allow_nan=False)


def parse_json(text: str, label: str | Path) -> Any:
    """Parse ``text``; any failure is a SchemaError naming ``label`` and the problem."""
    try:
        return json.loads(text)
    except json.JSONDecodeError as exc:
        raise SchemaError(f"{label}: not valid JSON ({exc.msg} at line {exc.lineno})") from None
    except RecursionError:
        raise SchemaError(f"{label}: JSON nested too deeply to read") from None
    except ValueError as exc:  # e.g. an integer beyond sys.get_int_max_str_digits()
        raise SchemaError(f"{label}: unreadable JSON value ({exc})") from None


def read_json_file(path: str | Path) -> Any:
    """Read and parse a UTF-8 JSON file; any failure is a one-line SchemaError naming it."""
    target = Path(path)
    try:
        text = target.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise SchemaError(f"{target}: no such file") from None
    except UnicodeDecodeError as exc:
        raise SchemaError(f"{target}: not UTF-8 text (byte {exc.start})") from None
    except OSError as exc:
        raise SchemaError(f"{target}: cannot read: {exc.strerror or exc}") from None
    if not text.strip():
        raise SchemaError(f"{target}: file is empty")
    return parse_json(text, target)
