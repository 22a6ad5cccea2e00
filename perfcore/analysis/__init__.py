"""Pure statistics over measured numbers: comparisons and verdicts (no I/O, no clocks)."""

from perfcore.analysis.compare import (
    DEFAULT_BETWEEN_RUN_SD,
    Comparison,
    GateDecision,
    SuiteComparison,
    Verdict,
    compare_suites,
    decide_gate,
)

__all__ = [
    "DEFAULT_BETWEEN_RUN_SD",
    "Comparison",
    "GateDecision",
    "SuiteComparison",
    "Verdict",
    "compare_suites",
    "decide_gate",
]
