"""Crash-safe file writes: temporary file in the same directory, fsync, rename.

A reader sees either the old file whole or the new file whole, never a torn one,
because ``os.replace`` is atomic on POSIX within one file system.

The temporary file is ``.<name>.perfcore-<12 hex>.tmp`` beside the target. A
writer killed before the rename leaves one behind; writes into a directory, and
:func:`remove_stale_temps`, delete such files once they are older than
:data:`STALE_AFTER_S`, together with the ``.<name>.<8 of [a-z0-9_]>.tmp`` files
that ``tempfile.mkstemp`` left for earlier versions where ``<name>`` is still
there. Nothing else is touched.
"""

from __future__ import annotations

import contextlib
import os
import re
import secrets
import stat
import time
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import IO, Any

from perfcore._jsonio import dumps_strict
from perfcore.errors import InputError

__all__ = [
    "STALE_AFTER_S",
    "atomic_open",
    "atomic_write_bytes",
    "atomic_write_json",
    "atomic_write_many",
    "atomic_write_text",
    "remove_stale_temps",
]

# Long enough that no live writer's temporary file is ever taken for debris.
STALE_AFTER_S = 3600.0
# A directory is swept at most this often per process, so writing many files into
# one folder (the batch processor's reference loop) does not scan it per file.
_SWEEP_EVERY_S = 600.0
# Room for the dot, the token and ".tmp" within a 255-byte file name.
_NAME_KEPT = 200
_OURS = re.compile(r"\.(?P<name>.{1,200})\.perfcore-[0-9a-f]{12}\.tmp", re.DOTALL)
_MKSTEMP = re.compile(r"\.(?P<name>.{1,200})\.[a-z0-9_]{8}\.tmp", re.DOTALL)
_FLAGS = (
    os.O_WRONLY
    | os.O_CREAT
    | os.O_EXCL
    | getattr(os, "O_CLOEXEC", 0)
    | getattr(os, "O_NOFOLLOW", 0)
)
_swept: dict[str, float] = {}


def _create_temp(target: Path) -> tuple[int, str]:
    prefix = os.path.join(target.parent, f".{target.name[:_NAME_KEPT]}.perfcore-")
    while True:
        name = f"{prefix}{secrets.token_hex(6)}.tmp"
        try:
            # The kernel applies the umask to 0o666, exactly as open() would: the
            # process umask is never read or changed, so no other thread is affected.
            return os.open(name, _FLAGS, 0o666), name
        except FileExistsError:
            continue


def _stage(target: Path) -> tuple[int, str]:
    """A new temporary sibling of ``target`` (its folder made, old debris swept)."""
    if target.is_dir():
        raise InputError(f"{target} is a directory, not a file perfcore can write")
    target.parent.mkdir(parents=True, exist_ok=True)
    _sweep_now_and_then(target.parent)
    return _create_temp(target)


def _sweep_now_and_then(directory: Path) -> None:
    key, now = os.fspath(directory), time.monotonic()
    last = _swept.get(key)
    if last is None or now - last >= _SWEEP_EVERY_S:
        _swept[key] = now
        remove_stale_temps(directory)


@contextlib.contextmanager
def atomic_open(path: str | os.PathLike[str], mode: str = "w") -> Iterator[IO[Any]]:
    """Open a temporary sibling of ``path``; on clean exit fsync it and rename it over ``path``."""
    if mode not in ("w", "wb"):
        raise ValueError(f"atomic_open writes whole files: mode 'w' or 'wb', not {mode!r}")
    target = Path(path)
    fd, tmp_name = _stage(target)
    encoding = None if "b" in mode else "utf-8"
    try:
        with os.fdopen(fd, mode, encoding=encoding) as handle:
            yield handle
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(tmp_name, target)
        _fsync_dir(target.parent)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(tmp_name)
        raise


def remove_stale_temps(
    directory: str | os.PathLike[str],
    *,
    older_than_s: float = STALE_AFTER_S,
    now: float | None = None,
) -> int:
    """Delete perfcore's leftover temporary files in ``directory`` older than ``older_than_s``.

    Returns how many were removed; an unreadable directory removes nothing.
    """
    cutoff = (time.time() if now is None else now) - older_than_s
    try:
        with os.scandir(directory) as scan:
            entries = {entry.name: entry for entry in scan}
    except OSError:
        return 0
    removed = 0
    for name, entry in entries.items():
        if not _is_our_temp(name, entries):
            continue
        try:
            info = entry.stat(follow_symlinks=False)
            if stat.S_ISREG(info.st_mode) and info.st_mtime < cutoff:
                os.unlink(entry.path)
                removed += 1
        except OSError:
            continue  # gone already (another process swept it) or not ours to remove
    return removed


def _is_our_temp(name: str, siblings: dict[str, os.DirEntry[str]]) -> bool:
    if _OURS.fullmatch(name):
        return True
    # mkstemp's shape is common; only a temporary beside the file it was for is ours.
    legacy = _MKSTEMP.fullmatch(name)
    return legacy is not None and legacy["name"] in siblings


def _fsync_dir(directory: Path) -> None:
    # The rename is durable only once the directory entry is on disk too.
    with contextlib.suppress(OSError):
        dir_fd = os.open(directory, os.O_RDONLY)
        try:
            os.fsync(dir_fd)
        finally:
            os.close(dir_fd)


def atomic_write_many(texts: Mapping[Path, str]) -> None:
    """Write several UTF-8 files all or none (as far as a crash between renames allows).

    Every file is written and fsynced to its temporary sibling first; only when all of
    them are on disk are they renamed over their targets, so a write or fsync failure
    (a full disk) leaves every old file as it was and no temporary file behind.
    """
    staged: list[tuple[str, Path]] = []
    try:
        for target, text in texts.items():
            fd, tmp_name = _stage(target)
            staged.append((tmp_name, target))
            with os.fdopen(fd, "w", encoding="utf-8") as handle:
                handle.write(text)
                handle.flush()
                os.fsync(handle.fileno())
    except BaseException:
        for tmp_name, _ in staged:
            with contextlib.suppress(FileNotFoundError):
                os.unlink(tmp_name)
        raise
    for tmp_name, target in staged:
        os.replace(tmp_name, target)
    for directory in {target.parent for _, target in staged}:
        _fsync_dir(directory)


def atomic_write_bytes(path: str | os.PathLike[str], data: bytes) -> None:
    """Write ``data`` to ``path`` atomically."""
    with atomic_open(path, "wb") as handle:
        handle.write(data)


def atomic_write_text(path: str | os.PathLike[str], text: str) -> None:
    """Write ``text`` (UTF-8) to ``path`` atomically."""
    with atomic_open(path, "w") as handle:
        handle.write(text)


def atomic_write_json(path: str | os.PathLike[str], obj: Any, *, indent: int | None = 2) -> None:
    """Serialise ``obj`` as strict JSON (non-finite numbers as null) and write it atomically."""
    atomic_write_text(path, dumps_strict(obj, indent=indent) + "\n")
