"""Who measured: the machine identity and the git commit of a run."""

from __future__ import annotations

import hashlib
import os
import platform
import subprocess
from functools import lru_cache
from pathlib import Path

import psutil

from perfcore.results.model import Commit, Machine, RunInfo, Source, utc_now_iso

__all__ = ["current_commit", "current_machine", "new_run_info"]

_GIB = 1024**3


def _cpu_model() -> str:
    try:
        with open("/proc/cpuinfo", encoding="utf-8") as handle:
            for line in handle:
                if line.startswith("model name"):
                    return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or platform.machine()


def _os_name() -> str:
    try:
        info = platform.freedesktop_os_release()
        return f"{platform.system()} {info.get('PRETTY_NAME', '')}".strip()
    except OSError:
        return f"{platform.system()} {platform.release()}"


@lru_cache(maxsize=1)
def current_machine() -> Machine:
    """This machine's identity; ``id`` hashes cpu, cores, memory (GiB), os and python."""
    cpu = _cpu_model()
    cores = os.cpu_count() or 1
    ram = int(psutil.virtual_memory().total)
    os_name = _os_name()
    python = ".".join(platform.python_version_tuple()[:2])
    key = f"{cpu}|{cores}|{round(ram / _GIB)}GiB|{os_name}|{python}"
    digest = hashlib.sha256(key.encode()).hexdigest()[:12]
    return Machine(id=digest, cpu=cpu, cores=cores, ram_bytes=ram, os=os_name, python=python)


def _git(args: list[str], cwd: Path) -> str:
    try:
        done = subprocess.run(
            ["git", *args], cwd=cwd, capture_output=True, text=True, timeout=10, check=False
        )
    except (OSError, subprocess.TimeoutExpired):
        return ""
    return done.stdout.strip() if done.returncode == 0 else ""


def current_commit(cwd: Path | None = None) -> Commit:
    """The checked-out commit at ``cwd`` (empty when not a git checkout)."""
    where = cwd or Path.cwd()
    commit_id = _git(["rev-parse", "HEAD"], where)
    if not commit_id:
        return Commit()
    branch = _git(["rev-parse", "--abbrev-ref", "HEAD"], where)
    dirty = bool(_git(["status", "--porcelain", "--untracked-files=no"], where))
    return Commit(id=commit_id, branch=branch, dirty=dirty)


def new_run_info(source: Source = "perfcore", cwd: Path | None = None) -> RunInfo:
    """Run metadata for a measurement made now, here."""
    return RunInfo(
        created=utc_now_iso(), machine=current_machine(), commit=current_commit(cwd), source=source
    )
