"""The alert section: an alert manager's statistics adapted into the report's view model.

The input is :meth:`perfcore.optimisation.AlertManager.summary` (``counts``, ``fired``
per rule, ``delivered``/``failed`` per channel, ``pending``, ``dead``), either live or
read back from a file such as ``perfcore tune --output``, so every field is checked:
a summary that is not of that shape is an :class:`InputError`, never half shown.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from perfcore.errors import InputError
from perfcore.report.model import AlertsView

__all__ = ["alerts_view", "read_alerts_file"]


def _count(value: Any, where: str) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or value < 0:
        raise InputError(f"alert summary: {where} is not a count (a whole number >= 0)")
    return value


def _counts(summary: Mapping[str, Any], key: str, *, required: bool) -> dict[str, int]:
    table = summary.get(key)
    if table is None and not required:
        return {}
    if not isinstance(table, Mapping):
        raise InputError(f"alert summary: '{key}' is not an object of counts")
    return {str(name): _count(n, f"{key}[{name!r}]") for name, n in table.items()}


def alerts_view(summary: Mapping[str, Any], source: str = "") -> AlertsView:
    """The report's alert section from an alert manager's summary (validated)."""
    if not isinstance(summary, Mapping):
        raise InputError("alert summary: not a JSON object")
    counts = _counts(summary, "counts", required=True)
    fired = _counts(summary, "fired", required=False)
    delivered = _counts(summary, "delivered", required=False)
    failed = _counts(summary, "failed", required=False)
    channels = sorted(set(delivered) | set(failed))
    return AlertsView(
        counts=counts,
        rules=tuple(sorted(fired.items(), key=lambda kv: (-kv[1], kv[0]))),
        channels=tuple((c, delivered.get(c, 0), failed.get(c, 0)) for c in channels),
        pending=_count(summary.get("pending", 0), "pending"),
        dropped=_count(summary.get("dead", 0), "dead"),
        source=source,
    )


def read_alerts_file(path: Path) -> AlertsView:
    """The alert section from a JSON file: a summary, or ``perfcore tune --output``'s file."""
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError) as exc:
        raise InputError(f"{path}: cannot read the alert summary: {exc}") from None
    except json.JSONDecodeError as exc:
        raise InputError(f"{path}: not JSON: {exc.msg} at line {exc.lineno}") from None
    if isinstance(data, Mapping) and data.get("schema") == "perfcore.tune/1":
        summary, source = data.get("alerts"), "perfcore tune"
    else:
        summary, source = data, path.name
    try:
        return alerts_view(summary if isinstance(summary, Mapping) else {}, source)
    except InputError as exc:
        raise InputError(f"{path}: {exc}") from None
