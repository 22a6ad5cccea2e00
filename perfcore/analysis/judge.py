"""The one judging entry point: baseline against current, to verdicts and the gate's decision.

``perfcore gate``, ``compare``, ``report`` and ``run`` all call :func:`judge` with a
:class:`JudgeSettings`, so the same inputs and settings give the same decision in every
command. The rule itself is :func:`perfcore.analysis.compare.compare_suites` (verdicts)
and :func:`perfcore.analysis.compare.decide_gate` (pass, fail or refuse); this module
only chooses their options in one place.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from typing import Any

from perfcore.analysis.compare import (
    GateDecision,
    SuiteComparison,
    compare_suites,
    confirm_in_fresh_rounds,
    decide_gate,
    decide_with_rerun,
)
from perfcore.analysis.disturbed import is_busy, mark_disturbed
from perfcore.config import Settings
from perfcore.results.model import ResultSet

__all__ = ["JudgeSettings", "judge"]


@dataclass(frozen=True)
class JudgeSettings:
    """How a baseline and a current run are judged.

    ``threshold``/``thresholds``/``alpha``: the rule's numbers (``[tool.perfcore]``).
    ``between_run_sd``/``between_run_df``: calibrated between-run noise per result id
    (``perfcore calibrate``), named by ``noise_source``. ``paired``: the sides are
    interleaved rounds (``gate --against``), judged on per-round differences with
    ``paired_prior``. ``shift_guard``: refuse (exit 2) a stored baseline when every
    timed result moved together (the machine changed); never applied to paired rounds,
    which ran on one machine at one time. ``allow_missing``: a result missing from the
    current run does not fail.
    """

    threshold: float = 0.05
    alpha: float = 0.01
    thresholds: Mapping[str, float] = field(default_factory=dict)
    between_run_sd: Mapping[str, float] = field(default_factory=dict)
    between_run_df: Mapping[str, float] = field(default_factory=dict)
    noise_source: str | None = None
    paired: bool = False
    paired_prior: Mapping[str, tuple[float, float]] = field(default_factory=dict)
    shift_guard: bool = True
    allow_missing: bool = False

    def __post_init__(self) -> None:
        self.rule  # noqa: B018 -- validates threshold(s) and alpha as Settings does

    @classmethod
    def from_settings(cls, settings: Settings, **options: Any) -> JudgeSettings:
        """The rule's numbers from ``[tool.perfcore]`` settings, plus ``options``."""
        return cls(
            threshold=settings.threshold,
            alpha=settings.alpha,
            thresholds=dict(settings.thresholds),
            **options,
        )

    @property
    def rule(self) -> Settings:
        """The threshold(s) and alpha as the comparison takes them."""
        return Settings(
            threshold=self.threshold, alpha=self.alpha, thresholds=dict(self.thresholds)
        )

    def with_noise(
        self, sd: Mapping[str, float], df: Mapping[str, float], source: str
    ) -> JudgeSettings:
        """These settings with calibrated between-run noise read from ``source``."""
        return replace(self, between_run_sd=dict(sd), between_run_df=dict(df), noise_source=source)


def compare(
    baseline: ResultSet, current: ResultSet, settings: JudgeSettings, family_size: int | None = None
) -> SuiteComparison:
    """The verdicts alone (the first stage), with ``settings``' noise and pairing."""
    return compare_suites(
        baseline,
        current,
        settings=settings.rule,
        between_run_sd=settings.between_run_sd,
        between_run_df=settings.between_run_df,
        paired=settings.paired,
        paired_prior=settings.paired_prior,
        family_size=family_size,
    )


def judge(
    baseline: ResultSet,
    current: ResultSet,
    settings: JudgeSettings | None = None,
    *,
    rerun: ResultSet | None = None,
    fresh: tuple[ResultSet, ResultSet] | None = None,
) -> tuple[SuiteComparison, GateDecision]:
    """Judge ``current`` against ``baseline``: every verdict, and whether the gate passes.

    ``rerun``: a later run of the current code (stored baselines); a result timed on a
    busy machine that the re-run measured quietly is judged on the quiet measurement
    alone (the busy one says nothing that can be trusted); what else looks slower is
    decided on both runs together, and must be slower on the re-run alone too
    (:func:`perfcore.analysis.compare.decide_with_rerun`). ``fresh``: fresh paired
    rounds ``(REF, working tree)`` of what the first rounds looked slower on (``gate
    --against``; :func:`perfcore.analysis.compare.confirm_in_fresh_rounds`). A refused
    first stage (exit 2) is not re-judged: a re-run meets the same machine.
    """
    cfg = settings or JudgeSettings()
    suite = compare(baseline, current, cfg)
    first = _decide(suite, cfg)
    if first.exit_code == 2:
        return suite, first
    if rerun is not None:
        quieter, rerun = _quietly_again(current, rerun)
        if quieter is not current:
            current, suite = quieter, compare(baseline, quieter, cfg)
        suite = decide_with_rerun(
            suite, (baseline, current), rerun, lambda b, c, m: compare(b, c, cfg, family_size=m)
        )
    if fresh is not None:
        suite = confirm_in_fresh_rounds(
            suite, (baseline, current), fresh, settings=cfg.rule, paired_prior=cfg.paired_prior
        )
    if not cfg.paired:
        # The busy-machine rule reads the latest measurement of each result: a re-run's.
        # Paired rounds need none: both sides ran in turns beside the same load (in
        # ``rounds`` mode each side is even the other's foreign load, by design).
        latest = current if rerun is None else _overlay(current, rerun)
        suite = mark_disturbed(suite, baseline, latest)
    return suite, _decide(suite, cfg)


def _quietly_again(current: ResultSet, rerun: ResultSet) -> tuple[ResultSet, ResultSet]:
    """``current`` with each busy result that ``rerun`` measured quietly replaced by that
    measurement, and what is left of ``rerun`` (the re-measurements of the rest)."""
    first = current.by_id()
    quiet = {
        r.id: r for r in rerun.results if r.id in first and is_busy(first[r.id]) and not is_busy(r)
    }
    if not quiet:
        return current, rerun
    replaced = tuple(quiet.get(r.id, r) for r in current.results)
    left = tuple(r for r in rerun.results if r.id not in quiet)
    return (
        ResultSet(run=current.run, results=replaced),
        ResultSet(run=rerun.run, results=left),
    )


def _overlay(current: ResultSet, rerun: ResultSet) -> ResultSet:
    again = rerun.by_id()
    return ResultSet(run=current.run, results=tuple(again.get(r.id, r) for r in current.results))


def _decide(suite: SuiteComparison, cfg: JudgeSettings) -> GateDecision:
    return decide_gate(
        suite, allow_missing=cfg.allow_missing, shift_guard=cfg.shift_guard and not cfg.paired
    )
