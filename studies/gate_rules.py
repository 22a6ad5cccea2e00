"""The gate study's rules: perfcore's and the reference tools', each judging one comparison.

A rule takes the study's :class:`Context` (settings and options, built once from the command
line), a baseline and a current side, the ids judged and the :class:`Noise` model, and
returns the ids it flags as regressed (None: its gate refused, exit 2). Nothing in perfcore
is patched: what a rule varies is an argument perfcore already takes.
"""

from __future__ import annotations

import math
import statistics
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field, replace

import numpy as np

from perfcore.analysis.compare import (
    SuiteComparison,
    compare_suites,
    decide_gate,
    decide_with_rerun,
    paired_spread,
)
from perfcore.analysis.noise import pool_spread
from perfcore.config import Settings
from perfcore.results.model import Result, ResultSet
from perfcore.results.readers import merge_runs


@dataclass(frozen=True)
class Noise:
    """Between-run SD per id learnt from ``runs`` no-change runs (empty: the default).

    ``paired``: judge interleaved rounds pair by pair, with ``paired_prior[id]`` the
    (variance, df) of per-round differences learnt from other gate runs (empty: the
    prior fitted across the suite).
    """

    sd: Mapping[str, float] = field(default_factory=dict)
    runs: int = 0
    paired: bool = False
    paired_prior: Mapping[str, tuple[float, float]] = field(default_factory=dict)
    guard: str = "spread"


Sides = tuple[tuple[int, ...], tuple[int, ...]]


@dataclass(frozen=True)
class Context:
    """What the rules judge with, built once by :func:`main` and passed to each rule.

    ``blocks``: the gate runs read by :func:`read_gate_dirs` (each the (A, B) run indices
    of one ``gate --against``), from which :func:`learnt_prior` pools. ``mann_whitney``:
    False leaves U out of perfcore's rule (``--without-u``). ``priors`` caches learnt
    priors per judged window; it is derived data, not an option.
    """

    settings: Settings = field(default_factory=Settings)
    blocks: tuple[Sides, ...] = ()
    mann_whitney: bool = True
    priors: dict[Sides, dict[str, tuple[float, float]]] = field(
        default_factory=dict, compare=False, repr=False
    )


# A rule flags the ids it calls regressed; None: its gate refused the comparison (exit 2,
# the machine-shift guard), which counts as no alarm.


Rule = Callable[[Context, ResultSet, ResultSet, Sequence[str], Noise], set[str] | None]


def _bad_values(result: Result) -> list[float]:
    """Samples oriented so that larger is worse (times as they are, rates inverted)."""
    return list(result.samples) if result.better == "lower" else [1 / s for s in result.samples]


def rule_pytest_benchmark(
    _ctx: Context, base: ResultSet, curr: ResultSet, ids: Sequence[str], _noise: Noise
) -> set[str]:
    """pytest-benchmark's ``median:5%`` compare-fail check, per benchmark."""
    b, c = base.by_id(), curr.by_id()
    flagged = set()
    for rid in ids:
        old = statistics.median(_bad_values(b[rid]))
        new = statistics.median(_bad_values(c[rid]))
        if new / old * 100 - 100 > 5.0:
            flagged.add(rid)
    return flagged


def rule_asv(
    _ctx: Context, base: ResultSet, curr: ResultSet, ids: Sequence[str], _noise: Noise
) -> set[str]:
    """``asv compare --factor 1.1``: asv's own check, fed asv's own statistics."""
    from asv.commands.compare import _is_result_better
    from asv_runner.statistics import compute_stats

    b, c = base.by_id(), curr.by_id()
    flagged = set()
    for rid in ids:
        s1, s2 = _bad_values(b[rid]), _bad_values(c[rid])
        t1, st1 = compute_stats(s1, 1)
        t2, st2 = compute_stats(s2, 1)
        if _is_result_better(t1, t2, (st1, s1), (st2, s2), 1.1):
            flagged.add(rid)
    return flagged


def _judge(
    ctx: Context, base: ResultSet, curr: ResultSet, noise: Noise, family: int | None = None
) -> SuiteComparison:
    """perfcore's verdicts, with the SD's degrees of freedom as the gate reads them from
    noise.json (the runs it was learnt from, less one)."""
    df = {rid: float(noise.runs - 1) for rid in noise.sd} if noise.sd else None
    return compare_suites(
        base,
        curr,
        settings=ctx.settings,
        between_run_sd=noise.sd or None,
        between_run_df=df,
        paired=noise.paired,
        paired_prior=noise.paired_prior,
        pair_guard=noise.guard,
        family_size=family,
        mann_whitney=ctx.mann_whitney,
    )


def rule_perfcore(
    ctx: Context, base: ResultSet, curr: ResultSet, ids: Sequence[str], noise: Noise
) -> set[str]:
    """perfcore's gate rule."""
    return {c.id for c in _judge(ctx, base, curr, noise).regressions()}


def _split(merged: ResultSet) -> tuple[ResultSet, ResultSet]:
    """A current side merged from (run, re-run): the two runs apart. Each run holds
    half of the round labels (one per pass), the run's first half first."""

    def part(r: Result, second: bool) -> Result:
        labels = r.extra["rounds"]
        order = sorted(set(labels))
        mine = set(order[len(order) // 2 :] if second else order[: len(order) // 2])
        kept = [(x, g) for x, g in zip(r.samples, labels, strict=True) if g in mine]
        extra = {k: v for k, v in r.extra.items() if k != "rounds"}
        if len(mine) > 1:
            extra["rounds"] = [g for _, g in kept]
        return replace(r, samples=tuple(x for x, _ in kept), extra=extra)

    return (
        ResultSet(run=merged.run, results=tuple(part(r, False) for r in merged.results)),
        ResultSet(run=merged.run, results=tuple(part(r, True) for r in merged.results)),
    )


def rule_perfcore_first(
    ctx: Context, base: ResultSet, curr: ResultSet, ids: Sequence[str], noise: Noise
) -> set[str]:
    """perfcore's rule on the first run alone (what the re-run is compared with)."""
    return rule_perfcore(ctx, base, _split(curr)[0], ids, noise)


def _two_stage(ctx: Context, base: ResultSet, curr: ResultSet, noise: Noise) -> SuiteComparison:
    """perfcore run's decision: what the first run shows slower is re-run, and decided
    on both runs together (:func:`perfcore.analysis.compare.decide_with_rerun`)."""
    plain = replace(noise, paired=False, paired_prior={}, guard="spread")
    first, again = _split(curr)

    def judge(b: ResultSet, c: ResultSet, family: int | None = None) -> SuiteComparison:
        return _judge(ctx, b, c, plain, family)

    return decide_with_rerun(judge(base, first), (base, first), again, judge)


def rule_perfcore_confirmed(
    ctx: Context, base: ResultSet, curr: ResultSet, ids: Sequence[str], noise: Noise
) -> set[str]:
    """The two stages without the machine-shift guard."""
    return {c.id for c in _two_stage(ctx, base, curr, noise).regressions()}


def rule_perfcore_guarded(
    ctx: Context, base: ResultSet, curr: ResultSet, ids: Sequence[str], noise: Noise
) -> set[str] | None:
    """The two stages with the gate's machine-shift guard: where the timed results moved
    together, the gate refuses (exit 2, None here) instead of failing."""
    suite = _two_stage(ctx, base, curr, noise)
    if decide_gate(suite, allow_missing=True, shift_guard=True).exit_code == 2:
        return None
    return {c.id for c in suite.regressions()}


def rule_perfcore_both_flag(
    ctx: Context, base: ResultSet, curr: ResultSet, ids: Sequence[str], noise: Noise
) -> set[str]:
    """The previous confirmation (until 2026-11-24): regressed on the first run and
    regressed again on the re-run alone, each at the family-wise level."""
    first, again = _split(curr)
    flagged = rule_perfcore(ctx, base, first, ids, noise)
    if not flagged:
        return set()
    return flagged & rule_perfcore(ctx, base.only(flagged), again.only(flagged), ids, noise)


def log_medians(runs: Sequence[ResultSet], ids: Sequence[str]) -> np.ndarray:
    """K x B matrix of the log of each run's median per benchmark."""
    return np.log([[statistics.median(r.by_id()[i].samples) for i in ids] for r in runs])


def leave_out(logs: np.ndarray, judged: Sequence[int], ids: Sequence[str]) -> Noise:
    """Between-run SD per id (of the log run medians, what ``perfcore calibrate``
    stores and the gate reads) learnt from every run except the ``judged`` ones."""
    keep = [k for k in range(logs.shape[0]) if k not in judged]
    sd = logs[keep].std(axis=0, ddof=1)
    return Noise({rid: float(v) for rid, v in zip(ids, sd, strict=True)}, len(keep))


def learnt_prior(
    ctx: Context, runs: Sequence[ResultSet], window: Sides, ids: Sequence[str]
) -> dict[str, tuple[float, float]]:
    """What ``gate --against`` learns from earlier gates: per id, the pooled variance
    (and df) of per-round differences over every gate run (``ctx.blocks``: the rounds of
    one ``gate --against``) that shares no run with the judged ``window``."""
    if window not in ctx.priors:
        mine = set(window[0]) | set(window[1])
        pool: dict[str, tuple[float, float]] = {}
        for a, b in ctx.blocks:
            if not mine & (set(a) | set(b)):
                pool = pool_spread(
                    pool, paired_spread(side(runs, a), side(runs, b)), max_df=math.inf
                )
        ctx.priors[window] = {rid: pool[rid] for rid in ids if rid in pool}
    return ctx.priors[window]


def side(runs: Sequence[ResultSet], idx: tuple[int, ...]) -> ResultSet:
    if len(idx) == 1:
        return runs[idx[0]]
    return merge_runs([runs[i] for i in idx])


def slowed(run: ResultSet, rid: str, s: float) -> ResultSet:
    def slow(r: Result) -> Result:
        f = (1 + s) if r.better == "lower" else 1 / (1 + s)
        return replace(r, samples=tuple(x * f for x in r.samples))

    return ResultSet(run=run.run, results=tuple(slow(r) if r.id == rid else r for r in run.results))


# Each rule with where its noise comes from: "" the gate's default, "leave-pair-out" every
# run but the judged ones, "baseline" the runs that make up the baseline, "paired[-learnt]:G"
# interleaved rounds judged pair by pair (suite or learnt prior, guard G).


REFERENCE_RULES: dict[str, tuple[Rule, str]] = {
    "perfcore": (rule_perfcore, ""),
    "perfcore+noise": (rule_perfcore, "leave-pair-out"),
    "pytest-benchmark median:5%": (rule_pytest_benchmark, ""),
    "asv 1.1x p<0.002": (rule_asv, ""),
}


CONFIRM_RULES: dict[str, tuple[Rule, str]] = {
    "perfcore (calibrated baseline), one run": (rule_perfcore_first, "baseline"),
    "previous confirmation: both runs regressed": (rule_perfcore_both_flag, "baseline"),
    "perfcore run: screen, then both runs together": (rule_perfcore_confirmed, "baseline"),
    "same, with the machine-shift guard (perfcore run now)": (rule_perfcore_guarded, "baseline"),
}


INTERLEAVED_RULES: dict[str, tuple[Rule, str]] = {
    "perfcore rounds, unpaired (Welch)": (rule_perfcore, ""),
    "perfcore paired, suite prior": (rule_perfcore, "paired:spread"),
    "perfcore paired, learnt prior": (rule_perfcore, "paired-learnt:spread"),
    "perfcore paired, learnt prior, drop-one guard": (rule_perfcore, "paired-learnt:drop"),
    "perfcore paired, learnt prior, no guard": (rule_perfcore, "paired-learnt:none"),
}
