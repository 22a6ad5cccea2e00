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

import math
import re
from dataclasses import dataclass
from pathlib import Path

from perfcore._atomic import atomic_write_json, atomic_write_text
from perfcore._jsonio import read_json_file
from perfcore._names import commit_tag, is_safe_name, safe_name
from perfcore.errors import BaselineError, SchemaError
from perfcore.results.model import Machine, Result, ResultSet, load_results
from perfcore.results.readers import UNKNOWN_MACHINE

__all__ = ["BaselineInfo", "BaselineStore", "check_baseline"]

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


def _archive_stem(baseline: ResultSet) -> str:
    # Both parts come from a file: keep only what cannot leave the archive folder.
    created = _UNSAFE.sub("", baseline.run.created.replace(":", "").replace("+0000", "Z"))
    commit = commit_tag(baseline.run.commit.id, 12)
    stem = f"{created.lstrip('.-')[:40] or 'unknown'}-{commit}"
    return safe_name(stem, "archived baseline name", BaselineError)


def check_baseline(results: ResultSet) -> None:
    """Refuse a run no later gate could use as a baseline (BaselineError, exit 2).

    The gate judges a result on the log scale from raw samples or a summary, so a
    baseline needs results, a known machine, no negative value anywhere, no
    duration result that is all zeros, and at least one result with positive samples.
    """
    if not results.results:
        raise BaselineError("refusing to store an empty run as a baseline")
    machine = results.run.machine.id
    if machine == UNKNOWN_MACHINE.id:
        raise BaselineError(
            "refusing a baseline whose machine is unknown: baselines are kept per machine"
        )
    safe_name(machine, "machine id", BaselineError)
    for result in results.results:
        _check_result(result)
    if not any(r.samples and min(r.samples) > 0 for r in results.results):
        raise BaselineError(
            "refusing a baseline with no result the gate can judge "
            "(every result lacks positive samples)"
        )


def _check_result(result: Result) -> None:
    if any(not math.isfinite(s) or s < 0 for s in result.samples):
        raise BaselineError(
            f"refusing a baseline: result {result.id} has a negative or non-finite sample"
        )
    if result.unit == "s" and result.samples and max(result.samples) == 0:
        raise BaselineError(f"refusing a baseline: result {result.id} has only zero durations")
    # The gate reads these two extras and stops (exit 2) when they are malformed.
    rounds = result.extra.get("rounds")
    if rounds is not None and (
        not isinstance(rounds, list)
        or len(rounds) != len(result.samples)
        or not all(isinstance(r, int) and not isinstance(r, bool) for r in rounds)
    ):
        raise BaselineError(
            f"refusing a baseline: result {result.id}: extra.rounds must "
            "label every sample with an integer"
        )
    if result.extra.get("samples_from") == "summary" and not _whole_summary(
        result.extra.get("summary")
    ):
        raise BaselineError(
            f"refusing a baseline: result {result.id}: summary statistics "
            "incomplete (median > 0, iqr >= 0, n >= 1)"
        )


def _whole_summary(summary: object) -> bool:
    if not isinstance(summary, dict):
        return False
    values = [summary.get(key) for key in ("median", "iqr", "n")]
    numbers = [
        float(v)
        for v in values
        if isinstance(v, int | float) and not isinstance(v, bool) and math.isfinite(v)
    ]
    if len(numbers) != len(values):
        return False
    median, iqr, n = numbers
    return median > 0 and iqr >= 0 and n >= 1


class BaselineStore:
    """Stored baselines under ``root``, one directory per machine identity."""

    def __init__(self, root: Path) -> None:
        self.root = Path(root)

    def machine_dir(self, machine_id: str) -> Path:
        """The directory holding ``machine_id``'s baseline."""
        return self.root / safe_name(machine_id, "machine id", BaselineError)

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
        check_baseline(results)
        machine = results.run.machine
        directory = self.machine_dir(machine.id)
        current = directory / _BASELINE
        if current.is_file():
            previous = load_results(current)
            archived = _free_name(directory / _ARCHIVE, _archive_stem(previous))
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
        for directory in sorted(
            p for p in self.root.iterdir() if p.is_dir() and is_safe_name(p.name)
        ):
            path = directory / _BASELINE
            if not path.is_file():
                continue
            baseline = load_results(path)
            infos.append(
                BaselineInfo(
                    machine=_machine_of(directory, baseline),
                    created=baseline.run.created,
                    commit=baseline.run.commit.id,
                    result_count=len(baseline.results),
                    archived=len(self.archived(directory.name)),
                    path=path,
                )
            )
        return tuple(infos)


def _free_name(folder: Path, stem: str) -> Path:
    # Two baselines of one second and commit are both kept, as in the history.
    target, suffix = folder / f"{stem}.json", 2
    while target.exists():
        target, suffix = folder / f"{stem}-{suffix}.json", suffix + 1
    return target


def _machine_of(directory: Path, baseline: ResultSet) -> Machine:
    machine_file = directory / _MACHINE
    if not machine_file.is_file():
        return baseline.run.machine
    try:
        return Machine.from_dict(read_json_file(machine_file))
    except SchemaError as exc:
        raise SchemaError(f"{machine_file}: unreadable machine identity: {exc}") from None
