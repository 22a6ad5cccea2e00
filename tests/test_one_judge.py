"""``gate``, ``report --exit-code``, ``compare --exit-code`` and ``run`` decide alike.

Each scenario is one stored baseline of this machine (with its calibrated noise
beside it, as ``perfcore calibrate --save-baseline`` leaves it) and one current run;
every command judges the pair and must give the same exit status, and an exit 2
must say why on stderr.
"""

from __future__ import annotations

import io
import json
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from builders import noisy, result

from perfcore.cli import main
from perfcore.results.baselines import BaselineStore
from perfcore.results.environment import current_machine
from perfcore.results.model import ResultSet, RunInfo
from perfcore.runner.main_job import JobOutcome, JobSettings, Progress, Stages

IDS = tuple(f"t{i}" for i in range(8))
# pass: no change; regression: one benchmark 40% slower; refusal: every timed result
# 20% slower together on a machine calibrated at 0.5% between runs (the machine moved).
SCENARIOS = {
    "pass": ({}, 0),
    "regression": ({"t3": 1.4}, 1),
    "refusal": (dict.fromkeys(IDS, 1.2), 2),
}


def _run(scales: dict[str, float], seed: int) -> ResultSet:
    rng = np.random.default_rng(seed)
    results = tuple(result(rid, noisy(scales.get(rid, 1.0), rng)) for rid in IDS)
    return ResultSet(
        RunInfo(created="2026-01-01T00:00:00+00:00", machine=current_machine()), results
    )


def _setup(root: Path, scales: dict[str, float]) -> tuple[Path, Path, ResultSet]:
    """The stored baseline with its noise.json beside it, and the current run's file."""
    baseline = BaselineStore(root / "reports" / "baselines").save(_run({}, 0))
    (baseline.parent / "noise.json").write_text(
        json.dumps(
            {
                "schema": "perfcore.noise/1",
                "machine": current_machine().id,
                "created": "x",
                "benchmarks": {
                    rid: {"cv_within": 0.01, "sd_between_log": 0.005, "runs": 12} for rid in IDS
                },
            }
        )
    )
    current = _run(scales, 1)
    path = root / "current.json"
    current.save(path)
    return baseline, path, current


def _fake_stages(monkeypatch: pytest.MonkeyPatch, current: ResultSet) -> None:
    """``perfcore run`` measures nothing: its suite stage returns ``current``."""
    import perfcore.runner.main_job

    real = perfcore.runner.main_job.run_main_job

    def bench(job: JobSettings, out: Path, progress: Progress) -> ResultSet:
        return current

    def render(data: Any, out: Path) -> None:
        (out / "index.html").write_text("report")

    def fake(job: JobSettings, *, stream: Any = None, stages: Any = None) -> JobOutcome:
        return real(job, stages=Stages(benchmarks=bench, render=render), stream=io.StringIO())

    monkeypatch.setattr(perfcore.runner.main_job, "run_main_job", fake)


@pytest.mark.parametrize("scenario", sorted(SCENARIOS))
def test_every_command_gives_the_same_exit_status(
    scenario: str,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    """Pass, regression and refusal: the four ways of judging agree on the exit status."""
    scales, expected = SCENARIOS[scenario]
    monkeypatch.chdir(tmp_path)
    (tmp_path / "pyproject.toml").write_text("[project]\nname = 'x'\n")
    baseline, current_path, current = _setup(tmp_path, scales)
    _fake_stages(monkeypatch, current)
    codes = {
        "gate": main(["gate", "--baseline", str(baseline), "--current", str(current_path)]),
        "report": main(
            [
                "report",
                "--baseline",
                str(baseline),
                "--current",
                str(current_path),
                "--out",
                str(tmp_path / "out"),
                "--exit-code",
            ]
        ),
        "compare": main(["compare", str(baseline), str(current_path), "--exit-code"]),
        "run": main(["run", "--no-load"]),
    }
    assert codes == dict.fromkeys(codes, expected)


def test_a_refusal_says_why_on_stderr(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """A machine-shift refusal (exit 2) prints its reason on stderr in every command."""
    monkeypatch.chdir(tmp_path)
    (tmp_path / "pyproject.toml").write_text("[project]\nname = 'x'\n")
    baseline, current_path, current = _setup(tmp_path, SCENARIOS["refusal"][0])
    _fake_stages(monkeypatch, current)
    commands = {
        "gate": ["gate", "--baseline", str(baseline), "--current", str(current_path)],
        "report": [
            "report",
            "--baseline",
            str(baseline),
            "--current",
            str(current_path),
            "--out",
            str(tmp_path / "out"),
            "--exit-code",
        ],
        "compare": ["compare", str(baseline), str(current_path), "--exit-code"],
        "run": ["run", "--no-load"],
    }
    capsys.readouterr()
    for name, argv in commands.items():
        assert main(argv) == 2, name
        assert "machine's speed changed" in capsys.readouterr().err, name
