"""Summary-only files of real tools: a doubled median fails the gate; saved A/A runs do not."""

from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import Any

import pytest

from perfcore.cli import main

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures"
STORAGE = FIXTURES / "pytest_benchmark" / "storage"
RUNS = sorted((STORAGE / "Linux-CPython-3.11-64bit").glob("*.json"))
ASV = FIXTURES / "asv" / "results"


def _scaled_pb(doc: dict[str, Any], name: str, factor: float) -> dict[str, Any]:
    """``doc`` with benchmark ``name``'s summary statistics times ``factor``."""
    out = copy.deepcopy(doc)
    for bench in out["benchmarks"]:
        if bench["name"].endswith(f"[{name}]"):
            for key in ("min", "max", "mean", "stddev", "median", "iqr", "q1", "q3"):
                bench["stats"][key] *= factor
    return out


def _gate(baseline: Path, current: Path, capsys: pytest.CaptureFixture[str]) -> tuple[int, str]:
    code = main(["gate", "--baseline", str(baseline), "--current", str(current)])
    captured = capsys.readouterr()
    return code, captured.out + captured.err


def test_the_fixture_runs_hold_no_raw_samples() -> None:
    """The storage holds what pytest-benchmark's default storage keeps: summaries only."""
    assert len(RUNS) == 30
    doc = json.loads(RUNS[0].read_text())
    assert all("data" not in b["stats"] for b in doc["benchmarks"])


def test_a_doubled_median_in_a_summary_only_run_fails_the_gate(
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
) -> None:
    """One file against one file, summaries only: a doubled median is regressed (exit 1)."""
    doc = json.loads(RUNS[-1].read_text())
    current = tmp_path / "current.json"
    current.write_text(json.dumps(_scaled_pb(doc, "sha256", 2.0)))
    code, out = _gate(RUNS[-1], current, capsys)
    assert code == 1
    assert "REGRESSED small_suite.case[sha256]" in out


def test_a_doubled_median_against_the_storage_folder_fails(
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
) -> None:
    """Against the storage layout (latest run, the rest as noise), a doubled median fails.

    sha256 moved 2.4% (SD of log medians) over the 30 runs; sum_range moved 28% on that
    busy machine, where even a doubling stays undecided (noisy) -- as it should.
    """
    doc = json.loads(RUNS[-1].read_text())
    current = tmp_path / "current.json"
    current.write_text(json.dumps(_scaled_pb(doc, "sha256", 2.0)))
    code, out = _gate(STORAGE, current, capsys)
    assert code == 1
    assert "REGRESSED small_suite.case[sha256]" in out
    assert "noise: calibrated from 30 saved runs" in out


def _folder_of(tmp_path: Path, runs: list[Path]) -> Path:
    folder = tmp_path / f"upto{len(runs)}" / "Linux-CPython-3.11-64bit"
    folder.mkdir(parents=True)
    for run in runs:
        (folder / run.name).symlink_to(run)
    return folder.parent


def test_thirty_saved_no_change_runs_raise_no_false_alarm(
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
) -> None:
    """Each saved run judged against the runs saved before it (3 or more): never exit 1."""
    codes = []
    for j in range(3, len(RUNS)):
        code, out = _gate(_folder_of(tmp_path, RUNS[:j]), RUNS[j], capsys)
        assert "REGRESSED" not in out
        codes.append(code)
    assert 1 not in codes
    assert codes.count(0) >= len(codes) // 2  # judged, not refused wholesale


def _asv_doubled(tmp_path: Path) -> tuple[Path, Path]:
    """An asv result file without samples, and a copy whose time_sorted(100) doubled."""
    source = next(p for p in sorted(ASV.rglob("fddb0e26-*python3.json")))
    doc = json.loads(source.read_text())
    columns = doc["result_columns"]
    row = doc["results"]["bench_tiny.Timing.time_sorted"]
    for key in ("result", "stats_q_25", "stats_q_75", "stats_ci_99_a", "stats_ci_99_b"):
        if key in columns and row[columns.index(key)] is not None:
            values = row[columns.index(key)]
            row[columns.index(key)] = [v * 2 if v is not None else v for v in values]
    if "samples" in columns:
        row[columns.index("samples")] = None
    base_doc = json.loads(source.read_text())
    base_row = base_doc["results"]["bench_tiny.Timing.time_sorted"]
    if "samples" in columns:
        base_row[columns.index("samples")] = None
    base, curr = tmp_path / "base.json", tmp_path / "curr.json"
    base.write_text(json.dumps(base_doc))
    curr.write_text(json.dumps(doc))
    return base, curr


def test_a_doubled_median_in_an_asv_summary_fails_the_gate(
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
) -> None:
    """asv without --record-samples (its default): a doubled median is regressed (exit 1)."""
    base, curr = _asv_doubled(tmp_path)
    code, out = _gate(base, curr, capsys)
    assert code == 1
    assert "time_sorted(100)" in out
