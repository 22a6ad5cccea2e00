"""Atomic writes: whole-or-nothing, no temporary litter, ordinary permissions."""

import os
from pathlib import Path

import pytest

from perfcore._atomic import atomic_open, atomic_write_text


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
