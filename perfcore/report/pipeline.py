"""One call from results to a rendered report: compare, find steps, judge claims, render.

This is what ``perfcore report`` and the main job (``perfcore run``) call; it takes
objects already read from disk, so the file handling stays in the faces.
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from perfcore.analysis.claims import judge_claims
from perfcore.analysis.compare import GateDecision, SuiteComparison
from perfcore.analysis.judge import JudgeSettings, judge
from perfcore.report.build import build_report_data, history_change_points
from perfcore.report.model import AlertsView, ReportData
from perfcore.report.render import ReportPaths, render_report
from perfcore.results.claims_file import Claim
from perfcore.results.model import ResultSet

__all__ = ["Report", "make_report"]


@dataclass(frozen=True)
class Report:
    """A rendered report: what it shows and where its files are."""

    data: ReportData
    paths: ReportPaths
    decision: GateDecision

    @property
    def verdict_line(self) -> str:
        """One line for the end of a command: verdict, counts and the report's path."""
        gate = self.data.gate
        counts = ", ".join(f"{n} {v}" for v, n in gate.counts.items() if n)
        return f"{gate.label} ({counts or 'nothing compared'}) — report: {self.paths.html}"


def make_report(
    baseline: ResultSet,
    current: ResultSet,
    out_dir: str | os.PathLike[str],
    *,
    judging: JudgeSettings | None = None,
    judged: tuple[SuiteComparison, GateDecision] | None = None,
    history: Sequence[ResultSet] = (),
    claims: Sequence[Claim] = (),
    load: ResultSet | None = None,
    asv_site: str | Path | None = None,
    rng: np.random.Generator | None = None,
    alerts: AlertsView | None = None,
) -> Report:
    """Judge (unless ``judged`` holds the suite and decision already), write the report.

    The judging is :func:`perfcore.analysis.judge.judge` with ``judging`` (the rule's
    numbers, calibrated noise, the machine-shift guard), as in every other command.
    ``history`` is this machine's past runs, oldest first (change points are found in
    it with ``rng``); ``claims`` are judged against ``current`` plus ``load``.
    ``alerts`` (from :func:`perfcore.report.alerts.alerts_view`) adds the alert section
    when the run evaluated alerts.
    """
    judging = judging or JudgeSettings()
    suite, decision = judged if judged is not None else judge(baseline, current, judging)
    ids = [c.id for c in suite.comparisons]
    steps = history_change_points(history, ids, rng=rng) if history else {}
    measured = current.by_id() | (load.by_id() if load is not None else {})
    data = build_report_data(
        suite,
        current=current,
        baseline=baseline,
        decision=decision,
        allow_missing=judging.allow_missing,
        history=history,
        change_points=steps,
        claims=judge_claims(claims, measured),
        load=load,
        asv_site=asv_site,
        alerts=alerts,
    )
    return Report(data=data, paths=render_report(data, out_dir), decision=decision)
