"""Append-only audit log of training events: JSON lines, a hash chain and a Merkle root.

Each line is one JSON object ``{"seq", "time", "event", "data", "prev"}`` where
``seq`` counts from 0 and ``prev`` is the SHA-256 of the previous line's bytes
(64 zeros for the first). After every append the SHA-256 Merkle root over all
lines (RFC 6962 style: leaf = H(0x00 || line), node = H(0x01 || left || right),
an unpaired node is promoted) and the line count are written to a sidecar
``<log>.root.json``. ``verify`` recomputes everything, so an edited line breaks the
chain and the root, a removed or reordered line breaks ``seq``, the chain and the
root, and a truncated tail no longer matches the recorded count and root.

All of that can be recomputed by whoever edits the log, so the sidecar also holds
an HMAC-SHA256 of the count and root under a key kept outside the log
(:mod:`perfcore.training.audit_key`). Verified with that key, a forged and
re-chained log fails; verified without it, only internal consistency is shown.
Appends take an exclusive ``flock`` on the log around read-last-line, append,
fsync and the sidecar write, so parallel appenders form one chain; ``verify``
reads under a shared lock, so it never sees a line without its root.
"""

from __future__ import annotations

import contextlib
import fcntl
import hashlib
import json
import os
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import IO, Any

from perfcore._atomic import atomic_write_json
from perfcore.errors import InputError
from perfcore.training.audit_key import AuditKey, load_key

__all__ = ["AuditLog", "AuditVerification", "merkle_root", "verify_audit_log"]

ROOT_SCHEMA = "perfcore.audit-root/2"
# Version 1 sidecars (count and root, no signature) still verify without a key.
_UNSIGNED_SCHEMA = "perfcore.audit-root/1"
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


def _split(data: bytes) -> list[bytes]:
    return [line for line in data.split(b"\n") if line]


@contextlib.contextmanager
def _locked(path: Path, operation: int, mode: str = "rb") -> Iterator[IO[bytes]]:
    """``path`` opened in ``mode`` under ``flock(operation)``; unreadable is InputError."""
    try:
        handle: IO[bytes] = path.open(mode)
    except FileNotFoundError:
        raise InputError(f"{path}: no such audit log") from None
    except OSError as exc:
        raise InputError(f"{path}: cannot open audit log: {exc.strerror}") from None
    with handle:
        fcntl.flock(handle.fileno(), operation)
        yield handle  # closing the file releases the lock


def _signed_message(count: int, root: str) -> bytes:
    return f"{ROOT_SCHEMA}\n{count}\n{root}".encode()


def _utc_now() -> str:
    return datetime.now(UTC).isoformat(timespec="microseconds")


class AuditLog:
    """An append-only JSON-lines log with a signed Merkle root sidecar."""

    def __init__(
        self, path: Path, clock: Callable[[], str] = _utc_now, key: AuditKey | None = None
    ) -> None:
        self.path = path
        self._clock = clock
        # No key given: the configured one, created on first use (see audit_key).
        resolved = key if key is not None else load_key(create=True)
        if resolved is None:  # load_key(create=True) creates one; this keeps mypy honest
            raise InputError("no audit key could be found or created")
        self._key: AuditKey = resolved

    @property
    def root_path(self) -> Path:
        """The sidecar holding the count, the Merkle root and its signature."""
        return _root_path(self.path)

    def append(self, event: str, data: Mapping[str, Any]) -> str:
        """Append one event; returns the new Merkle root."""
        self.path.parent.mkdir(parents=True, exist_ok=True)
        with _locked(self.path, fcntl.LOCK_EX, "ab+") as handle:
            handle.seek(0)
            lines = _split(handle.read())
            prev = hashlib.sha256(lines[-1]).hexdigest() if lines else _GENESIS
            record = {
                "seq": len(lines),
                "time": self._clock(),
                "event": event,
                "data": dict(data),
                "prev": prev,
            }
            line = json.dumps(record, sort_keys=True, separators=(",", ":")).encode()
            handle.write(line + b"\n")
            handle.flush()
            os.fsync(handle.fileno())
            count, root = len(lines) + 1, merkle_root([*lines, line])
            # Still under the lock: a later appender's sidecar can never be overwritten
            # by this older one.
            atomic_write_json(
                self.root_path,
                {
                    "schema": ROOT_SCHEMA,
                    "count": count,
                    "root": root,
                    "key_id": self._key.key_id,
                    "hmac": self._key.sign(_signed_message(count, root)),
                },
            )
        return root


@dataclass(frozen=True)
class AuditVerification:
    """The outcome of verifying a log: intact or not, every problem, and what was proven."""

    path: Path
    entries: int
    root: str
    problems: tuple[str, ...]
    signature_checked: bool = False

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
        problems.append(
            f"line {number}: seq {record.get('seq')!r} where {number - 1} was "
            "expected (a line was removed or reordered)"
        )
    if record.get("prev") != prev:
        problems.append(
            f"line {number}: hash chain broken (this or the previous line "
            "was edited, removed or moved)"
        )
    return problems


@dataclass(frozen=True)
class _Sidecar:
    count: int
    root: str
    key_id: str | None
    signature: str | None


def _read_root(path: Path) -> _Sidecar | str:
    """The sidecar's record, or a problem description."""
    try:
        doc = json.loads(path.read_text(encoding="utf-8"))
        if doc.get("schema") == _UNSIGNED_SCHEMA:
            return _Sidecar(int(doc["count"]), str(doc["root"]), None, None)
        if doc.get("schema") != ROOT_SCHEMA:
            return f"{path.name} has an unknown schema"
        return _Sidecar(int(doc["count"]), str(doc["root"]), str(doc["key_id"]), str(doc["hmac"]))
    except FileNotFoundError:
        return f"{path.name} is missing: the log cannot be proven whole"
    except (
        OSError,
        ValueError,
        KeyError,
        TypeError,
        AttributeError,
        OverflowError,
        RecursionError,
    ):
        return f"{path.name} is unreadable or malformed"


def _signature_problems(sidecar: _Sidecar, key: AuditKey) -> list[str]:
    if sidecar.signature is None:
        return ["the root is not signed, but a key was given (signature removed?)"]
    if key.matches(_signed_message(sidecar.count, sidecar.root), sidecar.signature):
        return []
    if sidecar.key_id != key.key_id:
        return [
            f"the root signature does not verify: it names key {sidecar.key_id}, "
            f"verifying with key {key.key_id} (forged, or signed with another key)"
        ]
    return ["the root signature does not verify (the log and its root were rewritten)"]


def verify_audit_log(path: Path, key: AuditKey | None = None) -> AuditVerification:
    """Recompute chain, sequence and Merkle root, and check the root's HMAC if ``key`` is given.

    Raises InputError if the log is unreadable.
    """
    with _locked(path, fcntl.LOCK_SH) as handle:
        lines = _split(handle.read())
        recorded = _read_root(_root_path(path))
    problems: list[str] = []
    prev = _GENESIS
    for number, line in enumerate(lines, start=1):
        problems.extend(_check_line(number, line, prev))
        prev = hashlib.sha256(line).hexdigest()
    root = merkle_root(lines)
    if isinstance(recorded, str):
        problems.append(recorded)
    else:
        if recorded.count != len(lines):
            problems.append(f"log has {len(lines)} lines, the root records {recorded.count}")
        if recorded.root != root:
            problems.append(
                f"Merkle root {root[:16]}... does not match the recorded {recorded.root[:16]}..."
            )
        if key is not None:
            problems.extend(_signature_problems(recorded, key))
    return AuditVerification(
        path, len(lines), root, tuple(problems), signature_checked=key is not None
    )
