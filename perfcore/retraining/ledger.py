"""The cost ledger's file in the model store: every run's spending, so limits hold across runs.

``<store>/cost-ledger.json`` holds ``{"schema": "perfcore.cost-ledger/1", "entries":
[{"at": <seconds since the epoch>, "dollars": <float>}, ...]}``. It is written whole
with :mod:`perfcore._atomic` under an exclusive ``flock`` on ``.cost-ledger.lock``
beside it, so two runs booking at once both land. A ledger that does not parse or
validate is an :class:`InputError`: resetting it would forget real spending and lift
the limits, so the user has to repair or remove it.
"""

from __future__ import annotations

import contextlib
import fcntl
import json
import math
import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from perfcore._atomic import atomic_write_json
from perfcore.errors import InputError

__all__ = ["LEDGER_NAME", "SCHEMA", "append_entry", "locked", "read_entries"]

LEDGER_NAME = "cost-ledger.json"
SCHEMA = "perfcore.cost-ledger/1"
# A retrain costs at least a cent and a month's limit is bounded, so this is never reached
# by honest use; it bounds the file against a runaway writer.
_MAX_ENTRIES = 100_000

Entry = tuple[float, float]


def _bad(path: Path, why: str) -> InputError:
    return InputError(
        f"{path}: corrupt cost ledger ({why}); repair or remove it "
        "(removing it forgets this month's spending)"
    )


def _number(value: Any) -> float | None:
    if isinstance(value, bool) or not isinstance(value, int | float):
        return None
    number = float(value)
    return number if math.isfinite(number) else None


def _entry(path: Path, index: int, item: Any) -> Entry:
    if not isinstance(item, dict) or set(item) != {"at", "dollars"}:
        raise _bad(path, f'entry {index} is not {{"at": ..., "dollars": ...}}')
    at, dollars = _number(item["at"]), _number(item["dollars"])
    if at is None or at < 0 or dollars is None or dollars < 0:
        raise _bad(path, f"entry {index} needs a finite time >= 0 and dollars >= 0")
    return at, dollars


def read_entries(path: Path) -> list[Entry]:
    """The ledger's (time, dollars) entries; none when the file does not exist."""
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        return []
    except (OSError, UnicodeDecodeError) as exc:
        raise InputError(f"{path}: cannot read the cost ledger: {exc}") from None
    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        raise _bad(path, f"not JSON: {exc.msg} at line {exc.lineno}") from None
    if not isinstance(data, dict) or data.get("schema") != SCHEMA:
        raise _bad(path, f"not a {SCHEMA} object")
    entries = data.get("entries")
    if not isinstance(entries, list) or len(entries) > _MAX_ENTRIES:
        raise _bad(path, f"'entries' is not a list of at most {_MAX_ENTRIES}")
    return [_entry(path, i, item) for i, item in enumerate(entries)]


@contextlib.contextmanager
def locked(path: Path) -> Iterator[None]:
    """Hold the ledger's exclusive lock (a check and the booking it allows are one step)."""
    lock = path.parent / f".{path.stem}.lock"
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        fd = os.open(lock, os.O_RDWR | os.O_CREAT | getattr(os, "O_CLOEXEC", 0), 0o644)
    except OSError as exc:
        raise InputError(f"{lock}: cannot lock the cost ledger: {exc.strerror}") from None
    try:
        fcntl.flock(fd, fcntl.LOCK_EX)
        yield
    finally:
        os.close(fd)  # closing releases the lock


def append_entry(path: Path, entry: Entry, keep_from: float) -> None:
    """Book ``entry`` and drop entries before ``keep_from`` (the month's start).

    The caller holds :func:`locked`; the file is replaced atomically.
    """
    kept = [e for e in read_entries(path) if e[0] >= keep_from]
    kept = [*kept, entry][-_MAX_ENTRIES:]
    try:
        atomic_write_json(
            path,
            {"schema": SCHEMA, "entries": [{"at": at, "dollars": dollars} for at, dollars in kept]},
        )
    except OSError as exc:
        raise InputError(f"{path}: cannot write the cost ledger: {exc.strerror}") from None
