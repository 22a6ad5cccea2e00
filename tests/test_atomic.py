"""Atomic writes: whole-or-nothing, no temporary litter, ordinary permissions."""

import os
import time
from pathlib import Path

import pytest

from perfcore._atomic import STALE_AFTER_S, atomic_open, atomic_write_text, remove_stale_temps
from perfcore.errors import InputError


def test_failed_write_keeps_old_file_and_no_temp(tmp_path: Path) -> None:
    """An exception mid-write leaves the old content and no temporary file."""
    target = tmp_path / "f.txt"
    target.write_text("old")

    def crash() -> None:
        with atomic_open(target) as handle:
            handle.write("new")
            raise RuntimeError("crash")

    with pytest.raises(RuntimeError):
        crash()
    assert target.read_text() == "old"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["f.txt"]


def test_written_file_has_umask_mode(tmp_path: Path) -> None:
    """The file gets the permissions open() would give, not mkstemp's 0600."""
    target = tmp_path / "f.txt"
    atomic_write_text(target, "x")
    umask = os.umask(0)
    os.umask(umask)
    assert target.stat().st_mode & 0o777 == 0o666 & ~umask


def _age(path: Path, seconds: float) -> None:
    then = time.time() - seconds
    os.utime(path, (then, then))


def test_stale_temporaries_of_ours_are_removed_on_the_next_write(tmp_path: Path) -> None:
    """A killed writer's old temporaries go on the next write; fresh and foreign files stay."""
    target = tmp_path / "cache.jsonl"
    target.write_text("old")
    stale = [
        tmp_path / ".cache.jsonl.perfcore-0123456789ab.tmp",
        tmp_path / ".cache.jsonl.ab_12cd3.tmp",
    ]  # mkstemp's shape, from earlier versions
    fresh = tmp_path / ".cache.jsonl.perfcore-ba9876543210.tmp"
    foreign = [
        tmp_path / ".orphan.abcdefgh.tmp",
        tmp_path / "cache.jsonl.tmp",
        tmp_path / ".cache.jsonl.bak",
    ]
    for path in (*stale, fresh, *foreign):
        path.write_bytes(b"x" * 1000)
        _age(path, STALE_AFTER_S + 60)
    _age(fresh, 5)
    atomic_write_text(target, "new")
    left = {p.name for p in tmp_path.iterdir()}
    assert left == {"cache.jsonl", fresh.name, *(p.name for p in foreign)}


def test_remove_stale_temps_counts_and_respects_the_grace_period(tmp_path: Path) -> None:
    """remove_stale_temps removes only temporaries older than the grace period."""
    temp = tmp_path / ".f.json.perfcore-00000000000a.tmp"
    temp.write_text("x")
    _age(temp, 100)
    assert remove_stale_temps(tmp_path, older_than_s=200) == 0
    assert remove_stale_temps(tmp_path, older_than_s=50) == 1
    assert not temp.exists()


def test_atomic_write_never_touches_the_process_umask(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Writing never calls os.umask, so no other thread's file is created with umask 0."""
    calls: list[int] = []

    def spy(mask: int) -> int:
        calls.append(mask)
        return 0o022

    monkeypatch.setattr(os, "umask", spy)
    atomic_write_text(tmp_path / "f.txt", "x")
    assert calls == []


def test_directory_at_the_target_is_refused(tmp_path: Path) -> None:
    """A directory where the file should go is an input error, and it is left as it was."""
    target = tmp_path / "out.json"
    target.mkdir()
    (target / "keep").write_text("mine")
    with pytest.raises(InputError, match="is a directory"):
        atomic_write_text(target, "x")
    assert (target / "keep").read_text() == "mine"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["out.json"]
