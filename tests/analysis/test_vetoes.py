"""The fast-end check of uncalibrated one-run-against-one-run verdicts."""

from __future__ import annotations

import numpy as np

from perfcore.analysis.verdict_rule import compare_suites
from perfcore.results.model import Machine, Result, ResultSet, RunInfo

_MACHINE = Machine(id="m", cpu="", cores=1, ram_bytes=1, os="", python="")


def _run(samples: np.ndarray) -> ResultSet:
    result = Result(id="a", unit="s", better="lower", samples=tuple(float(x) for x in samples))
    return ResultSet(run=RunInfo(created="t", machine=_MACHINE), results=(result,))


def _modes(slow_share: float, rng: np.random.Generator, n: int = 400) -> np.ndarray:
    """Rounds of one process: a fast mode at 1.0 and a share of rounds in a slow mode at 1.9."""
    fast = 1.0 + rng.exponential(0.01, n)
    return np.where(rng.random(n) < slow_share, 1.9 * fast, fast)


def test_a_process_with_more_slow_rounds_is_not_a_regression() -> None:
    """A median moved by the share of slow-mode rounds, the fastest unmoved, is not regressed."""
    rng = np.random.default_rng(1)
    base, curr = _run(_modes(0.3, rng)), _run(_modes(0.7, rng))
    (c,) = compare_suites(base, curr).comparisons
    assert c.ratio is not None
    assert c.ratio > 1.5
    assert c.verdict == "noisy"


def test_a_doubled_workload_stays_regressed() -> None:
    """Every round twice as slow (the minimum too) is regressed, uncalibrated."""
    rng = np.random.default_rng(2)
    samples = _modes(0.3, rng)
    (c,) = compare_suites(_run(samples), _run(2.0 * samples)).comparisons
    assert c.verdict == "regressed"


def test_a_calibrated_result_skips_the_fast_end() -> None:
    """With a calibrated between-run SD the median decides as before (no fast-end check)."""
    rng = np.random.default_rng(1)
    base, curr = _run(_modes(0.3, rng)), _run(_modes(0.7, rng))
    (c,) = compare_suites(base, curr, between_run_sd={"a": 0.03}).comparisons
    assert c.verdict == "regressed"
