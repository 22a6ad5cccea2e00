"""What a comparison says: one result judged (:class:`Comparison`), a suite judged
(:class:`SuiteComparison`), and the verdicts they can carry (:data:`VERDICTS`)."""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass
from typing import Any, Literal

__all__ = ["VERDICTS", "Comparison", "SuiteComparison", "Verdict"]

Verdict = Literal[
    "regressed", "improved", "unchanged", "noisy", "new", "missing", "disturbed", "incomparable"
]
# Every verdict, most in need of attention first: the order of counts and of report rows.
# ``disturbed``: looked slower while other processes used the CPU, by no more than that
# load explains (perfcore.analysis.disturbed); ``incomparable``: the benchmark's own code
# changed between the sides (asv's benchmark version), so its numbers measure other code.
VERDICTS: tuple[Verdict, ...] = (
    "regressed",
    "missing",
    "disturbed",
    "noisy",
    "incomparable",
    "improved",
    "new",
    "unchanged",
)


@dataclass(frozen=True)
class Comparison:
    """One result judged: ratio current/baseline with interval, test and verdict."""

    id: str
    unit: str
    better: Literal["lower", "higher"]
    baseline_samples: tuple[float, ...]
    current_samples: tuple[float, ...]
    baseline_median: float | None
    current_median: float | None
    ratio: float | None
    ci_low: float | None
    ci_high: float | None
    p_value: float | None
    p_adjusted: float | None
    threshold: float
    mdc: float | None
    verdict: Verdict
    mdc95: float | None = None
    basis: str = ""
    # Foreign CPU (cores) while the current side was timed, where it made the result busy.
    foreign_cores: float | None = None

    def to_dict(self, *, samples: bool = False) -> dict[str, Any]:
        """JSON-ready form; raw samples only when asked (they can be large)."""
        data = asdict(self)
        if not samples:
            del data["baseline_samples"], data["current_samples"]
        return data


@dataclass(frozen=True)
class SuiteComparison:
    """Every result of a suite judged, with the family-wise rate and the rule's name."""

    comparisons: tuple[Comparison, ...]
    alpha: float
    method: str
    confidence: float = 0.99

    def counts(self) -> dict[str, int]:
        """How many results got each verdict (every verdict present, zero or not)."""
        out: dict[str, int] = dict.fromkeys(VERDICTS, 0)
        for comparison in self.comparisons:
            out[comparison.verdict] += 1
        return out

    def regressions(self) -> tuple[Comparison, ...]:
        """The results judged regressed, worst ratio first."""
        bad = [c for c in self.comparisons if c.verdict == "regressed"]
        return tuple(sorted(bad, key=lambda c: -abs(math.log(c.ratio or 1.0))))

    def by_id(self) -> dict[str, Comparison]:
        """The comparisons keyed by result id."""
        return {c.id: c for c in self.comparisons}

    def compared(self) -> tuple[Comparison, ...]:
        """The results present on both sides."""
        return tuple(c for c in self.comparisons if c.verdict not in ("new", "missing"))

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready form."""
        return {
            "alpha": self.alpha,
            "method": self.method,
            "confidence": self.confidence,
            "counts": self.counts(),
            "comparisons": [c.to_dict() for c in self.comparisons],
        }
