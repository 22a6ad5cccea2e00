"""Verdicts: baseline against current, per result and for a whole suite.

One import for the comparison API, gathered from the modules that hold each idea:

* :mod:`perfcore.analysis.comparison` -- what a comparison says (``Comparison``,
  ``SuiteComparison``, ``VERDICTS``);
* :mod:`perfcore.analysis.verdict_rule` -- the rule itself (:func:`compare_suites`; the
  statistics are described there);
* :mod:`perfcore.analysis.paired_rounds` -- interleaved rounds judged pair by pair;
* :mod:`perfcore.analysis.two_stage` -- screen, then confirm on a re-run or fresh rounds;
* :mod:`perfcore.analysis.gate_decision` -- pass, fail or refuse, and the machine-shift guard.
"""

from __future__ import annotations

from perfcore.analysis.comparison import VERDICTS, Comparison, SuiteComparison, Verdict
from perfcore.analysis.gate_decision import GateDecision, SuiteShift, decide_gate, suite_shift
from perfcore.analysis.paired_rounds import paired_spread, round_differences
from perfcore.analysis.two_stage import (
    confirm_in_fresh_rounds,
    confirm_regressions,
    decide_with_rerun,
    screen_regressions,
    screen_slower,
)
from perfcore.analysis.verdict_rule import DEFAULT_BETWEEN_RUN_SD, compare_suites

__all__ = [
    "DEFAULT_BETWEEN_RUN_SD",
    "VERDICTS",
    "Comparison",
    "GateDecision",
    "SuiteComparison",
    "SuiteShift",
    "Verdict",
    "compare_suites",
    "confirm_in_fresh_rounds",
    "confirm_regressions",
    "decide_gate",
    "decide_with_rerun",
    "paired_spread",
    "round_differences",
    "screen_regressions",
    "screen_slower",
    "suite_shift",
]
