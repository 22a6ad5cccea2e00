"""Adapt the analysis objects (comparisons, gate, history, claims) into a ReportData.

The adapters are written against small read-only protocols, not the concrete
classes, so the report depends only on the fields it shows.
"""

from __future__ import annotations

import math
import statistics
from collections.abc import Iterable, Mapping, Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import Protocol

from perfcore.report.model import (
    VERDICTS,
    ChangePointView,
    ClaimRow,
    GateView,
    HistoryPoint,
    HistorySeries,
    ReportData,
    ResultRow,
)
from perfcore.report.sections import load_view, training_phases
from perfcore.results.model import ResultSet

__all__ = [
    "ChangePointLike",
    "ClaimLike",
    "ComparisonLike",
    "DecisionLike",
    "SuiteLike",
    "build_report_data",
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
    """What the report reads of one detected change point."""

    @property
    def index(self) -> int: ...
    @property
    def commit(self) -> str: ...
    @property
    def before_mean(self) -> float: ...
    @property
    def after_mean(self) -> float: ...
    @property
    def relative_change(self) -> float: ...


class ClaimLike(Protocol):
    """What the report reads of one claim outcome."""

    @property
    def name(self) -> str: ...
    @property
    def description(self) -> str: ...
    @property
    def measured(self) -> object: ...
    @property
    def status(self) -> str: ...


def _finite(value: float | None) -> float | None:
    if value is None:
        return None
    value = float(value)
    return value if math.isfinite(value) else None


def _row(c: ComparisonLike) -> ResultRow:
    return ResultRow(
        id=c.id, unit=c.unit, better=c.better, verdict=c.verdict,
        baseline_median=_finite(c.baseline_median), current_median=_finite(c.current_median),
        ratio=_finite(c.ratio), ci_low=_finite(c.ci_low), ci_high=_finite(c.ci_high),
        p_value=_finite(c.p_value), p_adjusted=_finite(c.p_adjusted),
        threshold=_finite(c.threshold), mdc=_finite(c.mdc),
        baseline_samples=tuple(float(s) for s in c.baseline_samples),
        current_samples=tuple(float(s) for s in c.current_samples),
    )


def _sorted_rows(suite: SuiteLike) -> tuple[ResultRow, ...]:
    order = {v: i for i, v in enumerate(VERDICTS)}
    rows = [_row(c) for c in suite.comparisons]
    return tuple(sorted(rows, key=lambda r: (order.get(r.verdict, len(order)), r.id)))


def _gate(suite: SuiteLike, decision: DecisionLike | None, allow_missing: bool) -> GateView:
    counts = {v: 0 for v in VERDICTS}
    counts.update(suite.counts())
    if decision is None:
        from perfcore.analysis.compare import decide_gate

        decision = decide_gate(suite, allow_missing=allow_missing)  # type: ignore[arg-type]
    return GateView(passed=bool(decision.passed), exit_code=int(decision.exit_code),
                    reasons=tuple(decision.reasons), counts=counts,
                    alpha=_finite(suite.alpha), method=str(suite.method),
                    allow_missing=allow_missing)


def _environment(current: ResultSet, baseline: ResultSet | None) -> tuple[tuple[str, str], ...]:
    from perfcore import __version__

    run, machine = current.run, current.run.machine
    items = [
        ("machine id", machine.id), ("cpu", machine.cpu), ("cores", str(machine.cores)),
        ("memory", f"{machine.ram_bytes / 1024**3:.1f} GiB"), ("os", machine.os),
        ("python", machine.python), ("current run", run.created),
        ("current commit", _commit_label(current)), ("source", run.source),
    ]
    if baseline is not None:
        items += [("baseline run", baseline.run.created),
                  ("baseline commit", _commit_label(baseline))]
        if baseline.run.machine.id != machine.id:
            items.append(("baseline machine id", baseline.run.machine.id))
    items.append(("perfcore", __version__))
    return tuple(items)


def _commit_label(results: ResultSet) -> str:
    commit = results.run.commit
    if not commit.id:
        return "(not a git checkout)"
    label = commit.id[:12] + (f" on {commit.branch}" if commit.branch else "")
    return label + (" (dirty)" if commit.dirty else "")


def _history(runs: Sequence[ResultSet], change_points: Mapping[str, Sequence[ChangePointLike]],
             wanted: set[str]) -> tuple[HistorySeries, ...]:
    series: dict[str, list[HistoryPoint]] = {}
    units: dict[str, str] = {}
    for index, run in enumerate(runs):
        for result in run.results:
            if result.samples and (not wanted or result.id in wanted):
                point = HistoryPoint(index=index, commit=run.run.commit.id[:12],
                                     created=run.run.created,
                                     value=statistics.median(result.samples))
                series.setdefault(result.id, []).append(point)
                units.setdefault(result.id, result.unit)
    return tuple(
        HistorySeries(id=rid, unit=units[rid], points=tuple(points),
                      change_points=tuple(_change_point(c) for c in change_points.get(rid, ())))
        for rid, points in sorted(series.items())
    )


def _change_point(c: ChangePointLike) -> ChangePointView:
    return ChangePointView(index=int(c.index), commit=str(c.commit)[:12],
                           before=float(c.before_mean), after=float(c.after_mean),
                           relative_change=float(c.relative_change))


def _claim(c: ClaimLike) -> ClaimRow:
    measured = c.measured
    if isinstance(measured, float):
        text = f"{measured:.4g}"
    else:
        text = "—" if measured is None else str(measured)
    return ClaimRow(name=str(c.name), description=str(c.description), measured=text,
                    status=str(c.status))


def build_report_data(
    suite: SuiteLike,
    *,
    current: ResultSet,
    baseline: ResultSet | None = None,
    decision: DecisionLike | None = None,
    allow_missing: bool = False,
    history: Iterable[ResultSet] | None = None,
    change_points: Mapping[str, Sequence[ChangePointLike]] | None = None,
    claims: Iterable[ClaimLike] | None = None,
    load: ResultSet | None = None,
    asv_site: str | Path | None = None,
    title: str = "perfcore report",
    generated: str | None = None,
) -> ReportData:
    """Adapt one comparison and its context into the report's view model.

    ``suite`` is the comparison of ``baseline`` with ``current``; ``decision`` is the
    gate's decision (computed with ``decide_gate`` when omitted). ``history`` is this
    machine's past runs, oldest first; ``change_points`` maps result ids to the steps
    detected in them. Training phases and load figures are read from ``current`` (and
    from ``load`` when the load test wrote its own file). ``asv_site`` is the ASV
    site's index.html, linked when it exists. ``generated`` defaults to now (UTC).
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
        history=_history(list(history or ()), change_points or {}, {r.id for r in rows}),
        training=training_phases(current.results),
        load=load_view((*current.results, *extra_load)),
        claims=tuple(_claim(c) for c in claims or ()),
        asv_site=str(asv.resolve()) if asv is not None and asv.is_file() else None,
    )
