"""Per-machine history: atomic appends, time order, series per result id."""

from pathlib import Path

import pytest
from builders import machine, result

from perfcore.errors import InputError
from perfcore.results.history import (
    append_run,
    list_runs,
    load_history,
    result_ids,
    series,
)
from perfcore.results.model import Commit, Machine, ResultSet, RunInfo

MACHINE = machine("abc123")


def _run(created: str, commit: str, value: float, machine: Machine = MACHINE) -> ResultSet:
    info = RunInfo(created=created, machine=machine, commit=Commit(id=commit))
    return ResultSet(run=info, results=(result("bench.a", (value, value * 1.02)),))


def test_append_writes_named_file_under_machine(tmp_path: Path) -> None:
    """A run lands in <root>/<machine>/<created>-<shortcommit>.json and reloads equal."""
    run = _run("2026-11-23T19:46:47+00:00", "0123456789ABCDEF", 1.0)
    path = append_run(run, tmp_path)
    assert path == tmp_path / "abc123" / "20261123T194647Z-0123456789.json"
    assert load_history(tmp_path, "abc123") == (run,)


def test_same_second_does_not_overwrite(tmp_path: Path) -> None:
    """Two runs with the same time and commit are both kept."""
    run = _run("2026-11-23T19:46:47+00:00", "unversioned", 1.0)
    first, second = append_run(run, tmp_path), append_run(run, tmp_path)
    assert first != second
    assert first.name.endswith("-nocommit.json")
    assert len(list_runs(tmp_path, "abc123")) == 2


def test_history_is_ordered_by_time_not_by_insertion(tmp_path: Path) -> None:
    """Runs appended out of order load oldest first, across time zones."""
    append_run(_run("2026-11-23T12:00:00+00:00", "c2", 2.0), tmp_path)
    append_run(_run("2026-11-23T13:00:00+02:00", "c1", 1.0), tmp_path)  # 11:00 UTC
    points = series(load_history(tmp_path, "abc123"), "bench.a")
    assert [p.commit for p in points] == ["c1", "c2"]
    assert points[0].value == pytest.approx(1.01)
    assert points[0].samples == 2


def test_machines_do_not_mix(tmp_path: Path) -> None:
    """Another machine's runs are in another folder and never loaded with these."""
    other = Machine(id="other", cpu="c", cores=1, ram_bytes=1, os="x", python="3.12")
    append_run(_run("2026-11-23T12:00:00+00:00", "c", 1.0), tmp_path)
    append_run(_run("2026-11-23T12:00:00+00:00", "c", 9.0, other), tmp_path)
    assert len(load_history(tmp_path, "abc123")) == 1
    assert result_ids(load_history(tmp_path, "other")) == ("bench.a",)


def test_unknown_machine_has_empty_history(tmp_path: Path) -> None:
    """A machine never recorded has no runs, not an error."""
    assert load_history(tmp_path, "nobody") == ()


def test_series_skips_runs_without_the_result(tmp_path: Path) -> None:
    """A run that did not measure a result leaves no point for it."""
    runs = (_run("2026-11-23T12:00:00+00:00", "c", 1.0),)
    assert series(runs, "bench.missing") == ()


@pytest.mark.parametrize("machine_id", ["", "../escape", "a/b"])
def test_unsafe_machine_ids_are_refused(tmp_path: Path, machine_id: str) -> None:
    """A machine id that is not a plain name cannot choose where files go."""
    with pytest.raises(InputError):
        list_runs(tmp_path, machine_id)


def test_empty_run_is_refused(tmp_path: Path) -> None:
    """A run with no results is not worth a history entry; nothing is written."""
    empty = ResultSet(run=_run("2026-11-23T12:00:00+00:00", "c", 1.0).run, results=())
    with pytest.raises(InputError):
        append_run(empty, tmp_path)
    assert not (tmp_path / "abc123").exists()
