"""The verdict line's noise clause."""

from __future__ import annotations

import numpy as np

from perfcore._cli.compare import noise_line
from perfcore.analysis.judge import JudgeSettings
from perfcore.analysis.verdict_rule import compare_suites
from perfcore.results.model import Machine, Result, ResultSet, RunInfo

_MACHINE = Machine(id="m", cpu="", cores=1, ram_bytes=1, os="", python="")


def _run(samples: np.ndarray) -> ResultSet:
    result = Result(id="a", unit="s", better="lower", samples=tuple(float(x) for x in samples))
    return ResultSet(run=RunInfo(created="t", machine=_MACHINE), results=(result,))


def test_uncalibrated_line_names_the_smallest_judgeable_slowdown() -> None:
    """Uncalibrated, the line says how small a slowdown the gate could judge on these runs."""
    samples = 1.0 + np.random.default_rng(3).exponential(0.01, 200)
    suite = compare_suites(_run(samples), _run(samples * 1.01))
    (mdc,) = [c.mdc for c in suite.comparisons]
    assert mdc is not None
    line = noise_line(JudgeSettings(), suite)
    assert "uncalibrated" in line
    assert f"smallest slowdown it can judge here: {mdc:.0%}" in line


def test_calibrated_line_names_its_source() -> None:
    """With a calibration the line names its source and no uncalibrated floor."""
    judging = JudgeSettings().with_noise({"a": 0.01}, {"a": 9.0}, "noise.json")
    assert noise_line(judging) == "noise: calibrated from noise.json"
