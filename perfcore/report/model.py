"""The report's view model: everything a renderer shows, already judged and adapted.

Renderers take a :class:`ReportData` and nothing else, so they do not care whether the
numbers came from a live run, stored files or a test fixture. ``build_report_data``
(in :mod:`perfcore.report.build`) adapts the analysis objects into it.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

__all__ = [
    "AlertsView",
    "ChangePointView",
    "ChartPoint",
    "ClaimRow",
    "GateView",
    "HistorySeries",
    "LoadPoint",
    "LoadView",
    "PhaseTiming",
    "ReportData",
    "ResultRow",
]


@dataclass(frozen=True)
class ResultRow:
    """One compared result: medians, ratio with its interval, test and verdict."""

    id: str
    unit: str
    better: str
    verdict: str
    baseline_median: float | None = None
    current_median: float | None = None
    ratio: float | None = None
    ci_low: float | None = None
    ci_high: float | None = None
    p_value: float | None = None
    p_adjusted: float | None = None
    threshold: float | None = None
    mdc: float | None = None
    baseline_samples: tuple[float, ...] = ()
    current_samples: tuple[float, ...] = ()


@dataclass(frozen=True)
class GateView:
    """The gate's decision as the report states it."""

    passed: bool
    exit_code: int
    reasons: tuple[str, ...]
    counts: Mapping[str, int]
    alpha: float | None = None
    method: str = ""
    allow_missing: bool = False
    confidence: float | None = None
    """Coverage of the ratio intervals (e.g. 0.99)."""

    @property
    def ci_label(self) -> str:
        """Column heading for the intervals, e.g. ``99% CI``."""
        return f"{self.confidence:.0%} CI" if self.confidence else "CI"

    @property
    def label(self) -> str:
        """``PASS``, ``FAIL`` (exit 1: a regression) or ``CANNOT JUDGE`` (exit 2: refused)."""
        if self.passed:
            return "PASS"
        return "FAIL" if self.exit_code == 1 else "CANNOT JUDGE"

    @property
    def state(self) -> str:
        """``pass``, ``fail`` or ``refused``: the banner's style."""
        return {0: "pass", 1: "fail"}.get(self.exit_code, "refused") if not self.passed else "pass"

    @property
    def icon(self) -> str:
        """The Markdown summary's mark: a refusal is not a failure."""
        return {"pass": "✅", "fail": "❌"}.get(self.state, "⚠️")


@dataclass(frozen=True)
class ChangePointView:
    """A detected step in a result's history (``index`` is the first point of the new level)."""

    index: int
    label: str
    before: float
    after: float
    relative_change: float


@dataclass(frozen=True)
class ChartPoint:
    """One run's median of one result; ``index`` is its position in the series."""

    index: int
    commit: str
    created: str
    value: float


@dataclass(frozen=True)
class HistorySeries:
    """One result's medians over past runs on this machine, oldest first."""

    id: str
    unit: str
    points: tuple[ChartPoint, ...]
    change_points: tuple[ChangePointView, ...] = ()


@dataclass(frozen=True)
class PhaseTiming:
    """Median seconds one training phase took for one model type."""

    model_type: str
    phase: str
    seconds: float


@dataclass(frozen=True)
class LoadPoint:
    """One load-test figure: a target's metric, possibly at one point of a sweep."""

    target: str
    metric: str
    value: float
    unit: str
    params: Mapping[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class LoadView:
    """The load test's figures, grouped for the charts."""

    spectrum: tuple[tuple[str, float, float], ...] = ()
    """(target, percentile in [0, 100), latency) points."""
    latency_unit: str = ""
    throughput: tuple[LoadPoint, ...] = ()
    error_rates: tuple[LoadPoint, ...] = ()
    costs: tuple[LoadPoint, ...] = ()
    other: tuple[LoadPoint, ...] = ()

    @property
    def empty(self) -> bool:
        """True when there is nothing to show."""
        return not (
            self.spectrum or self.throughput or self.error_rates or self.costs or self.other
        )


@dataclass(frozen=True)
class ClaimRow:
    """One entry of the claims ledger."""

    name: str
    description: str
    claimed: str
    measured: str
    status: str
    note: str = ""


# The alert manager's totals (perfcore.optimisation.alertmanager) as the report names them.
_ALERT_TOTALS = (
    ("observed", "values observed"),
    ("fired", "fired"),
    ("notified", "notified"),
    ("escalated", "escalated"),
    ("acknowledged", "acknowledged"),
    ("quiet_acknowledged", "fired while acknowledged"),
    ("suppressed", "suppressed"),
    ("cooldown", "held by cooldown"),
    ("resolved", "resolved"),
    ("delivered", "delivered"),
    ("delivery_failed", "failed deliveries"),
    ("retried", "retried"),
    ("dropped", "dropped after retries"),
)


@dataclass(frozen=True)
class AlertsView:
    """The alert manager's statistics, when the run evaluated alerts.

    ``counts`` are the manager's totals (fired, notified, escalated, acknowledged,
    suppressed, cooldown, delivered, delivery_failed, retried, dropped, ...);
    ``rules`` is (rule, times fired), ``channels`` (channel, delivered, failed attempts).
    """

    counts: Mapping[str, int]
    rules: tuple[tuple[str, int], ...] = ()
    channels: tuple[tuple[str, int, int], ...] = ()
    pending: int = 0
    dropped: int = 0
    source: str = ""
    """Which step evaluated them (e.g. ``perfcore tune``)."""

    def count(self, name: str) -> int:
        """One total, 0 when the manager never counted it."""
        return int(self.counts.get(name, 0))

    @property
    def totals(self) -> tuple[tuple[str, int], ...]:
        """(label, count) in a fixed order, every known total shown, then any others."""
        known = tuple((label, self.count(key)) for key, label in _ALERT_TOTALS)
        named = {key for key, _ in _ALERT_TOTALS}
        extra = tuple((k, int(n)) for k, n in sorted(self.counts.items()) if k not in named)
        return known + extra


@dataclass(frozen=True)
class ReportData:
    """Everything one report shows; the only input of every renderer."""

    title: str
    generated: str
    gate: GateView
    rows: tuple[ResultRow, ...]
    environment: tuple[tuple[str, str], ...] = ()
    history: tuple[HistorySeries, ...] = ()
    training: tuple[PhaseTiming, ...] = ()
    load: LoadView = field(default_factory=LoadView)
    claims: tuple[ClaimRow, ...] = ()
    asv_site: str | None = None
    """Path of the ASV site's index.html, when one was published."""
    alerts: AlertsView | None = None
    """Alert statistics; None when the run evaluated no alerts (the section is left out)."""

    def rows_with(self, *verdicts: str) -> tuple[ResultRow, ...]:
        """Rows whose verdict is one of ``verdicts``, in table order."""
        return tuple(r for r in self.rows if r.verdict in verdicts)
