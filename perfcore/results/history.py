"""Per-machine run history: one results file per run, kept in time order.

Layout::

    reports/history/<machine-id>/<created>-<shortcommit>.json

where ``<created>`` is the run's UTC time as ``20261123T194647Z`` (so names sort
in time order) and ``<shortcommit>`` the first 10 hex digits of the commit, or
``nocommit`` (no git checkout, or a tool's placeholder such as ``unversioned``).
Every file is an ordinary ``perfcore.results/1`` document written atomically; a
second run in the same second gets a ``-2``, ``-3``... suffix, so
appending never overwrites. Numbers from different machines never mix: each
machine has its own folder.
"""

from __future__ import annotations

import statistics
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from perfcore._names import commit_tag, safe_name
from perfcore.errors import InputError, SchemaError
from perfcore.results.model import ResultSet, load_results

__all__ = [
    "HistoryPoint",
    "append_run",
    "history_dir",
    "list_runs",
    "load_history",
    "result_ids",
    "series",
]


@dataclass(frozen=True)
class HistoryPoint:
    """One run's value of one result: when, at which commit, its median and sample count."""

    created: str
    commit: str
    value: float
    samples: int


def history_dir(root: Path, machine_id: str) -> Path:
    """The folder holding ``machine_id``'s history under ``root`` (e.g. reports/history)."""
    return root / safe_name(machine_id, "machine id")


def _parse_created(created: str) -> datetime:
    try:
        stamp = datetime.fromisoformat(created.replace("Z", "+00:00"))
    except ValueError:
        raise SchemaError(f"run.created {created!r} is not an ISO-8601 time") from None
    if stamp.tzinfo is None:
        stamp = stamp.replace(tzinfo=UTC)
    return stamp.astimezone(UTC)


def _file_stem(results: ResultSet) -> str:
    stamp = _parse_created(results.run.created).strftime("%Y%m%dT%H%M%SZ")
    commit = commit_tag(results.run.commit.id, 10)
    return f"{stamp}-{commit}"


def append_run(results: ResultSet, root: Path) -> Path:
    """Store one run in its machine's history atomically; returns the file written."""
    if not results.results:
        raise InputError("refusing to add a run with no results to the history")
    folder = history_dir(root, results.run.machine.id)
    stem = _file_stem(results)
    target = folder / f"{stem}.json"
    suffix = 2
    while target.exists():
        target = folder / f"{stem}-{suffix}.json"
        suffix += 1
    results.save(target)
    return target


def list_runs(root: Path, machine_id: str) -> tuple[Path, ...]:
    """The machine's history files, oldest first (the names sort in time order)."""
    folder = history_dir(root, machine_id)
    if not folder.is_dir():
        return ()
    return tuple(sorted(p for p in folder.glob("*.json") if not p.name.startswith(".")))


def load_history(root: Path, machine_id: str) -> tuple[ResultSet, ...]:
    """Every stored run of the machine, ordered by creation time (file name breaks ties)."""
    runs = [(path, load_results(path)) for path in list_runs(root, machine_id)]
    runs.sort(key=lambda item: (_parse_created(item[1].run.created), item[0].name))
    return tuple(run for _, run in runs)


def result_ids(runs: Iterable[ResultSet]) -> tuple[str, ...]:
    """Every result id that appears in any run, sorted."""
    return tuple(sorted({r.id for run in runs for r in run.results}))


def series(runs: Sequence[ResultSet], result_id: str) -> tuple[HistoryPoint, ...]:
    """One result's median per run, in the order of ``runs`` (runs without it are skipped)."""
    points = []
    for run in runs:
        result = run.by_id().get(result_id)
        if result is None or not result.samples:
            continue
        points.append(
            HistoryPoint(
                created=run.run.created,
                commit=run.run.commit.id,
                value=float(statistics.median(result.samples)),
                samples=len(result.samples),
            )
        )
    return tuple(points)
