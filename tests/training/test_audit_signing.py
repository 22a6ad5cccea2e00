"""The audit root is signed with a key kept outside the log, and appends are locked (15.7)."""

from __future__ import annotations

import hashlib
import json
import os
import subprocess
import sys
import time
from pathlib import Path

import pytest

from perfcore.cli import main
from perfcore.training.audit import AuditLog, merkle_root, verify_audit_log
from perfcore.training.audit_key import AuditKey, load_key

SECRET = "correct horse battery staple, 2026"
KEY = AuditKey(SECRET.encode(), "test")

# Each writer waits for the go file, then appends its events as fast as it can.
_APPENDER = """
import os, sys, time
from pathlib import Path
from perfcore.training.audit import AuditLog
path, writer, count, go = Path(sys.argv[1]), sys.argv[2], int(sys.argv[3]), Path(sys.argv[4])
log = AuditLog(path)
(go.parent / f"ready-{writer}").touch()
while not go.exists():
    time.sleep(0.001)
for i in range(count):
    log.append("event", {"writer": writer, "i": i})
"""


@pytest.fixture(autouse=True)
def _isolated_keys(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """No test reads or creates a key outside its own temporary folder."""
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "config"))
    monkeypatch.delenv("PERFCORE_AUDIT_KEY", raising=False)
    monkeypatch.delenv("PERFCORE_AUDIT_KEY_FILE", raising=False)


@pytest.fixture
def log_path(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A log of four events signed with SECRET (given through the environment)."""
    monkeypatch.setenv("PERFCORE_AUDIT_KEY", SECRET)
    log = AuditLog(tmp_path / "audit.jsonl")
    for i in range(4):
        log.append("event", {"i": i})
    monkeypatch.delenv("PERFCORE_AUDIT_KEY")
    return log.path


def _forge(path: Path, *, keep_signature: bool) -> None:
    """Edit line 2, then recompute seq/prev chain, count and Merkle root as an attacker can."""
    records = [json.loads(line) for line in path.read_text().splitlines()]
    records[1]["data"]["i"] = 99
    lines: list[bytes] = []
    prev = "0" * 64
    for record in records:
        record["prev"] = prev
        line = json.dumps(record, sort_keys=True, separators=(",", ":")).encode()
        lines.append(line)
        prev = hashlib.sha256(line).hexdigest()
    path.write_bytes(b"".join(line + b"\n" for line in lines))
    sidecar = Path(f"{path}.root.json")
    doc = json.loads(sidecar.read_text())
    forged = {"count": len(lines), "root": merkle_root(lines)}
    doc = {**doc, **forged} if keep_signature else {"schema": "perfcore.audit-root/1", **forged}
    sidecar.write_text(json.dumps(doc))


@pytest.mark.parametrize("keep_signature", [True, False])
def test_forged_and_rechained_log_fails_with_the_key(
    log_path: Path,
    keep_signature: bool,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    """A rewritten log with a recomputed chain and root is TAMPERED (exit 1) under the key."""
    _forge(log_path, keep_signature=keep_signature)
    monkeypatch.setenv("PERFCORE_AUDIT_KEY", SECRET)
    assert main(["audit", "verify", str(log_path)]) == 1
    assert "TAMPERED" in capsys.readouterr().out
    assert not verify_audit_log(log_path, KEY).intact


def test_without_a_key_only_consistency_is_claimed(
    log_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """Without a key a forged log is only called consistent, the signature not checked."""
    _forge(log_path, keep_signature=True)
    assert main(["audit", "verify", str(log_path)]) == 0
    out = capsys.readouterr().out
    assert "signature NOT checked" in out
    assert "intact" not in out


def test_untouched_log_verifies_with_its_key_file(log_path: Path, tmp_path: Path) -> None:
    """The untouched log verifies (exit 0) with its key in a 0600 key file."""
    key_file = tmp_path / "audit.key"
    key_file.write_text(SECRET + "\n")
    key_file.chmod(0o600)
    assert main(["audit", "verify", str(log_path), "--key-file", str(key_file)]) == 0


def test_another_key_is_named_in_the_problem(log_path: Path) -> None:
    """Verifying with a different key fails and names both key ids."""
    other = AuditKey(b"x" * 32, "other")
    (problem,) = verify_audit_log(log_path, other).problems
    assert KEY.key_id in problem
    assert other.key_id in problem


def test_key_file_readable_by_others_is_refused(
    log_path: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """A key file with group or other permissions is exit 2 with one line."""
    key_file = tmp_path / "audit.key"
    key_file.write_text(SECRET)
    key_file.chmod(0o644)
    assert main(["audit", "verify", str(log_path), "--key-file", str(key_file)]) == 2
    assert "chmod 600" in capsys.readouterr().err


def test_short_key_is_refused(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], log_path: Path
) -> None:
    """A key under 16 bytes is exit 2."""
    monkeypatch.setenv("PERFCORE_AUDIT_KEY", "short")
    assert main(["audit", "verify", str(log_path)]) == 2
    assert "16-4096 bytes" in capsys.readouterr().err


def test_writer_creates_a_private_key_once(tmp_path: Path) -> None:
    """A missing key file is created with mode 0600, and later loads return the same key."""
    key_file = tmp_path / "keys" / "audit.key"
    first = load_key(key_file, create=True)
    assert key_file.stat().st_mode & 0o777 == 0o600
    assert first == load_key(key_file, create=True) == load_key(key_file)
    assert load_key() is None  # a reader creates nothing


def test_three_processes_appending_form_one_chain(tmp_path: Path) -> None:
    """Three processes appending 60 events each at once leave a valid chain of 180 entries."""
    path, go, count = tmp_path / "audit.jsonl", tmp_path / "go", 60
    env = {**os.environ, "PERFCORE_AUDIT_KEY": SECRET}
    writers = [
        subprocess.Popen(
            [sys.executable, "-c", _APPENDER, str(path), str(w), str(count), str(go)], env=env
        )
        for w in range(3)
    ]
    deadline = time.monotonic() + 60
    while len(list(tmp_path.glob("ready-*"))) < 3 and time.monotonic() < deadline:
        time.sleep(0.01)  # all three at the start line, so their appends overlap
    go.touch()
    assert [w.wait(timeout=120) for w in writers] == [0, 0, 0]
    outcome = verify_audit_log(path, KEY)
    assert outcome.problems == ()
    assert outcome.entries == 3 * count
    writers_seen = [json.loads(line)["data"]["writer"] for line in path.read_text().splitlines()]
    assert sorted(writers_seen) == sorted(str(w) for w in range(3) for _ in range(count))
