"""``perfcore report`` end to end: files in, four report files and one verdict line out."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import numpy as np
import pytest
from report_fixtures import current_set, run_info

from perfcore.cli import main
from perfcore.results.model import Result, ResultSet


def _write(path: Path, commit: str, factor: float, seed: int) -> Path:
    rng = np.random.default_rng(seed)
    results = tuple(
        Result(
            id=f"bench.k{i}",
            unit="s",
            better="lower",
            samples=tuple(
                float(x) for x in rng.normal((i + 1) * 0.01 * (factor if i == 0 else 1), 1e-5, 12)
            ),
        )
        for i in range(4)
    )
    ResultSet(run=run_info(commit), results=results + current_set().results).save(path)
    return path


def test_report_command_renders_and_prints_verdict(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """The command writes the four files and ends with the verdict and the report path."""
    base = _write(tmp_path / "base.json", "a" * 40, 1.0, 1)
    curr = _write(tmp_path / "curr.json", "b" * 40, 1.4, 2)
    claims = tmp_path / "claims.toml"
    claims.write_text(
        '[[claim]]\nname = "fast-k1"\ndescription = "k1 under 30 ms"\n'
        'result = "bench.k1"\nunit = "ms"\nmax = 30\n'
    )
    out = tmp_path / "out"
    code = main(
        [
            "report",
            "--baseline",
            str(base),
            "--current",
            str(curr),
            "--out",
            str(out),
            "--claims",
            str(claims),
            "--history",
            str(tmp_path / "none"),
        ]
    )
    line = capsys.readouterr().out.strip().splitlines()[-1]
    assert code == 0
    assert line.startswith("FAIL (1 regressed")
    assert line.endswith(str(out / "index.html"))
    assert {p.name for p in out.iterdir()} == {
        "index.html",
        "summary.md",
        "verdict.json",
        "junit.xml",
    }
    assert "fast-k1" in (out / "summary.md").read_text()


def test_exit_code_flag_returns_gate_status(tmp_path: Path) -> None:
    """With --exit-code a regression makes the command exit 1."""
    base = _write(tmp_path / "base.json", "a" * 40, 1.0, 1)
    curr = _write(tmp_path / "curr.json", "b" * 40, 1.4, 2)
    assert (
        main(
            [
                "report",
                "--baseline",
                str(base),
                "--current",
                str(curr),
                "--exit-code",
                "--out",
                str(tmp_path / "out"),
                "--history",
                str(tmp_path / "none"),
            ]
        )
        == 1
    )


def test_bad_input_is_one_line_exit_2(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """A corrupt results file exits 2 with a one-line message and writes no report."""
    bad = tmp_path / "bad.json"
    bad.write_text("{not json")
    good = _write(tmp_path / "good.json", "a" * 40, 1.0, 1)
    out = tmp_path / "out"
    code = main(["report", "--baseline", str(good), "--current", str(bad), "--out", str(out)])
    err = capsys.readouterr().err.strip()
    assert code == 2
    assert len(err.splitlines()) == 1
    assert "bad.json" in err
    assert not out.exists()


def test_history_folder_feeds_change_points(tmp_path: Path) -> None:
    """Runs under --history/<machine-id>/ appear as history charts in the report."""
    from perfcore.results.history import append_run

    base = _write(tmp_path / "base.json", "a" * 40, 1.0, 1)
    curr = _write(tmp_path / "curr.json", "b" * 40, 1.0, 2)
    root = tmp_path / "history"
    for k in range(10):
        run = _load(base)
        append_run(
            replace(
                run,
                run=replace(
                    run.run,
                    created=f"2024-04-{k + 1:02d}T00:00:00+00:00",
                    commit=replace(run.run.commit, id=f"{k:040x}"),
                ),
            ),
            root,
        )
    out = tmp_path / "out"
    assert (
        main(
            [
                "report",
                "--baseline",
                str(base),
                "--current",
                str(curr),
                "--out",
                str(out),
                "--history",
                str(root),
            ]
        )
        == 0
    )
    assert 'data-kind="history"' in (out / "index.html").read_text()


def _load(path: Path) -> ResultSet:
    from perfcore.results.model import load_results

    return load_results(path)
