"""The baseline store: one current baseline per machine, earlier ones archived.

Layout under the store's root (``reports/baselines/`` by default, committed)::

    <machine-id>/machine.json                      the machine identity, readable by people
    <machine-id>/baseline.json                     the current baseline (a perfcore ResultSet)
    <machine-id>/archive/<created>-<commit>.json   every baseline it replaced

Baselines are keyed by machine because numbers from another CPU, core count,
memory size, OS or Python say nothing about this one. Every file is written
atomically, and the old baseline is archived before the new one replaces it,
so a crash leaves either the old or the new baseline whole, never neither.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

from perfcore._atomic import atomic_write_json, atomic_write_text
from perfcore._jsonio import read_json_file
from perfcore.errors import BaselineError, SchemaError
from perfcore.results.model import Machine, ResultSet, load_results

__all__ = ["BaselineInfo", "BaselineStore"]

_BASELINE = "baseline.json"
_MACHINE = "machine.json"
_ARCHIVE = "archive"
_UNSAFE = re.compile(r"[^A-Za-z0-9_.-]")


@dataclass(frozen=True)
class BaselineInfo:
    """A summary of one stored baseline, for listing."""

    machine: Machine
    created: str
    commit: str
    result_count: int
    archived: int
    path: Path


def _archive_name(baseline: ResultSet) -> str:
    created = _UNSAFE.sub("", baseline.run.created.replace(":", "").replace("+0000", "Z"))
    commit = baseline.run.commit.id[:12] or "nocommit"
    return f"{created or 'unknown'}-{commit}.json"


class BaselineStore:
    """Stored baselines under ``root``, one directory per machine identity."""

    def __init__(self, root: Path) -> None:
        self.root = Path(root)

    def machine_dir(self, machine_id: str) -> Path:
        """The directory holding ``machine_id``'s baseline."""
        if not machine_id or _UNSAFE.search(machine_id):
            raise BaselineError(f"invalid machine id {machine_id!r}")
        return self.root / machine_id

    def has(self, machine_id: str) -> bool:
        """Whether a current baseline exists for ``machine_id``."""
        return (self.machine_dir(machine_id) / _BASELINE).is_file()

    def load(self, machine_id: str) -> ResultSet:
        """The current baseline of ``machine_id``; BaselineError when there is none."""
        path = self.machine_dir(machine_id) / _BASELINE
        if not path.is_file():
            raise BaselineError(
                f"no baseline for machine {machine_id} under {self.root} "
                "(record one with 'perfcore baseline save')"
            )
        baseline = load_results(path)
        if baseline.run.machine.id != machine_id:
            raise BaselineError(
                f"{path}: recorded on machine {baseline.run.machine.id}, not {machine_id}"
            )
        return baseline

    def save(self, results: ResultSet) -> Path:
        """Store ``results`` as its machine's baseline, archiving the one it replaces."""
        if not results.results:
            raise BaselineError("refusing to store an empty run as a baseline")
        machine = results.run.machine
        directory = self.machine_dir(machine.id)
        current = directory / _BASELINE
        if current.is_file():
            previous = load_results(current)
            archived = directory / _ARCHIVE / _archive_name(previous)
            # Write the archive copy first: if we crash after it, the old baseline still stands.
            atomic_write_text(archived, current.read_text(encoding="utf-8"))
        atomic_write_json(directory / _MACHINE, machine.to_dict())
        results.save(current)
        return current

    def archived(self, machine_id: str) -> tuple[Path, ...]:
        """Archived baselines of ``machine_id``, oldest first."""
        folder = self.machine_dir(machine_id) / _ARCHIVE
        if not folder.is_dir():
            return ()
        return tuple(sorted(folder.glob("*.json")))

    def list(self) -> tuple[BaselineInfo, ...]:
        """Every machine's current baseline, sorted by machine id."""
        if not self.root.is_dir():
            return ()
        infos = []
        for directory in sorted(p for p in self.root.iterdir() if p.is_dir()):
            path = directory / _BASELINE
            if not path.is_file():
                continue
            baseline = load_results(path)
            infos.append(BaselineInfo(
                machine=_machine_of(directory, baseline), created=baseline.run.created,
                commit=baseline.run.commit.id, result_count=len(baseline.results),
                archived=len(self.archived(directory.name)), path=path,
            ))
        return tuple(infos)


def _machine_of(directory: Path, baseline: ResultSet) -> Machine:
    machine_file = directory / _MACHINE
    if not machine_file.is_file():
        return baseline.run.machine
    try:
        return Machine.from_dict(read_json_file(machine_file))
    except SchemaError as exc:
        raise SchemaError(f"{machine_file}: unreadable machine identity: {exc}") from None
