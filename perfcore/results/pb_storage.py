"""pytest-benchmark's storage layout: ``.benchmarks/<machine>/NNNN_<name>.json``.

``--benchmark-autosave`` and ``--benchmark-save`` number every saved run in a folder per
machine (``Linux-CPython-3.11-64bit``); ``--benchmark-compare`` without a number compares
with the latest saved run of the current machine. perfcore reads the same layout the
same way: the baseline is the latest run (other than the one being judged), and the
earlier runs are a free calibration, since the spread of one benchmark's median over
saved runs of an unchanged suite is exactly the between-run noise a one-run-against-
one-run gate must allow for (see :func:`run_medians`).
"""

from __future__ import annotations

import platform
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

from perfcore.errors import SchemaError
from perfcore.results.model import Result, ResultSet

__all__ = [
    "SavedRuns",
    "is_storage",
    "machine_folder",
    "read_saved_runs",
    "run_medians",
    "this_machine_folder_name",
]

_RUN_FILE = re.compile(r"^(\d{4})_.*\.json$")


def this_machine_folder_name() -> str:
    """The folder pytest-benchmark saves this interpreter's runs in (its ``get_machine_id``)."""
    version = ".".join(platform.python_version_tuple()[:2])
    return (
        f"{platform.system()}-{platform.python_implementation()}-{version}-"
        f"{platform.architecture()[0]}"
    )


def _run_files(folder: Path) -> list[Path]:
    try:
        entries = list(folder.iterdir())
    except OSError:
        return []
    found = [p for p in entries if p.is_file() and _RUN_FILE.match(p.name)]
    return sorted(found, key=lambda p: (int(_RUN_FILE.match(p.name).group(1)), p.name))  # type: ignore[union-attr]


def _machine_folders(root: Path) -> list[Path]:
    try:
        entries = sorted(root.iterdir())
    except OSError:
        return []
    return [p for p in entries if p.is_dir() and _run_files(p)]


def is_storage(directory: Path) -> bool:
    """Whether ``directory`` is a storage root (machine folders) or one machine's folder."""
    return bool(_run_files(directory)) or bool(_machine_folders(directory))


def machine_folder(directory: Path) -> Path:
    """The machine folder to read: ``directory`` itself, its only one, or this machine's."""
    if _run_files(directory):
        return directory
    folders = _machine_folders(directory)
    if len(folders) == 1:
        return folders[0]
    mine = directory / this_machine_folder_name()
    if mine in folders:
        return mine
    names = ", ".join(p.name for p in folders)
    raise SchemaError(
        f"{directory}: saved runs of several machines ({names}) and none of this "
        "one: name the machine's folder"
    )


@dataclass(frozen=True)
class SavedRuns:
    """One machine's saved runs, oldest first; the baseline is the last."""

    folder: Path
    files: tuple[Path, ...]
    runs: tuple[ResultSet, ...]

    @property
    def baseline(self) -> ResultSet:
        """The latest saved run (what ``--benchmark-compare`` compares with)."""
        return self.runs[-1]


def read_saved_runs(
    directory: Path, read: Callable[[Path], ResultSet], *, exclude: Path | None = None
) -> SavedRuns:
    """Read every saved run of the machine folder under ``directory`` with ``read``.

    ``exclude``: the run being judged, when it was saved into the same folder
    (``--benchmark-autosave``), so it is never its own baseline or calibration.
    """
    folder = machine_folder(directory)
    skip = exclude.resolve() if exclude is not None else None
    files = tuple(p for p in _run_files(folder) if p.resolve() != skip)
    if not files:
        raise SchemaError(f"{folder}: no saved run other than the one being judged")
    return SavedRuns(folder=folder, files=files, runs=tuple(read(p) for p in files))


def _median_of(result: Result) -> float | None:
    summary = result.extra.get("summary")
    if result.extra.get("samples_from") == "summary" and isinstance(summary, dict):
        value = summary.get("median")
        return float(value) if isinstance(value, int | float) else None
    if not result.samples:
        return None
    ordered = sorted(result.samples)
    n = len(ordered)
    return 0.5 * (ordered[(n - 1) // 2] + ordered[n // 2])


def run_medians(runs: Sequence[ResultSet]) -> dict[str, list[float]]:
    """Per result id, the median of each run that has it (positive and finite only)."""
    out: dict[str, list[float]] = {}
    for run in runs:
        for result in run.results:
            median = _median_of(result)
            if median is not None and 0 < median < float("inf"):
                out.setdefault(result.id, []).append(median)
    return out
