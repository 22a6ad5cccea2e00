"""Pass, fail or refuse a judged suite (:func:`decide_gate`), with the machine-shift guard.

A stored baseline cannot tell a slower machine from slower code; :func:`suite_shift`
measures how the suite's timed results moved together, and the gate refuses (exit 2)
where that shift is beyond what the baseline's calibration saw.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from perfcore.analysis.comparison import Comparison, SuiteComparison

__all__ = ["GateDecision", "SuiteShift", "decide_gate", "suite_shift"]

# The machine-shift guard (suite_shift): at least this many timed results, and a common
# shift beyond this (the default threshold) before a stored baseline is refused.
MIN_TIMED_FOR_SHIFT = 5
DEFAULT_THRESHOLD_FOR_SHIFT = 0.05


@dataclass(frozen=True)
class GateDecision:
    """Whether a gate passes: exit code 0 pass, 1 regression or missing, 2 nothing compared."""

    passed: bool
    exit_code: int
    reasons: tuple[str, ...]
    # Why it refused (exit 2), for callers that act on it: "machine-shift" (the stored
    # numbers no longer describe this host), "busy", "nothing-compared"; "" otherwise.
    cause: str = ""


@dataclass(frozen=True)
class SuiteShift:
    """How the timed results of a suite moved together: the machine, or a common cause."""

    shift: float
    timed: int
    slower: int
    faster: int
    p_value: float
    scaled: float

    def unexplained(self, alpha: float, limit: float) -> bool:
        """Beyond ``limit``, significant by the sign test, and beyond the noise the
        comparison already allows for (the median result's shift exceeds its own
        interval's half-width): a machine the baseline's calibration never saw."""
        return abs(self.shift) > limit and self.p_value < alpha and abs(self.scaled) > 1.0

    def describe(self) -> str:
        """One line for the gate's reasons."""
        return (
            f"the machine's speed changed: timed results moved {self.shift:+.1%} together "
            f"(median; {self.slower} of {self.timed} slower, {self.faster} faster, sign "
            f"test p {self.p_value:.2g}), {abs(self.scaled):.1f} times the median "
            "interval's half-width; a stored baseline cannot tell that from a "
            "regression: re-calibrate it or judge with gate --against"
        )


def suite_shift(suite: SuiteComparison) -> SuiteShift | None:
    """The common shift of the suite's timed results (unit ``s``), if it has five or more.

    A code change slows the benchmarks whose code it touches; a machine that got slower
    or faster (another tenant on the host, a new CPU frequency) moves every timed
    benchmark by about the same factor. The median log ratio estimates that factor, and
    a sign test says whether the timed results move together more than chance allows.
    """
    timed = [c for c in suite.compared() if c.unit == "s" and c.ratio is not None and c.ratio > 0]
    if len(timed) < MIN_TIMED_FOR_SHIFT:
        return None
    logs = [math.log(c.ratio) for c in timed if c.ratio is not None]
    scaled = [v / _half_width(c) for v, c in zip(logs, timed, strict=True)]
    slower = sum(v > 0 for v in logs)
    faster = sum(v < 0 for v in logs)
    p = _sign_test_p(slower, slower + faster)
    return SuiteShift(
        math.expm1(float(np.median(logs))), len(logs), slower, faster, p, float(np.median(scaled))
    )


def _sign_test_p(k: int, n: int) -> float:
    """Two-sided exact sign test: ``scipy.stats.binomtest(k, n).pvalue`` at p = 1/2.

    At p = 1/2 the binomial is symmetric, so the outcomes no likelier than ``k`` are the
    two tails beyond ``min(k, n - k)``: twice one tail, at most 1 (binomtest's own answer,
    without the confidence-interval search it also runs).
    """
    from scipy.stats import binom

    if n == 0:
        return 1.0
    return min(1.0, 2.0 * float(binom.cdf(min(k, n - k), n, 0.5)))


def _half_width(c: Comparison) -> float:
    """Half the width of ``c``'s interval on the log scale (inf where it has none)."""
    if c.ci_low is None or c.ci_high is None or c.ci_low <= 0 or c.ci_high <= c.ci_low:
        return math.inf
    return 0.5 * math.log(c.ci_high / c.ci_low)


def decide_gate(
    suite: SuiteComparison, *, allow_missing: bool, shift_guard: bool = False
) -> GateDecision:
    """Pass, fail (1) or refuse (2) a suite comparison; zero comparisons never pass.

    ``shift_guard`` (stored baselines): refuse (2) when the timed results moved
    together beyond the default threshold, significantly by a sign test at ``alpha``,
    and further than the median result's own interval allows (:func:`suite_shift`):
    the machine changed in a way its calibration never saw, and verdicts against that
    baseline would be about the machine. Shifts the calibrated noise already holds
    (a machine that moves between two speeds, calibrated across both) are judged.
    """
    if not suite.compared():
        counts = suite.counts()
        return GateDecision(
            False,
            2,
            (
                "no benchmark in common between baseline and current "
                f"({counts['missing']} vs {counts['new']} results); nothing was compared",
            ),
            cause="nothing-compared",
        )
    if shift_guard:
        shift = suite_shift(suite)
        if shift is not None and shift.unexplained(suite.alpha, DEFAULT_THRESHOLD_FOR_SHIFT):
            return GateDecision(False, 2, (shift.describe(),), cause="machine-shift")
    reasons = [f"{c.id} regressed: {_describe(c)}" for c in suite.regressions()]
    missing = [c.id for c in suite.comparisons if c.verdict == "missing"]
    if missing and not allow_missing:
        reasons.append(f"missing from current: {', '.join(missing)}")
    if reasons:
        return GateDecision(False, 1, tuple(reasons))
    busy = [c for c in suite.comparisons if c.verdict == "disturbed"]
    if busy:
        return GateDecision(False, 2, (_busy_reason(busy),), cause="busy")
    return GateDecision(True, 0, ())


def _busy_reason(busy: Sequence[Comparison]) -> str:
    load = max(c.foreign_cores or 0.0 for c in busy)
    names = ", ".join(c.id for c in busy[:3]) + (
        f" and {len(busy) - 3} more" if len(busy) > 3 else ""
    )
    return (
        f"machine busy: {load:.0%} of a core used by other processes while {names} "
        "looked slower, no more than that load explains; re-run on a quieter machine"
    )


def _describe(c: Comparison) -> str:
    return (
        f"ratio {c.ratio:.3f} (CI {c.ci_low:.3f}-{c.ci_high:.3f}), "
        f"threshold {c.threshold:.0%}, p_adj {c.p_adjusted:.2g}"
    )
