"""The lines ``perfcore run`` prints about its verdict: counts, claims and the closing line.

Gate and report commands end with :meth:`perfcore.report.Report.verdict_line`; the main
job, which also records first baselines and reports foreign load, ends with
:func:`verdict_line`.
"""

from __future__ import annotations

from pathlib import Path

from perfcore.analysis.claims import ClaimVerdict
from perfcore.analysis.compare import GateDecision, SuiteComparison

__all__ = ["claims_text", "counts_text", "verdict_line"]


def counts_text(suite: SuiteComparison) -> str:
    """How many results got each verdict, e.g. ``2 regressed, 40 unchanged`` (or ``none``)."""
    counts = suite.counts()
    return ", ".join(f"{n} {verdict}" for verdict, n in counts.items() if n) or "none"


def claims_text(claims: tuple[ClaimVerdict, ...]) -> str:
    """How many claims were confirmed, e.g. ``5/6 confirmed``."""
    if not claims:
        return "no claims file"
    confirmed = sum(c.status == "confirmed" for c in claims)
    return f"{confirmed}/{len(claims)} confirmed"


def verdict_line(
    decision: GateDecision,
    suite: SuiteComparison,
    first: bool,
    report: Path,
    elapsed: float,
    *,
    basis: str = "",
) -> str:
    """The line ``perfcore run`` ends with: PASS, FAIL or CANNOT JUDGE, counts, report path.

    ``first``: the run was recorded as this machine's first baseline (nothing judged).
    ``basis``: what the run was judged against when not the stored numbers (e.g. the
    baseline's commit re-measured here).
    """
    if first:
        verdict = "PASS (first baseline recorded; nothing to compare yet)"
    elif decision.passed:
        verdict = "PASS"
    elif decision.exit_code == 1:
        verdict = f"FAIL ({len(suite.regressions())} regressed)"
    else:
        reason = decision.reasons[0] if decision.reasons else "nothing compared"
        verdict = f"CANNOT JUDGE ({reason})"
    busy = _busiest(suite)
    against = f"; {basis}" if basis else ""
    return (
        f"perfcore: {verdict}: {counts_text(suite)}{against}{busy} in {elapsed:.0f}s; "
        f"report: {report}"
    )


def _busiest(suite: SuiteComparison) -> str:
    """``; machine busy: ...`` when some result was timed beside foreign load."""
    loads = [c.foreign_cores for c in suite.comparisons if c.foreign_cores is not None]
    if not loads:
        return ""
    return f"; machine busy: up to {max(loads):.0%} of a core used by other processes"
