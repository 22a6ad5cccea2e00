"""The per-machine baseline store and the ``perfcore baseline`` command."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from perfcore.cli import main
from perfcore.errors import BaselineError
from perfcore.results.baselines import BaselineStore
from perfcore.results.model import Commit, Machine, Result, ResultSet, RunInfo, load_results

MACHINE = Machine(
    id="abc123def456", cpu="Test CPU", cores=2, ram_bytes=8 << 30, os="Linux Test", python="3.11"
)


def _run(created: str, commit: str, value: float = 1.0, machine: Machine = MACHINE) -> ResultSet:
    run = RunInfo(created=created, machine=machine, commit=Commit(id=commit))
    results = (Result(id="bench.x", unit="s", better="lower", samples=(value, value * 1.1)),)
    return ResultSet(run=run, results=results)


def test_save_then_load_round_trips(tmp_path: Path) -> None:
    """A saved baseline loads back equal, with machine.json beside it."""
    store = BaselineStore(tmp_path)
    original = _run("2026-01-01T00:00:00+00:00", "a" * 40)
    store.save(original)
    assert store.load(MACHINE.id) == original
    machine = json.loads((tmp_path / MACHINE.id / "machine.json").read_text())
    assert machine["cpu"] == "Test CPU"


def test_second_save_archives_the_first(tmp_path: Path) -> None:
    """Saving again keeps the replaced baseline under archive/<created>-<commit>.json."""
    store = BaselineStore(tmp_path)
    first = _run("2026-01-01T00:00:00+00:00", "a" * 40, 1.0)
    store.save(first)
    store.save(_run("2026-01-02T00:00:00+00:00", "b" * 40, 2.0))
    archived = store.archived(MACHINE.id)
    assert [p.name for p in archived] == ["2026-01-01T000000Z-aaaaaaaaaaaa.json"]
    assert load_results(archived[0]) == first
    assert store.load(MACHINE.id).results[0].samples[0] == 2.0


def test_missing_baseline_is_baseline_error(tmp_path: Path) -> None:
    """Loading a machine without a baseline raises BaselineError naming the remedy."""
    with pytest.raises(BaselineError, match="baseline save"):
        BaselineStore(tmp_path).load(MACHINE.id)


def test_baseline_of_another_machine_is_refused(tmp_path: Path) -> None:
    """A baseline.json recorded on another machine is not used for this one."""
    other = Machine(id="fff000fff000", cpu="Other", cores=4, ram_bytes=1, os="x", python="3.12")
    _run("2026-01-01T00:00:00+00:00", "", machine=other).save(
        tmp_path / MACHINE.id / "baseline.json"
    )
    with pytest.raises(BaselineError, match="fff000fff000"):
        BaselineStore(tmp_path).load(MACHINE.id)


def test_empty_run_is_refused(tmp_path: Path) -> None:
    """An empty run is never stored as a baseline, and nothing is written."""
    empty = ResultSet(run=_run("2026", "").run, results=())
    with pytest.raises(BaselineError):
        BaselineStore(tmp_path).save(empty)
    assert not any(tmp_path.iterdir())


def test_path_traversal_machine_id_is_rejected(tmp_path: Path) -> None:
    """A machine id with path separators cannot escape the store."""
    with pytest.raises(BaselineError):
        BaselineStore(tmp_path).machine_dir("../evil")


def test_list_summarises_each_machine(tmp_path: Path) -> None:
    """list() reports machine, created, commit, result count and archive size."""
    store = BaselineStore(tmp_path)
    store.save(_run("2026-01-01T00:00:00+00:00", "a" * 40))
    store.save(_run("2026-01-02T00:00:00+00:00", "b" * 40))
    (info,) = store.list()
    assert (info.machine.id, info.commit, info.result_count, info.archived) == (
        MACHINE.id,
        "b" * 40,
        1,
        1,
    )


def test_cli_save_and_show(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """`perfcore baseline save FILE` stores it; `show` lists machine, cpu and commit."""
    results = tmp_path / "results.json"
    _run("2026-01-01T00:00:00+00:00", "c" * 40).save(results)
    store = tmp_path / "baselines"
    assert main(["baseline", "save", str(results), "--baselines-dir", str(store)]) == 0
    assert "first baseline" in capsys.readouterr().out
    assert main(["baseline", "show", "--baselines-dir", str(store)]) == 0
    out = capsys.readouterr().out
    assert MACHINE.id in out
    assert "Test CPU" in out
    assert "cccccccccccc" in out


def test_cli_save_missing_file_exits_2(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """A missing results file is a one-line usage error with exit 2 and no store written."""
    store = tmp_path / "baselines"
    code = main(["baseline", "save", str(tmp_path / "nope.json"), "--baselines-dir", str(store)])
    assert code == 2
    assert "no such file" in capsys.readouterr().err
    assert not store.exists()
