"""``perfcore gate`` and ``perfcore compare``: every exit code and each bad input."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

import numpy as np
import pytest

from perfcore.cli import main
from perfcore.results.model import Machine, Result, ResultSet, RunInfo

HERE = Machine("m1", "cpu", 2, 1, "os", "3.11")
THERE = Machine("m2", "other cpu", 2, 1, "os", "3.11")


def _write(path: Path, scales: dict[str, float], machine: Machine = HERE, seed: int = 0) -> Path:
    rng = np.random.default_rng(seed)
    results = tuple(
        Result(rid, "s", "lower", tuple(float(v) for v in scale * np.exp(rng.normal(0, 0.05, 200))))
        for rid, scale in scales.items()
    )
    ResultSet(RunInfo(created="2026-01-01T00:00:00+00:00", machine=machine), results).save(path)
    return path


@pytest.fixture
def baseline(tmp_path: Path) -> Path:
    """A stored baseline of two benchmarks."""
    return _write(tmp_path / "base" / "baseline.json", {"a": 1.0, "b": 2.0})


def _gate(*args: str) -> int:
    try:
        return main(["gate", *args])
    except SystemExit as stop:  # argparse's refusal of a flag's value (exit 2)
        return int(stop.code or 0)


def test_pass(tmp_path: Path, baseline: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """No change: exit 0 and a PASS summary line."""
    current = _write(tmp_path / "cur.json", {"a": 1.0, "b": 2.0}, seed=1)
    assert _gate("--baseline", str(baseline), "--current", str(current)) == 0
    assert "gate: PASS" in capsys.readouterr().out


def test_regression(tmp_path: Path, baseline: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """A 50% slowdown: exit 1, the regression named with ratio and interval."""
    current = _write(tmp_path / "cur.json", {"a": 1.5, "b": 2.0}, seed=1)
    assert _gate("--baseline", str(baseline), "--current", str(current)) == 1
    out = capsys.readouterr().out
    assert "REGRESSED a: 1.4" in out
    assert "CI" in out
    assert "gate: FAIL" in out


@pytest.mark.parametrize(("rerun", "code"), [(1.0, 0), (1.5, 1)])
def test_confirm_with_a_rerun(
    tmp_path: Path, baseline: Path, rerun: float, code: int, capsys: pytest.CaptureFixture[str]
) -> None:
    """--confirm RERUN: a regression fails only when both runs together regress and the
    second run alone is slower too."""
    current = _write(tmp_path / "cur.json", {"a": 1.5, "b": 2.0}, seed=1)
    again = _write(tmp_path / "again.json", {"a": rerun, "b": 2.0}, seed=2)
    assert (
        _gate("--baseline", str(baseline), "--current", str(current), "--confirm", str(again))
        == code
    )
    assert ("REGRESSED a" in capsys.readouterr().out) == bool(code)


def test_calibrated_noise_beside_baseline(
    tmp_path: Path, baseline: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """noise.json beside the baseline is used: an 8% slowdown is found at 0.5% calibrated drift."""
    (baseline.parent / "noise.json").write_text(
        json.dumps(
            {
                "schema": "perfcore.noise/1",
                "machine": "m1",
                "created": "x",
                "benchmarks": {"a": {"cv_within": 0.05, "sd_between_log": 0.005, "runs": 10}},
            }
        )
    )
    current = _write(tmp_path / "cur.json", {"a": 1.08, "b": 2.0}, seed=1)
    assert _gate("--baseline", str(baseline), "--current", str(current)) == 1
    assert "noise: calibrated from" in capsys.readouterr().out


def test_missing_fails_unless_allowed(tmp_path: Path, baseline: Path) -> None:
    """A benchmark missing from current fails (1) unless --allow-missing (0)."""
    current = _write(tmp_path / "cur.json", {"a": 1.0}, seed=1)
    assert _gate("--baseline", str(baseline), "--current", str(current)) == 1
    assert _gate("--baseline", str(baseline), "--current", str(current), "--allow-missing") == 0


@pytest.mark.parametrize(
    ("content", "message"),
    [
        ("", "empty"),
        ('{"schema": "perfcore.res', "not valid JSON"),
        ('{"schema": "perfcore.results/7", "run": {}, "results": []}', "unknown schema"),
    ],
)
def test_bad_current_exits_2(
    tmp_path: Path, baseline: Path, capsys: pytest.CaptureFixture[str], content: str, message: str
) -> None:
    """Empty, corrupt or unknown-schema input: exit 2 with a one-line message."""
    bad = tmp_path / "cur.json"
    bad.write_text(content)
    assert _gate("--baseline", str(baseline), "--current", str(bad)) == 2
    err = capsys.readouterr().err
    assert message in err
    assert err.count("\n") == 1


def test_nothing_in_common_exits_2(
    tmp_path: Path, baseline: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """Zero comparisons is never a pass: exit 2, even with --allow-missing."""
    current = _write(tmp_path / "cur.json", {"z": 1.0}, seed=1)
    assert _gate("--baseline", str(baseline), "--current", str(current), "--allow-missing") == 2
    assert "no benchmark in common" in capsys.readouterr().err


def test_cross_machine(tmp_path: Path, baseline: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """Another machine's results: exit 2 unless --allow-cross-machine."""
    current = _write(tmp_path / "cur.json", {"a": 1.0, "b": 2.0}, machine=THERE, seed=1)
    assert _gate("--baseline", str(baseline), "--current", str(current)) == 2
    assert "--allow-cross-machine" in capsys.readouterr().err
    assert (
        _gate("--baseline", str(baseline), "--current", str(current), "--allow-cross-machine") == 0
    )


def test_usage_errors_exit_2(baseline: Path) -> None:
    """Neither mode, or both at once, is a usage error (2)."""
    assert _gate("--baseline", str(baseline)) == 2
    assert _gate("--baseline", str(baseline), "--current", str(baseline), "--against", "HEAD") == 2
    assert _gate("--against", "HEAD", "--rounds", "3", "--max-rounds", "4") == 2


@pytest.mark.parametrize(
    ("option", "value"),
    [("--rounds", "1"), ("--confirm-rounds", "1"), ("--min-rounds", "1"), ("--max-rounds", "1")],
)
def test_too_few_rounds_exit_2(
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    option: str,
    value: str,
) -> None:
    """One round (or one fresh round) has no spread to judge by: refused before any run."""
    repo = tmp_path / "repo"
    (repo / "bench").mkdir(parents=True)
    (repo / "bench" / "test_x.py").write_text("def test_x():\n    pass\n")
    _git(repo, "init", "-q")
    _git(repo, "add", ".")
    _git(repo, "commit", "-qm", "one")
    monkeypatch.chdir(repo)
    assert _gate("--against", "HEAD", option, value) == 2
    err = capsys.readouterr().err
    assert "at least 2" in err or "must lie in 2.." in err


@pytest.mark.parametrize("fmt", ["table", "json", "markdown"])
def test_compare_formats(
    tmp_path: Path, baseline: Path, capsys: pytest.CaptureFixture[str], fmt: str
) -> None:
    """compare prints every result in the asked format and exits 0."""
    current = _write(tmp_path / "cur.json", {"a": 1.5, "b": 2.0}, seed=1)
    assert main(["compare", str(baseline), str(current), "--format", fmt]) == 0
    out = capsys.readouterr().out
    if fmt == "json":
        assert json.loads(out)["counts"]["regressed"] == 1
    else:
        assert "regressed" in out
        assert ("| result |" in out) == (fmt == "markdown")


_BENCH = """
def work(n):
    total = 0
    for i in range(n):
        total += i * i
    return total

def test_loop(benchmark):
    benchmark.pedantic(work, args=({n},), rounds=15, iterations=20, warmup_rounds=2)
"""


def _git(repo: Path, *args: str) -> None:
    subprocess.run(
        ["git", "-c", "user.name=t", "-c", "user.email=t@t", *args],
        cwd=repo,
        check=True,
        capture_output=True,
        timeout=60,
    )


_QUICK = "--bench-args=--benchmark-max-time=0.02 --benchmark-min-rounds=5 -o addopts="


def _slowed_repo(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A repository whose committed loop the working tree makes 8x slower (cwd: the repo).

    8x, not less: this checks the gate's plumbing, and in runs mode the two sides run
    minutes apart, so a busy CI machine can slow one side's round 2-3x.
    """
    repo = tmp_path / "repo"
    (repo / "bench").mkdir(parents=True)
    (repo / "pyproject.toml").write_text("[tool.perfcore]\n")
    bench = repo / "bench" / "test_loop.py"
    bench.write_text(_BENCH.format(n=200))
    _git(repo, "init", "-q")
    _git(repo, "add", ".")
    _git(repo, "commit", "-qm", "fast")
    bench.write_text(_BENCH.format(n=1600))
    monkeypatch.chdir(repo)
    return repo


@pytest.mark.slow
def test_sequential_rounds_stop_a_clear_slowdown_early(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """By default gate --against looks after every round; an 8x loop stops before the cap."""
    _slowed_repo(tmp_path, monkeypatch)
    kept = tmp_path / "kept"
    assert main(["gate", "--against", "HEAD", _QUICK, "--keep-rounds", str(kept)]) == 1
    out = capsys.readouterr().out
    assert "sequential, 2 to 8 rounds per side" in out
    assert "1 beyond (slower)" in out
    assert "REGRESSED loop.loop" in out
    assert "rounds needed: 1 after " in out
    assert len(list(kept.glob("A-0*.json"))) < 8


@pytest.mark.slow
@pytest.mark.parametrize("interleave", ["rounds", "runs"])
def test_against_ref_finds_slowdown(
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    interleave: str,
) -> None:
    """gate --against runs REF in a worktree and the working tree in rounds; 8x slower regresses."""
    repo = _slowed_repo(tmp_path, monkeypatch)
    # rounds: the default second stage (5 fresh rounds); runs: the first rounds alone.
    confirm = "5" if interleave == "rounds" else "0"
    code = main(
        [
            "gate",
            "--against",
            "HEAD",
            "--rounds",
            "4",
            _QUICK,
            "--keep-rounds",
            str(tmp_path / "kept"),
            f"--interleave={interleave}",
            f"--confirm-rounds={confirm}",
        ]
    )
    out = capsys.readouterr().out
    assert code == 1, out
    assert f"interleaved by {interleave}" in out
    assert "REGRESSED loop.loop" in out
    kept = sorted(p.name for p in (tmp_path / "kept").glob("[AB]-*.json"))
    if interleave == "rounds":
        assert "re-measuring 1 result(s)" in out
        assert "paired rounds 9" in out
        assert "confirmed, fresh rounds 5" in out
        assert len(kept) == 18, kept
    else:
        assert "paired rounds 4" in out
        assert "fresh" not in out
        assert len(kept) == 8, kept
    name = "paired-noise.json" if interleave == "rounds" else "paired-noise-runs.json"
    learnt = list((repo / "reports" / "baselines").glob(f"*/{name}"))
    assert len(learnt) == 1, "gate --against learns the machine's paired-round noise"
    assert "loop.loop" in learnt[0].read_text()
    worktrees = subprocess.run(
        ["git", "worktree", "list"], cwd=repo, capture_output=True, text=True, check=True
    ).stdout
    assert len(worktrees.strip().splitlines()) == 1
