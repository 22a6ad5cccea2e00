"""Busy results: slower by no more than the foreign load explains is disturbed, not regressed."""

from __future__ import annotations

from typing import Any

import numpy as np
from builders import machine, noisy, result

from perfcore.analysis.judge import JudgeSettings, judge
from perfcore.results.model import Commit, ResultSet, RunInfo

MACHINE = machine("m1")


def _reading(foreign: float, own: float = 1.0) -> dict[str, Any]:
    return {
        "wall_s": 1.0,
        "own_cores": own,
        "foreign_cores": foreign,
        "steal_cores": 0.0,
        "cores": 2,
        "freq_mhz": None,
    }


def _run(values: dict[str, float], foreign: float, seed: int, own: float = 1.0) -> ResultSet:
    rng = np.random.default_rng(seed)
    results = tuple(
        result(rid, noisy(median, rng), disturbance=[_reading(foreign, own)])
        for rid, median in values.items()
    )
    return ResultSet(
        run=RunInfo(
            created="2026-12-03T00:00:00+00:00",
            machine=MACHINE,
            commit=Commit(id="c"),
            source="perfcore",
        ),
        results=results,
    )


BASE = {"a": 1.0, "b": 2.0, "c": 3.0}
# Calibrated between-run noise of 1% per benchmark (as perfcore calibrate would learn).
CALIBRATED = JudgeSettings(shift_guard=False).with_noise(
    dict.fromkeys(BASE, 0.01), dict.fromkeys(BASE, 20.0), "test"
)


def test_a_busy_slowdown_within_what_the_load_explains_is_disturbed() -> None:
    """8% slower while a core of foreign load ran: disturbed, and the gate refuses (2)."""
    suite, decision = judge(_run(BASE, 0.0, 1), _run({**BASE, "a": 1.08}, 1.0, 2), CALIBRATED)
    assert suite.by_id()["a"].verdict == "disturbed"
    assert decision.exit_code == 2
    assert "machine busy" in decision.reasons[0]
    assert " a " in decision.reasons[0] or "while a " in decision.reasons[0]


def test_a_slowdown_beyond_what_the_load_explains_is_still_caught() -> None:
    """30% slower beside a one-core hog (which explains 15%): regressed, exit 1."""
    suite, decision = judge(_run(BASE, 0.0, 1), _run({**BASE, "a": 1.30}, 1.0, 2), CALIBRATED)
    assert suite.by_id()["a"].verdict == "regressed"
    assert decision.exit_code == 1


def test_a_quiet_machine_changes_nothing() -> None:
    """Without foreign load an 8% slowdown is an ordinary regression."""
    suite, decision = judge(_run(BASE, 0.0, 1), _run({**BASE, "a": 1.08}, 0.01, 2), CALIBRATED)
    assert suite.by_id()["a"].verdict == "regressed"
    assert decision.exit_code == 1


def test_a_quiet_rerun_that_confirms_the_slowdown_is_a_regression() -> None:
    """Busy first run, quiet re-run still 8% slower: the re-measurement decides, regressed."""
    suite, decision = judge(
        _run(BASE, 0.0, 1),
        _run({**BASE, "a": 1.08}, 1.0, 2),
        CALIBRATED,
        rerun=_run({**BASE, "a": 1.08}, 0.0, 3),
    )
    assert suite.by_id()["a"].verdict == "regressed"
    assert decision.exit_code == 1


def test_starved_work_is_never_a_regression() -> None:
    """Serial work that got a third of a core beside 1.7 foreign cores: even 5x is disturbed."""
    suite, decision = judge(
        _run(BASE, 0.0, 1), _run({**BASE, "a": 5.0}, 1.7, 2, own=0.3), CALIBRATED
    )
    assert suite.by_id()["a"].verdict == "disturbed"
    assert "starved" in suite.by_id()["a"].basis
    assert decision.exit_code == 2


def test_paired_rounds_are_not_judged_busy() -> None:
    """gate --against's sides ran in turns beside the same load: the busy rule stays out."""
    paired = CALIBRATED.__class__(paired=True, shift_guard=False)
    suite, _ = judge(_run(BASE, 0.0, 1), _run({**BASE, "a": 1.3}, 1.7, 2, own=0.3), paired)
    assert suite.by_id()["a"].verdict != "disturbed"


def test_a_quiet_rerun_of_a_busy_result_replaces_it() -> None:
    """Busy first run 8% slower (disturbed, not screened), quiet re-run unchanged: the quiet
    measurement is the one judged, and the gate passes."""
    suite, decision = judge(
        _run(BASE, 0.0, 1),
        _run({**BASE, "a": 1.08}, 1.0, 2),
        CALIBRATED,
        rerun=_run({"a": 1.0}, 0.0, 3),
    )
    assert suite.by_id()["a"].verdict == "unchanged"
    assert decision.exit_code == 0


def test_a_busy_rerun_leaves_the_result_disturbed() -> None:
    """Re-measured while the machine is still busy: disturbed, and the gate refuses (2)."""
    suite, decision = judge(
        _run(BASE, 0.0, 1),
        _run({**BASE, "a": 1.08}, 1.0, 2),
        CALIBRATED,
        rerun=_run({"a": 1.08}, 1.0, 3),
    )
    assert suite.by_id()["a"].verdict == "disturbed"
    assert decision.exit_code == 2
