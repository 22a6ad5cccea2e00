"""Malformed input reaching the commands: exit 2 and one line, never a traceback or exit 1."""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

import pytest

from perfcore.cli import EXIT_INTERNAL, main

MACHINE = {"id": "m1", "cpu": "cpu", "cores": 2, "ram_bytes": 1, "os": "os", "python": "3.11"}


def _doc(
    results: dict[str, list[Any]], machine: dict[str, Any] | None = None, unit: str = "s"
) -> dict[str, Any]:
    return {
        "schema": "perfcore.results/1",
        "run": {
            "created": "2026-01-01T00:00:00+00:00",
            "machine": machine or MACHINE,
            "source": "perfcore",
        },
        "results": [
            {"id": rid, "unit": unit, "better": "lower", "samples": samples}
            for rid, samples in results.items()
        ],
    }


def _write(path: Path, doc: object) -> Path:
    path.write_text(json.dumps(doc) if not isinstance(doc, str) else doc)
    return path


GOOD = {"a": [1.0, 1.1, 0.9, 1.05, 0.95] * 4}


def _one_error_line(capsys: pytest.CaptureFixture[str], *needles: str) -> str:
    err = capsys.readouterr().err
    lines = [line for line in err.splitlines() if line.startswith("perfcore: error:")]
    assert len(lines) == 1, err
    assert "Traceback" not in err
    for needle in needles:
        assert needle in lines[0]
    return lines[0]


def test_cores_not_a_number_is_exit_2(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """A machine with cores "two" is exit 2 naming the file and the key, not a ValueError."""
    bad = _write(tmp_path / "two.json", _doc(GOOD, {**MACHINE, "cores": "two"}))
    good = _write(tmp_path / "good.json", _doc(GOOD))
    assert main(["gate", "--baseline", str(bad), "--current", str(good)]) == 2
    _one_error_line(capsys, "two.json", "cores")


def test_deep_nesting_is_exit_2(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """100,000 nested arrays are exit 2 ('nested too deeply'), not a RecursionError."""
    deep = _write(tmp_path / "deep.json", "[" * 100_000 + "]" * 100_000)
    good = _write(tmp_path / "good.json", _doc(GOOD))
    assert main(["compare", str(deep), str(good)]) == 2
    _one_error_line(capsys, "deep.json", "nested too deeply")


def test_string_where_object_expected_is_exit_2(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """A pytest-benchmark machine_info that is a string is exit 2 naming the file."""
    doc = {"machine_info": "oops", "benchmarks": [{"name": "test_a", "stats": {"data": [1.0]}}]}
    bad = _write(tmp_path / "pb.json", doc)
    assert main(["compare", str(bad), str(bad)]) == 2
    _one_error_line(capsys, "pb.json", "machine_info")


@pytest.mark.parametrize(
    ("samples", "problem"),
    [
        ([], "no samples"),
        ([-1.0, -1.1, -0.9], "negative"),
        ([0, 0, 0, 0], "all zero"),
    ],
)
def test_gate_refuses_unjudgeable_durations(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], samples: list[float], problem: str
) -> None:
    """The gate exits 2 naming the problem on empty, negative or all-zero durations."""
    bad = _write(tmp_path / "bad.json", _doc({"a": samples}))
    assert main(["gate", "--baseline", str(bad), "--current", str(bad)]) == 2
    _one_error_line(capsys, "bad.json", "'a'", problem)


def test_gate_refuses_non_finite_durations(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """Infinity and NaN samples are exit 2 naming the result."""
    bad = _write(tmp_path / "inf.json", json.dumps(_doc({"a": [1.0, float("inf")]})))
    assert main(["gate", "--baseline", str(bad), "--current", str(bad)]) == 2
    _one_error_line(capsys, "inf.json", "finite")


def test_gate_refuses_a_file_without_results(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """A run with no results at all is exit 2, never PASS."""
    empty = _write(tmp_path / "empty.json", _doc({}))
    assert main(["gate", "--baseline", str(empty), "--current", str(empty)]) == 2
    _one_error_line(capsys, "no results")


def test_compare_refuses_results_of_two_machines(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """compare of runs from different machines exits 2 (as gate does) unless allowed."""
    here = _write(tmp_path / "here.json", _doc(GOOD))
    there = _write(tmp_path / "there.json", _doc(GOOD, {**MACHINE, "id": "m2"}))
    assert main(["compare", str(here), str(there)]) == 2
    _one_error_line(capsys, "--allow-cross-machine")
    assert main(["compare", "--allow-cross-machine", str(here), str(there)]) == 0


def _strict_constant(name: str) -> None:
    raise AssertionError(f"{name} is not JSON")


def test_compare_json_is_valid_json(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """compare --format json writes null where a bound is infinite, never Infinity or NaN."""
    base = _write(tmp_path / "base.json", _doc({"a": [1.0], "b": [1.0, 1.0, 1.0]}))
    current = _write(tmp_path / "cur.json", _doc({"a": [2.0], "b": [1.0, 1.0, 1.0]}))
    assert main(["compare", "--format", "json", str(base), str(current)]) == 0
    document = json.loads(capsys.readouterr().out, parse_constant=_strict_constant)
    single = next(c for c in document["comparisons"] if c["id"] == "a")
    assert single["ci_high"] is None


def test_unexpected_exception_is_exit_3_one_line(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """A bug escaping a command is one 'internal error' line and exit 3, never exit 1."""
    import perfcore.runner.stored as compare_cli

    def broken(*_: object, **__: object) -> None:
        raise ZeroDivisionError("boom")

    monkeypatch.setattr(compare_cli, "read_checked", broken)
    monkeypatch.delenv("PERFCORE_DEBUG", raising=False)
    assert main(["compare", "a.json", "b.json"]) == EXIT_INTERNAL
    err = capsys.readouterr().err
    assert err.count("\n") == 1
    assert "internal error: ZeroDivisionError: boom" in err
    monkeypatch.setenv("PERFCORE_DEBUG", "1")
    assert main(["compare", "a.json", "b.json"]) == EXIT_INTERNAL
    assert "Traceback" in capsys.readouterr().err


def _report(tmp_path: Path, out: Path) -> int:
    base = _write(tmp_path / "base.json", _doc(GOOD))
    (tmp_path / "claims.toml").write_text("")
    return main(
        [
            "report",
            "--baseline",
            str(base),
            "--current",
            str(base),
            "--out",
            str(out),
            "--claims",
            str(tmp_path / "claims.toml"),
            "--history",
            str(tmp_path / "h"),
        ]
    )


def test_report_into_a_path_under_a_file_is_exit_2(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """An output folder that cannot be created is exit 2 naming it, and nothing is written."""
    blocker = tmp_path / "file"
    blocker.write_text("x")
    assert _report(tmp_path, blocker / "out") == 2
    _one_error_line(capsys, "cannot write the report")
    assert blocker.read_text() == "x"


def test_report_into_a_non_utf8_folder_is_exit_2(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """An output folder named with non-UTF-8 bytes is exit 2 and nothing is written."""
    out = Path(os.fsdecode(bytes(tmp_path) + b"/r\xe9port"))
    assert _report(tmp_path, out) == 2
    _one_error_line(capsys, "not valid UTF-8")
    assert not out.exists()


def test_report_write_failure_leaves_the_old_report(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """A disk failure while writing the third file leaves every old file whole, no temp file."""
    out = tmp_path / "out"
    assert _report(tmp_path, out) == 0
    before = {p.name: p.read_bytes() for p in out.iterdir()}
    calls = {"n": 0}
    real_fsync = os.fsync

    def failing_fsync(fd: int) -> None:
        calls["n"] += 1
        if calls["n"] == 3:
            raise OSError(28, "No space left on device")
        real_fsync(fd)

    monkeypatch.setattr(os, "fsync", failing_fsync)
    for path in out.iterdir():  # every file told from a new one (not by its timestamp)
        path.write_bytes(b"old " + path.name.encode())
        before[path.name] = b"old " + path.name.encode()
    assert _report(tmp_path, out) == 2
    _one_error_line(capsys, "No space left on device")
    assert {p.name: p.read_bytes() for p in out.iterdir()} == before


def test_baseline_save_refuses_what_the_gate_refuses(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """baseline save of negative durations is exit 2 and stores nothing."""
    bad = _write(tmp_path / "neg.json", _doc({"a": [-1.0, -2.0]}))
    store = tmp_path / "store"
    assert main(["baseline", "save", str(bad), "--baselines-dir", str(store)]) == 2
    _one_error_line(capsys, "negative")
    assert not store.exists()


def test_os_error_is_exit_2_one_line(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """An OSError reaching the command line (permissions, full disk) is exit 2, one line."""
    import perfcore.runner.stored as compare_cli

    def refused(*_: object, **__: object) -> None:
        raise PermissionError(13, "Permission denied", "/srv/results.json")

    monkeypatch.setattr(compare_cli, "read_checked", refused)
    assert main(["compare", "a.json", "b.json"]) == 2
    _one_error_line(capsys, "/srv/results.json: Permission denied")


def _pb_run(data_b: list[Any]) -> dict[str, Any]:
    def bench(name: str, data: list[Any]) -> dict[str, Any]:
        return {
            "name": name,
            "fullname": f"bench/test_x.py::{name}",
            "params": None,
            "extra_info": {},
            "stats": {"data": data},
        }

    return {
        "machine_info": {"node": "n"},
        "commit_info": {"id": "c"},
        "benchmarks": [bench("test_a", [1.0, 1.1, 0.9, 1.0] * 5), bench("test_b", data_b)],
    }


def test_gate_unreadable_result_is_exit_2_not_missing(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """A current result the reader had to skip is exit 2, not 'missing' (exit 1)."""
    base = _write(tmp_path / "base.json", _pb_run([2.0, 2.1, 1.9, 2.0] * 5))
    current = _write(tmp_path / "cur.json", _pb_run(["x", "y"]))
    assert main(["gate", "--baseline", str(base), "--current", str(current)]) == 2
    err = capsys.readouterr().err
    assert "perfcore: warning:" in err
    assert "perfcore: error: current" in err
    assert "'x.b' could not be read" in err
