"""Names that become paths cannot leave the baseline and history stores (issue 15.5)."""

from __future__ import annotations

from pathlib import Path

import pytest
from builders import result, result_set

from perfcore._names import MAX_NAME, is_safe_name, safe_name
from perfcore.cli import main
from perfcore.errors import BaselineError, InputError
from perfcore.results.baselines import BaselineStore
from perfcore.results.history import append_run, history_dir
from perfcore.results.model import ResultSet
from perfcore.results.noise_store import noise_path, paired_noise_path

BAD_NAMES = [
    "",
    ".",
    "..",
    "../x",
    "a/b",
    "/abs",
    ".hidden",
    "-flag",
    "a\\b",
    "a\x00b",
    "abc\n",
    "x" * (MAX_NAME + 1),
    "ü",
]


def _run(
    machine_id: str,
    commit: str = "a" * 40,
    created: str = "2026-01-01T00:00:00+00:00",
    samples: tuple[float, ...] = (1.0, 1.1),
) -> ResultSet:
    return result_set(
        result("bench.x", samples), machine_id=machine_id, created=created, commit=commit
    )


def _files(root: Path) -> set[Path]:
    return {p for p in root.rglob("*") if p.is_file()}


@pytest.mark.parametrize("name", BAD_NAMES)
def test_unsafe_names_are_refused(name: str) -> None:
    """Empty, dot, dot-dot, separators, control characters and overlong names are refused."""
    assert not is_safe_name(name)
    with pytest.raises(InputError):
        safe_name(name, "machine id")


def test_ordinary_names_pass() -> None:
    """Hex machine ids, model types and dotted versions are kept unchanged."""
    for name in ("abc123def456", "logistic", "v1.2-rc_3", "_x", "x" * MAX_NAME):
        assert safe_name(name, "name") == name


@pytest.mark.parametrize("machine_id", [".", ".."])
def test_cli_baseline_save_refuses_dot_machine(
    tmp_path: Path, machine_id: str, capsys: pytest.CaptureFixture[str]
) -> None:
    """`baseline save` of a run from machine '..' or '.' exits 2 and writes nothing anywhere."""
    results = tmp_path / "in" / "results.json"
    _run(machine_id).save(results)
    before = _files(tmp_path)
    store = tmp_path / "deep" / "baselines"
    code = main(["baseline", "save", str(results), "--baselines-dir", str(store)])
    err = capsys.readouterr().err
    assert code == 2
    assert err.count("\n") == 1
    assert "machine id" in err
    assert _files(tmp_path) == before


def test_archived_name_cannot_take_a_path_from_the_commit(tmp_path: Path) -> None:
    """A baseline whose commit id is '/../../../x' is archived inside its archive folder."""
    store = BaselineStore(tmp_path / "store")
    store.save(_run("abc123", commit="/../../../x"))
    store.save(_run("abc123", created="2026-01-02T00:00:00+00:00"))
    (archived,) = store.archived("abc123")
    assert archived.parent == tmp_path / "store" / "abc123" / "archive"
    assert archived.name == "2026-01-01T000000Z-nocommit.json"
    assert {p.relative_to(tmp_path).parts[0] for p in _files(tmp_path)} == {"store"}


def test_same_created_and_commit_archives_twice(tmp_path: Path) -> None:
    """Two replaced baselines with one time and commit are both archived, not overwritten."""
    store = BaselineStore(tmp_path)
    for value in (1.0, 2.0, 3.0):
        store.save(_run("abc123", samples=(value, value)))
    assert len(store.archived("abc123")) == 2


def test_cli_history_show_refuses_dot_dot(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """`history show --machine ..` is exit 2, not a listing of the history root's parent."""
    append_run(_run("abc123"), tmp_path / "history")
    code = main(
        [
            "history",
            "show",
            "--machine",
            "..",
            "--history-dir",
            str(tmp_path / "history" / "abc123"),
        ]
    )
    assert code == 2
    assert "machine id '..'" in capsys.readouterr().err


def test_every_machine_store_refuses_dot_dot(tmp_path: Path) -> None:
    """Baselines, history, noise and paired noise all refuse machine id '..'."""
    with pytest.raises(BaselineError):
        BaselineStore(tmp_path).machine_dir("..")
    with pytest.raises(InputError):
        history_dir(tmp_path, "..")
    with pytest.raises(InputError):
        noise_path(tmp_path, "..")
    with pytest.raises(InputError):
        paired_noise_path(tmp_path, "..")


def test_cli_history_empty_machine_is_refused(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """`history show --machine ''` is exit 2, not silently this machine's history."""
    assert main(["history", "show", "--machine", "", "--history-dir", str(tmp_path)]) == 2
    assert "machine id ''" in capsys.readouterr().err
