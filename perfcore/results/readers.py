"""Readers of tool output into the one result model, with format detection.

* pytest-benchmark JSON (``--benchmark-json`` or a saved run): raw ``stats.data`` when
  present, else the summary (median, IQR, rounds) marked ``extra["samples_from"] =
  "summary"``. Ids are ``<file stem>.<test name>`` without ``test_`` prefixes, the
  param suffix kept (``bench/test_cache.py::test_exact_hit`` -> ``cache.exact_hit``);
  ``extra_info`` keys ``perfcore_id``, ``perfcore_unit``, ``perfcore_better`` and
  ``perfcore_samples`` override id, unit, direction and samples.
* asv results formats 1 and 2 (a results directory, a machine directory or one result
  file): see :mod:`perfcore.results.asv_reader` (versions, environments, memory/track).
* Locust ``*_stats.csv`` (run totals; ``*_stats_history.csv`` kept as a time series) and
  ``--json`` output: see :mod:`perfcore.results.locust_reader`; ids
  ``load.<name>.<metric>`` with the metric names of :mod:`perfcore.results.metric_names`.
* perfcore's own ``perfcore.results/1`` files.

Units are normalised (seconds, bytes, req/s, ratio). A directory of several files is
merged; one id found in several files is several runs of it, so its samples are
concatenated and labelled with ``extra["rounds"]`` (one run label per sample), which
makes the run the unit of replication when comparing.
"""

from __future__ import annotations

import contextlib
import warnings
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import Any

from perfcore._jsonio import read_json_file
from perfcore.errors import BaselineError, InputWarning, SchemaError, SkippedResultWarning
from perfcore.results import _tool_readers as _foreign
from perfcore.results import asv_reader, locust_reader
from perfcore.results.model import Result, ResultSet, RunInfo

__all__ = [
    "UNKNOWN_MACHINE",
    "better_for_unit",
    "merge_runs",
    "noise_file_for",
    "normalise_unit",
    "read_any",
    "read_noting_skips",
]

UNKNOWN_MACHINE = _foreign.UNKNOWN_MACHINE
normalise_unit = _foreign.normalise_unit
better_for_unit = _foreign.better_for_unit


def read_any(path: str | Path) -> ResultSet:
    """Read results from a file or directory in any supported format (detected)."""
    target = Path(path)
    if target.is_dir():
        return _read_dir(target)
    if not target.exists():
        raise SchemaError(f"{target}: no such file or directory")
    return _read_file(target)


def _read_file(path: Path) -> ResultSet:
    with _malformed(path):
        if path.suffix == ".csv":
            return locust_reader.read_locust_csv(path)
        return _from_document(read_json_file(path), path)


# What a parser raises when a file's values have the wrong type or shape (a string where
# a number is expected, a list where an object is): each means a malformed file, never a bug
# worth a traceback, so it becomes a SchemaError naming the file.
_SHAPE_ERRORS = (
    KeyError,
    TypeError,
    ValueError,
    AttributeError,
    IndexError,
    OverflowError,
    RecursionError,
)


@contextlib.contextmanager
def _malformed(path: Path) -> Iterator[None]:
    with _warnings_naming(path):
        try:
            yield
        except SchemaError as exc:
            message = str(exc)
            raise SchemaError(
                message if message.startswith(str(path)) else f"{path}: {message}"
            ) from None
        except _SHAPE_ERRORS as exc:
            raise SchemaError(f"{path}: malformed file ({_describe(exc)})") from None


@contextlib.contextmanager
def _warnings_naming(path: Path) -> Iterator[None]:
    """Re-issue the parsers' skip warnings with the file's name in front."""
    try:
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always", InputWarning)
            yield
    finally:  # shown also when the read fails: what was skipped explains the failure
        _reissue(caught, path)


def _reissue(caught: list[warnings.WarningMessage], path: Path) -> None:
    for item in caught:
        if issubclass(item.category, InputWarning):
            text = str(item.message)
            text = text if text.startswith(str(path)) else f"{path}: {text}"
            if isinstance(item.message, SkippedResultWarning):
                warnings.warn(SkippedResultWarning(text, item.message.result_id), stacklevel=4)
            else:
                warnings.warn(text, InputWarning, stacklevel=4)
        else:
            warnings.warn_explicit(item.message, item.category, item.filename, item.lineno)


def _describe(exc: BaseException) -> str:
    if isinstance(exc, RecursionError):
        return "nested too deeply"
    if isinstance(exc, KeyError):
        return f"missing key {exc}"
    return f"{type(exc).__name__}: {str(exc)[:120]}"


def _from_document(data: Any, path: Path) -> ResultSet:
    if isinstance(data, dict) and "schema" in data:
        return ResultSet.from_dict(data)
    if isinstance(data, dict) and "benchmarks" in data and "machine_info" in data:
        return _foreign.from_pytest_benchmark(data)
    if asv_reader.looks_like_asv(data):
        return asv_reader.from_asv_file(data, path)
    if (
        isinstance(data, list)
        and data
        and all(isinstance(e, dict) and "num_requests" in e for e in data)
    ):
        return locust_reader.from_locust_json(data)
    if isinstance(data, list) and not data:
        raise SchemaError("no results in file")
    raise SchemaError("unknown format (not perfcore, pytest-benchmark, asv or Locust)")


def _read_dir(directory: Path) -> ResultSet:
    stored = directory / "baseline.json"  # a machine's directory in the baseline store
    if stored.is_file():
        return _read_file(stored)
    if asv_reader.is_asv_tree(directory):
        with _malformed(directory):
            return asv_reader.read_asv_dir(directory)
    sets = [_read_file(p) for p in _result_files(directory)]
    if not sets:
        raise SchemaError(f"{directory}: no result files (json or Locust csv) in directory")
    return merge_runs(sets)


def _result_files(directory: Path) -> list[Path]:
    files = sorted(p for p in directory.iterdir() if p.is_file())
    # A Locust CSV set is read once, through its *_stats.csv (history found beside it);
    # the --json-file of the same run (<prefix>.json) is the same run, not a second one.
    csv_sets = [p for p in files if p.name.endswith("_stats.csv")]
    prefixes = {p.name.removesuffix("_stats.csv") for p in csv_sets}
    out = [
        p
        for p in files
        if p.suffix == ".json" and p.name != "noise.json" and p.stem not in prefixes
    ]
    return sorted(out + csv_sets)


def read_noting_skips(path: str | Path) -> tuple[ResultSet, frozenset[str]]:
    """:func:`read_any`, and the ids of results it had to leave out (their warnings shown)."""
    caught: list[warnings.WarningMessage] = []
    try:
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always", InputWarning)
            results = read_any(path)
    finally:  # outside the recording block, so the warnings reach the user
        for item in caught:
            warnings.warn_explicit(item.message, item.category, item.filename, item.lineno)
    skipped = frozenset(
        w.message.result_id for w in caught if isinstance(w.message, SkippedResultWarning)
    )
    return results, skipped


def merge_runs(sets: Iterable[ResultSet]) -> ResultSet:
    """Merge result sets; an id in several sets becomes several runs (``extra["rounds"]``)."""
    runs = list(sets)
    run = _common_run(runs)
    grouped: dict[str, list[Result]] = {}
    for result_set in runs:
        for result in result_set.results:
            grouped.setdefault(result.id, []).append(result)
    return ResultSet(run=run, results=tuple(_merge_one(rs) for rs in grouped.values()))


def _common_run(runs: list[ResultSet]) -> RunInfo:
    known = [r.run for r in runs if r.run.machine.id != UNKNOWN_MACHINE.id]
    ids = sorted({info.machine.id for info in known})
    if len(ids) > 1:
        raise BaselineError(f"results from different machines mixed together: {', '.join(ids)}")
    return known[0] if known else runs[0].run


def _merge_one(results: list[Result]) -> Result:
    if len(results) == 1:
        return results[0]
    first = results[0]
    samples: list[float] = []
    labels: list[int] = []
    next_label = 0
    for result in results:
        if (result.unit, result.better) != (first.unit, first.better):
            raise SchemaError(f"result {first.id}: runs disagree on unit or direction")
        if result.extra.get("samples_from") == "summary":
            raise SchemaError(f"result {first.id}: cannot merge runs without raw samples")
        own = result.extra.get("rounds")
        own_labels = list(own) if isinstance(own, list) else [0] * len(result.samples)
        relabel = {v: next_label + k for k, v in enumerate(dict.fromkeys(own_labels))}
        labels.extend(relabel[v] for v in own_labels)
        next_label += len(relabel)
        samples.extend(result.samples)
    extra = {k: v for k, v in first.extra.items() if k != "rounds"}
    extra["rounds"] = labels
    readings = [
        d for r in results for d in (r.extra.get("disturbance") or []) if isinstance(d, dict)
    ]
    if readings:
        extra["disturbance"] = readings
    return Result(
        id=first.id,
        unit=first.unit,
        better=first.better,
        samples=tuple(samples),
        params=first.params,
        extra=extra,
    )


def noise_file_for(baseline: Path) -> Path:
    """Where calibrated noise for ``baseline`` lives: ``noise.json`` beside or inside it."""
    return (baseline if baseline.is_dir() else baseline.parent) / "noise.json"
