"""`perfcore train` from the command line: output, exit codes, and bad input."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

from perfcore.cli import main
from perfcore.results import load_results


@pytest.fixture(autouse=True)
def _project_in_tmp(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A passing model is published to the project's model store: keep it out of the repo."""
    monkeypatch.chdir(tmp_path)


def _run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    try:
        code = main(["train", *argv])
    except SystemExit as exc:  # argparse's usage errors exit directly
        code = int(exc.code or 0)
    captured = capsys.readouterr()
    return code, captured.out, captured.err


def test_performance_flag_prints_the_phase_table(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """--enable-performance-optimization prints the four phases, the baseline note, the report."""
    code, out, _ = _run(
        capsys,
        "--num-samples",
        "150",
        "--output-dir",
        str(tmp_path),
        "--enable-performance-optimization",
    )
    assert code == 0
    for phase in ("data_loading", "preprocessing", "training", "validation"):
        assert phase in out
    assert "recorded this run" in out
    assert "promotion gate passed" in out
    assert (tmp_path / "performance_report.json").is_file()


def test_performance_flag_writes_phase_results(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """The phase timings are saved as perfcore results with training.<model>.<phase> ids."""
    assert (
        _run(
            capsys,
            "--num-samples",
            "150",
            "--output-dir",
            str(tmp_path),
            "--model-type",
            "heuristic",
            "--enable-performance-optimization",
        )[0]
        == 0
    )
    results = load_results(tmp_path / "phase_results.json").by_id()
    assert set(results) == {
        f"training.heuristic.{p}"
        for p in ("data_loading", "preprocessing", "training", "validation", "total")
    }
    phase = results["training.heuristic.data_loading"]
    assert (phase.unit, phase.better, phase.params["tier"]) == ("s", "lower", "fast")
    assert results["training.heuristic.total"].samples[0] >= sum(
        results[f"training.heuristic.{p}"].samples[0]
        for p in ("data_loading", "preprocessing", "training", "validation")
    )


def test_failed_gate_exits_zero_unless_asked(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """A failed gate routes to candidates and exits 0; with --fail-on-gate it exits 1."""
    args = (
        "--num-samples",
        "150",
        "--output-dir",
        str(tmp_path),
        "--min-accuracy",
        "1.0",
        "--max-ece",
        "0",
    )
    code, out, _ = _run(capsys, *args)
    assert code == 0
    assert "promotion gate FAILED" in out
    assert (tmp_path / "models" / "candidates" / "logistic.skops").is_file()
    assert _run(capsys, *args, "--fail-on-gate")[0] == 1


def test_fallback_note_goes_to_stderr(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    """Training on an unavailable dataset says on stderr that it used synthetic data."""
    monkeypatch.setenv("SCIKIT_LEARN_DATA", str(tmp_path / "empty"))
    code, _, err = _run(
        capsys,
        "--dataset",
        "covtype",
        "--num-samples",
        "120",
        "--output-dir",
        str(tmp_path / "out"),
    )
    assert code == 0
    assert "falling back to synthetic" in err


BAD_CSVS = {
    "malformed.csv": "a,b,label\n1,2,0\n3\n",
    "text.csv": "a,b,label\n1,oops,0\n2,3,1\n",
    "oneclass.csv": "a,b,label\n1,2,0\n3,4,0\n",
}


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["--model-type", "forest"], "invalid choice"),
        (["--dataset", "{tmp}/missing.csv"], "no such CSV file"),
        (["--dataset", "{tmp}/malformed.csv"], "line 3 has 1 fields"),
        (["--dataset", "{tmp}/text.csv"], "non-numeric feature value 'oops'"),
        (["--dataset", "{tmp}/oneclass.csv"], "single class"),
        (["--num-samples", "0"], "--num-samples must be positive"),
        (["--epochs", "-1"], "--epochs must be positive"),
        (["--output-dir", "{tmp}/blocker/out"], "not a directory"),
        (["--cohort-id", "a/b", "--enable-drift-tracking"], "--cohort-id"),
    ],
)
def test_bad_input_exits_2_with_one_line_and_no_files(
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    argv: list[str],
    message: str,
    all_files: Callable[[Path], list[Path]],
) -> None:
    """Each bad input: exit 2, a one-line message naming it, no traceback, nothing written."""
    for name, text in BAD_CSVS.items():
        (tmp_path / name).write_text(text)
    (tmp_path / "blocker").write_text("a file, not a directory")
    before = all_files(tmp_path)
    out_dir = tmp_path / "out"
    args = [a.replace("{tmp}", str(tmp_path)) for a in argv]
    if "--output-dir" not in args:
        args += ["--output-dir", str(out_dir)]
    code, _, err = _run(capsys, *args)
    assert code == 2
    assert message in err
    assert "Traceback" not in err
    assert len(err.strip().splitlines()) == 1 or err.startswith("usage:")
    assert all_files(tmp_path) == before
    assert not out_dir.exists()
