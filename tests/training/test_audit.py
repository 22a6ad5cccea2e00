"""The audit log: append-only lines, Merkle root, and tamper detection (CLI exit codes)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from perfcore.cli import main
from perfcore.errors import InputError
from perfcore.training.audit import AuditLog, merkle_root, verify_audit_log
from perfcore.training.audit_key import AuditKey

KEY = AuditKey(b"k" * 32, "test")


@pytest.fixture(autouse=True)
def _isolated_keys(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """No test reads or creates a key outside its own temporary folder."""
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "config"))
    monkeypatch.delenv("PERFCORE_AUDIT_KEY", raising=False)
    monkeypatch.delenv("PERFCORE_AUDIT_KEY_FILE", raising=False)


@pytest.fixture
def log_path(tmp_path: Path) -> Path:
    """A log of four events."""
    log = AuditLog(tmp_path / "audit.jsonl", clock=lambda: "2024-01-01T00:00:00+00:00", key=KEY)
    for i in range(4):
        log.append("event", {"i": i})
    return log.path


def _lines(path: Path) -> list[str]:
    return path.read_text().splitlines()


def _write(path: Path, lines: list[str]) -> None:
    path.write_text("".join(line + "\n" for line in lines))


def test_intact_log_verifies(log_path: Path) -> None:
    """An untouched log is intact and `audit verify` exits 0."""
    outcome = verify_audit_log(log_path)
    assert outcome.intact
    assert outcome.entries == 4
    assert main(["audit", "verify", str(log_path)]) == 0


def test_append_returns_the_merkle_root_of_all_lines(log_path: Path) -> None:
    """The root recorded after an append is the Merkle root over every line."""
    root = AuditLog(log_path, key=KEY).append("more", {})
    lines = [line.encode() for line in _lines(log_path)]
    assert root == merkle_root(lines)
    assert json.loads(Path(f"{log_path}.root.json").read_text())["count"] == 5


def test_merkle_root_depends_on_order() -> None:
    """Swapping two leaves changes the root."""
    assert merkle_root([b"a", b"b", b"c"]) != merkle_root([b"b", b"a", b"c"])


def test_edited_line_is_detected(log_path: Path) -> None:
    """Changing one value in one line is tampering: exit 1."""
    lines = _lines(log_path)
    lines[1] = lines[1].replace('"i":1', '"i":9')
    _write(log_path, lines)
    outcome = verify_audit_log(log_path)
    assert not outcome.intact
    assert any("line 3: hash chain broken" in p for p in outcome.problems)
    assert main(["audit", "verify", str(log_path)]) == 1


def test_removed_line_is_detected(log_path: Path) -> None:
    """Deleting a line from the middle is tampering: exit 1."""
    lines = _lines(log_path)
    del lines[2]
    _write(log_path, lines)
    assert any("removed or reordered" in p for p in verify_audit_log(log_path).problems)
    assert main(["audit", "verify", str(log_path)]) == 1


def test_reordered_lines_are_detected(log_path: Path) -> None:
    """Swapping two lines is tampering: exit 1."""
    lines = _lines(log_path)
    lines[0], lines[1] = lines[1], lines[0]
    _write(log_path, lines)
    assert not verify_audit_log(log_path).intact
    assert main(["audit", "verify", str(log_path)]) == 1


def test_truncated_tail_is_detected(log_path: Path) -> None:
    """Dropping the last line leaves a valid chain but contradicts the recorded root."""
    _write(log_path, _lines(log_path)[:-1])
    problems = verify_audit_log(log_path).problems
    assert any("root records 4" in p for p in problems)


def test_missing_root_record_is_not_intact(log_path: Path) -> None:
    """Without its root record a log cannot be proven whole."""
    Path(f"{log_path}.root.json").unlink()
    assert not verify_audit_log(log_path).intact


def test_missing_log_is_unreadable(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """A log that does not exist is an input error: exit 2, one line."""
    with pytest.raises(InputError):
        verify_audit_log(tmp_path / "none.jsonl")
    assert main(["audit", "verify", str(tmp_path / "none.jsonl")]) == 2
    assert len(capsys.readouterr().err.strip().splitlines()) == 1


def test_training_run_appends_audit_events(tmp_path: Path) -> None:
    """`perfcore train --enable-audit` writes events that verify as intact."""
    out = tmp_path / "out"
    assert main(["train", "--num-samples", "120", "--output-dir", str(out), "--enable-audit"]) == 0
    log = out / "audit" / "training.jsonl"
    events = [json.loads(line)["event"] for line in _lines(log)]
    assert events[0] == "run_started"
    assert events[-1] == "model_persisted"
    assert verify_audit_log(log).intact
    key_file = tmp_path / "config" / "perfcore" / "audit.key"
    assert key_file.stat().st_mode & 0o777 == 0o600
    assert main(["audit", "verify", str(log), "--key-file", str(key_file)]) == 0
