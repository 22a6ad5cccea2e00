"""Append-only audit log of training events: JSON lines, a hash chain and a Merkle root.

Each line is one JSON object ``{"seq", "time", "event", "data", "prev"}`` where
``seq`` counts from 0 and ``prev`` is the SHA-256 of the previous line's bytes
(64 zeros for the first). After every append the SHA-256 Merkle root over all
lines (RFC 6962 style: leaf = H(0x00 || line), node = H(0x01 || left || right),
an unpaired node is promoted) and the line count are written to a sidecar
``<log>.root.json``. ``verify`` recomputes everything, so an edited line breaks the
chain and the root, a removed or reordered line breaks ``seq``, the chain and the
root, and a truncated tail no longer matches the recorded count and root.
"""

from __future__ import annotations

import hashlib
import json
import os
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from perfcore._atomic import atomic_write_json
from perfcore.errors import InputError

__all__ = ["AuditLog", "AuditVerification", "merkle_root", "verify_audit_log"]

ROOT_SCHEMA = "perfcore.audit-root/1"
_GENESIS = "0" * 64


def _sha(data: bytes) -> bytes:
    return hashlib.sha256(data).digest()


def merkle_root(lines: list[bytes]) -> str:
    """Hex SHA-256 Merkle root over ``lines`` (the hash of nothing for an empty log)."""
    if not lines:
        return hashlib.sha256(b"").hexdigest()
    level = [_sha(b"\x00" + line) for line in lines]
    while len(level) > 1:
        paired = [_sha(b"\x01" + level[i] + level[i + 1]) for i in range(0, len(level) - 1, 2)]
        if len(level) % 2:
            paired.append(level[-1])
        level = paired
    return level[0].hex()


def _root_path(log_path: Path) -> Path:
    return log_path.with_name(log_path.name + ".root.json")


def _read_lines(path: Path) -> list[bytes]:
    try:
        data = path.read_bytes()
    except FileNotFoundError:
        raise InputError(f"{path}: no such audit log") from None
    except OSError as exc:
        raise InputError(f"{path}: cannot read audit log: {exc.strerror}") from None
    return [line for line in data.split(b"\n") if line]


def _utc_now() -> str:
    return datetime.now(UTC).isoformat(timespec="microseconds")


class AuditLog:
    """An append-only JSON-lines log with a Merkle root sidecar."""

    def __init__(self, path: Path, clock: Callable[[], str] = _utc_now) -> None:
        self.path = path
        self._clock = clock

    @property
    def root_path(self) -> Path:
        """The sidecar holding the count and Merkle root."""
        return _root_path(self.path)

    def append(self, event: str, data: Mapping[str, Any]) -> str:
        """Append one event; returns the new Merkle root."""
        lines = _read_lines(self.path) if self.path.exists() else []
        prev = hashlib.sha256(lines[-1]).hexdigest() if lines else _GENESIS
        record = {"seq": len(lines), "time": self._clock(), "event": event,
                  "data": dict(data), "prev": prev}
        line = json.dumps(record, sort_keys=True, separators=(",", ":")).encode()
        self.path.parent.mkdir(parents=True, exist_ok=True)
        with self.path.open("ab") as handle:
            handle.write(line + b"\n")
            handle.flush()
            os.fsync(handle.fileno())
        root = merkle_root([*lines, line])
        atomic_write_json(self.root_path, {"schema": ROOT_SCHEMA, "count": len(lines) + 1,
                                           "root": root})
        return root


@dataclass(frozen=True)
class AuditVerification:
    """The outcome of verifying a log: intact or not, and every problem found."""

    path: Path
    entries: int
    root: str
    problems: tuple[str, ...]

    @property
    def intact(self) -> bool:
        """True when no problem was found."""
        return not self.problems


def _check_line(number: int, line: bytes, prev: str) -> list[str]:
    try:
        record = json.loads(line)
    except (ValueError, RecursionError):  # JSONDecodeError and UnicodeDecodeError included
        return [f"line {number}: not valid JSON (edited)"]
    if not isinstance(record, dict):
        return [f"line {number}: not a JSON object (edited)"]
    problems = []
    if record.get("seq") != number - 1:
        problems.append(f"line {number}: seq {record.get('seq')!r} where {number - 1} was "
                        "expected (a line was removed or reordered)")
    if record.get("prev") != prev:
        problems.append(f"line {number}: hash chain broken (this or the previous line "
                        "was edited, removed or moved)")
    return problems


def _read_root(path: Path) -> tuple[int, str] | str:
    """(count, root) from the sidecar, or a problem description."""
    try:
        doc = json.loads(path.read_text(encoding="utf-8"))
        return int(doc["count"]), str(doc["root"])
    except FileNotFoundError:
        return f"{path.name} is missing: the log cannot be proven whole"
    except (OSError, ValueError, KeyError, TypeError, OverflowError, RecursionError):
        return f"{path.name} is unreadable or malformed"


def verify_audit_log(path: Path) -> AuditVerification:
    """Recompute chain, sequence and Merkle root; raises InputError if the log is unreadable."""
    lines = _read_lines(path)
    problems: list[str] = []
    prev = _GENESIS
    for number, line in enumerate(lines, start=1):
        problems.extend(_check_line(number, line, prev))
        prev = hashlib.sha256(line).hexdigest()
    root = merkle_root(lines)
    recorded = _read_root(_root_path(path))
    if isinstance(recorded, str):
        problems.append(recorded)
    else:
        count, recorded_root = recorded
        if count != len(lines):
            problems.append(f"log has {len(lines)} lines, the root records {count}")
        if recorded_root != root:
            problems.append(f"Merkle root {root[:16]}... does not match the recorded "
                            f"{recorded_root[:16]}...")
    return AuditVerification(path, len(lines), root, tuple(problems))
