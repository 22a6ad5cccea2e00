"""Adapt the analysis objects (comparisons, gate, history, claims) into a ReportData.

The adapters are written against small read-only protocols, not the concrete
classes, so the report depends only on the fields it shows.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping, Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import Protocol

import numpy as np

from perfcore._version import package_version
from perfcore.analysis.changepoints import ChangePoint, find_change_points
from perfcore.analysis.comparison import VERDICTS
from perfcore.report.model import (
    AlertsView,
    ChangePointView,
    ChartPoint,
    ClaimRow,
    GateView,
    HistorySeries,
    ReportData,
    ResultRow,
)
from perfcore.report.sections import load_view, training_phases
from perfcore.results.history import series
from perfcore.results.model import ResultSet

__all__ = [
    "ChangePointLike",
    "ClaimLike",
    "ClaimSpecLike",
    "ComparisonLike",
    "DecisionLike",
    "SuiteLike",
    "build_report_data",
    "history_change_points",
]


class ComparisonLike(Protocol):
    """What the report reads of one comparison (perfcore.analysis.compare.Comparison)."""

    @property
    def id(self) -> str: ...
    @property
    def unit(self) -> str: ...
    @property
    def better(self) -> str: ...
    @property
    def baseline_samples(self) -> Sequence[float]: ...
    @property
    def current_samples(self) -> Sequence[float]: ...
    @property
    def baseline_median(self) -> float | None: ...
    @property
    def current_median(self) -> float | None: ...
    @property
    def ratio(self) -> float | None: ...
    @property
    def ci_low(self) -> float | None: ...
    @property
    def ci_high(self) -> float | None: ...
    @property
    def p_value(self) -> float | None: ...
    @property
    def p_adjusted(self) -> float | None: ...
    @property
    def threshold(self) -> float | None: ...
    @property
    def mdc(self) -> float | None: ...
    @property
    def verdict(self) -> str: ...


class SuiteLike(Protocol):
    """What the report reads of a suite comparison (SuiteComparison)."""

    @property
    def comparisons(self) -> Sequence[ComparisonLike]: ...
    @property
    def alpha(self) -> float: ...
    @property
    def method(self) -> str: ...
    @property
    def confidence(self) -> float: ...
    def counts(self) -> Mapping[str, int]: ...


class DecisionLike(Protocol):
    """What the report reads of the gate's decision (GateDecision)."""

    @property
    def passed(self) -> bool: ...
    @property
    def exit_code(self) -> int: ...
    @property
    def reasons(self) -> Sequence[str]: ...


class ChangePointLike(Protocol):
    """What the report reads of one change point (perfcore.analysis.changepoints.ChangePoint)."""

    @property
    def index(self) -> int: ...
    @property
    def label(self) -> str: ...
    @property
    def before_mean(self) -> float: ...
    @property
    def after_mean(self) -> float: ...
    @property
    def relative_change(self) -> float: ...


class ClaimSpecLike(Protocol):
    """What the report reads of a claim (perfcore.results.claims_file.Claim)."""

    @property
    def name(self) -> str: ...
    @property
    def description(self) -> str: ...
    @property
    def unit(self) -> str: ...
    @property
    def range_text(self) -> str: ...


class ClaimLike(Protocol):
    """What the report reads of one judged claim (perfcore.analysis.claims.ClaimVerdict)."""

    @property
    def claim(self) -> ClaimSpecLike: ...
    @property
    def status(self) -> str: ...
    @property
    def measured(self) -> float | None: ...
    @property
    def note(self) -> str: ...


def _finite(value: float | None) -> float | None:
    if value is None:
        return None
    value = float(value)
    return value if math.isfinite(value) else None


def _row(c: ComparisonLike) -> ResultRow:
    return ResultRow(
        id=c.id,
        unit=c.unit,
        better=c.better,
        verdict=c.verdict,
        baseline_median=_finite(c.baseline_median),
        current_median=_finite(c.current_median),
        ratio=_finite(c.ratio),
        ci_low=_finite(c.ci_low),
        ci_high=_finite(c.ci_high),
        p_value=_finite(c.p_value),
        p_adjusted=_finite(c.p_adjusted),
        threshold=_finite(c.threshold),
        mdc=_finite(c.mdc),
        baseline_samples=tuple(float(s) for s in c.baseline_samples),
        current_samples=tuple(float(s) for s in c.current_samples),
    )


def _sorted_rows(suite: SuiteLike) -> tuple[ResultRow, ...]:
    order: dict[str, int] = {v: i for i, v in enumerate(VERDICTS)}
    rows = [_row(c) for c in suite.comparisons]
    return tuple(sorted(rows, key=lambda r: (order.get(r.verdict, len(order)), r.id)))


def _gate(suite: SuiteLike, decision: DecisionLike, allow_missing: bool) -> GateView:
    counts: dict[str, int] = dict.fromkeys(VERDICTS, 0)
    counts.update(suite.counts())
    return GateView(
        passed=bool(decision.passed),
        exit_code=int(decision.exit_code),
        reasons=tuple(decision.reasons),
        counts=counts,
        alpha=_finite(suite.alpha),
        method=str(suite.method),
        allow_missing=allow_missing,
        confidence=_finite(suite.confidence),
    )


def _environment(current: ResultSet, baseline: ResultSet | None) -> tuple[tuple[str, str], ...]:
    run, machine = current.run, current.run.machine
    items = [
        ("machine id", machine.id),
        ("cpu", machine.cpu),
        ("cores", str(machine.cores)),
        ("memory", f"{machine.ram_bytes / 1024**3:.1f} GiB"),
        ("os", machine.os),
        ("python", machine.python),
        ("current run", run.created),
        ("current commit", _commit_label(current)),
        ("source", run.source),
    ]
    if baseline is not None:
        items += [
            ("baseline run", baseline.run.created),
            ("baseline commit", _commit_label(baseline)),
        ]
        if baseline.run.machine.id != machine.id:
            items.append(("baseline machine id", baseline.run.machine.id))
    items.append(("perfcore", package_version()))
    return tuple(items)


def _commit_label(results: ResultSet) -> str:
    commit = results.run.commit
    if not commit.id:
        return "(not a git checkout)"
    label = commit.id[:12] + (f" on {commit.branch}" if commit.branch else "")
    return label + (" (dirty)" if commit.dirty else "")


def _history(
    runs: Sequence[ResultSet],
    change_points: Mapping[str, Sequence[ChangePointLike]],
    wanted: Iterable[str],
) -> tuple[HistorySeries, ...]:
    units = {r.id: r.unit for run in runs for r in run.results}
    out = []
    for rid in sorted(set(wanted) & set(units)):
        # Positions in the series, as change point detection over series() counts them.
        points = tuple(
            ChartPoint(index=i, commit=p.commit[:12], created=p.created, value=p.value)
            for i, p in enumerate(series(runs, rid))
        )
        if points:
            steps = tuple(_change_point(c) for c in change_points.get(rid, ()))
            out.append(HistorySeries(id=rid, unit=units[rid], points=points, change_points=steps))
    return tuple(out)


def _change_point(c: ChangePointLike) -> ChangePointView:
    return ChangePointView(
        index=int(c.index),
        label=str(c.label)[:12],
        before=float(c.before_mean),
        after=float(c.after_mean),
        relative_change=float(c.relative_change),
    )


def history_change_points(
    runs: Sequence[ResultSet],
    result_ids: Iterable[str],
    *,
    min_points: int = 8,
    rng: np.random.Generator | None = None,
) -> dict[str, tuple[ChangePoint, ...]]:
    """Change points of each result's history of medians (series with >= ``min_points``).

    Labels are commit ids, so a step names the commit where it began.
    """
    generator = rng if rng is not None else np.random.default_rng(0)
    found: dict[str, tuple[ChangePoint, ...]] = {}
    for rid in result_ids:
        points = series(runs, rid)
        if len(points) >= min_points:
            steps = find_change_points(
                [p.value for p in points], [p.commit for p in points], rng=generator
            )
            if steps:
                found[rid] = steps
    return found


def _claim(c: ClaimLike) -> ClaimRow:
    unit = c.claim.unit
    measured = "—" if c.measured is None else f"{c.measured:.4g} {unit}".rstrip()
    return ClaimRow(
        name=c.claim.name,
        description=c.claim.description,
        claimed=c.claim.range_text,
        measured=measured,
        status=str(c.status),
        note=c.note,
    )


def build_report_data(
    suite: SuiteLike,
    *,
    current: ResultSet,
    decision: DecisionLike,
    baseline: ResultSet | None = None,
    allow_missing: bool = False,
    history: Iterable[ResultSet] | None = None,
    change_points: Mapping[str, Sequence[ChangePointLike]] | None = None,
    claims: Iterable[ClaimLike] | None = None,
    load: ResultSet | None = None,
    asv_site: str | Path | None = None,
    title: str = "perfcore report",
    generated: str | None = None,
    alerts: AlertsView | None = None,
) -> ReportData:
    """Adapt one comparison and its context into the report's view model.

    ``suite`` is the comparison of ``baseline`` with ``current`` and ``decision`` the
    gate's decision on it, both from :func:`perfcore.analysis.judge.judge`. ``history`` is this
    machine's past runs, oldest first; ``change_points`` maps result ids to the steps
    detected in them. Training phases and load figures are read from ``current`` (and
    from ``load`` when the load test wrote its own file). ``asv_site`` is the ASV
    site's index.html, linked when it exists. ``generated`` defaults to now (UTC).
    ``alerts`` is the alert section (:func:`perfcore.report.alerts.alerts_view`), given
    when the run evaluated alerts.
    """
    rows = _sorted_rows(suite)
    extra_load = load.results if load is not None else ()
    asv = Path(asv_site) if asv_site is not None else None
    return ReportData(
        title=title,
        generated=generated or datetime.now(UTC).replace(microsecond=0).isoformat(),
        gate=_gate(suite, decision, allow_missing),
        rows=rows,
        environment=_environment(current, baseline),
        history=_history(list(history or ()), change_points or {}, (r.id for r in rows)),
        training=training_phases(current.results),
        load=load_view((*current.results, *extra_load)),
        claims=tuple(_claim(c) for c in claims or ()),
        asv_site=str(asv.resolve()) if asv is not None and asv.is_file() else None,
        alerts=alerts,
    )
