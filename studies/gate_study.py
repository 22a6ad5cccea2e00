"""How good is the gate? False alarms and power of three regression rules on real runs.

Give it K result files from K repeated runs of the benchmark suite with *no code
change* between them (pytest-benchmark JSON written with ``--benchmark-save-data``,
or perfcore results)::

    for i in $(seq 1 15); do
        .venv/bin/python -m pytest bench/ --benchmark-only -q --quick \\
            --benchmark-save-data --benchmark-json=/tmp/study/run-$i.json
    done
    .venv/bin/python -m studies.gate_study /tmp/study/run-*.json --out /tmp/study/table.md

Every ordered pair of runs (A, B) is one no-change comparison (K = 15 gives 210).
Each rule judges B against A:

* ``perfcore``: :func:`perfcore.compare_suites` with the project's settings and its
  default between-run noise;
* ``perfcore+noise``: the same with per-benchmark between-run noise learnt from the
  *other* K - 2 runs only (leave-pair-out: the pair judged never teaches the model);
* ``pytest-benchmark``: ``--benchmark-compare-fail=median:5%``, i.e. fail when
  ``median(B) / median(A) * 100 - 100 > 5``;
* ``asv``: ``asv compare --factor 1.1``, calling asv's own ``_is_result_better``
  (Mann-Whitney U at p < 0.002 on the raw samples, CI overlap when too few).

False alarms are counted per benchmark comparison and per pair of suites (a gate
fails when any benchmark is flagged). Power: for each pair and each benchmark in
turn, the current side's samples of that one benchmark are slowed by ``s`` (times
``1 + s`` for lower-is-better results, divided by it for higher-is-better ones), the
whole suite is judged again and the injected benchmark must be flagged. The
smallest slowdown flagged in at least 95% of injections is given per group.
``--synthetic K`` runs the same study on generated runs (for developing the script).

State is explicit: a :class:`Context` (the settings judged with, the gate runs a learnt
prior is pooled from, whether Mann-Whitney U takes part) is built once from the
command line and handed to every rule; nothing in perfcore is patched.
"""

from __future__ import annotations

import argparse
import math
import statistics
import sys
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path

import numpy as np

from perfcore._cli._ab_rounds import (
    in_turns,
    kept_interleave,
    read_kept_confirm,
    read_kept_rounds,
)
from perfcore.analysis.compare import (
    SuiteComparison,
    compare_suites,
    confirm_in_fresh_rounds,
    decide_gate,
    decide_with_rerun,
    paired_spread,
    screen_slower,
)
from perfcore.analysis.noise import pool_spread
from perfcore.config import Settings, load_settings
from perfcore.results.model import Machine, Result, ResultSet, RunInfo
from perfcore.results.readers import merge_runs, read_any

SLOWDOWNS = (0.05, 0.10, 0.15, 0.20, 0.30, 0.50)
TARGET_POWER = 0.95


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
        default_factory=dict, compare=False, repr=False)


# A rule flags the ids it calls regressed; None: its gate refused the comparison (exit 2,
# the machine-shift guard), which counts as no alarm.
Rule = Callable[[Context, ResultSet, ResultSet, Sequence[str], Noise], set[str] | None]


# ----------------------------------------------------------------------------- input
def _read(path: Path) -> ResultSet:
    return read_any(path)


def _common(runs: Sequence[ResultSet]) -> tuple[list[ResultSet], list[str]]:
    """Runs restricted to results every run has, with positive samples (log scale)."""
    ids = set.intersection(*(set(r.by_id()) for r in runs))
    ids = {i for i in ids if all(min(r.by_id()[i].samples, default=0) > 0 for r in runs)}
    order = sorted(ids)
    trimmed = [ResultSet(run=r.run, results=tuple(r.by_id()[i] for i in order)) for r in runs]
    return trimmed, order


def _group(result: Result) -> str:
    group = str(result.extra.get("group") or "")
    if group:
        return group
    parts = result.id.replace("::", ".").split(".")
    return ".".join(parts[:2]) if len(parts) > 2 else parts[0]


# ----------------------------------------------------------------------------- rules
def _bad_values(result: Result) -> list[float]:
    """Samples oriented so that larger is worse (times as they are, rates inverted)."""
    return list(result.samples) if result.better == "lower" else [1 / s for s in result.samples]


def rule_pytest_benchmark(_ctx: Context, base: ResultSet, curr: ResultSet,
                          ids: Sequence[str], _noise: Noise) -> set[str]:
    """pytest-benchmark's ``median:5%`` compare-fail check, per benchmark."""
    b, c = base.by_id(), curr.by_id()
    flagged = set()
    for rid in ids:
        old = statistics.median(_bad_values(b[rid]))
        new = statistics.median(_bad_values(c[rid]))
        if new / old * 100 - 100 > 5.0:
            flagged.add(rid)
    return flagged


def rule_asv(_ctx: Context, base: ResultSet, curr: ResultSet, ids: Sequence[str],
             _noise: Noise) -> set[str]:
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


def _judge(ctx: Context, base: ResultSet, curr: ResultSet, noise: Noise,
           family: int | None = None) -> SuiteComparison:
    """perfcore's verdicts, with the SD's degrees of freedom as the gate reads them from
    noise.json (the runs it was learnt from, less one)."""
    df = {rid: float(noise.runs - 1) for rid in noise.sd} if noise.sd else None
    return compare_suites(base, curr, settings=ctx.settings, between_run_sd=noise.sd or None,
                          between_run_df=df, paired=noise.paired,
                          paired_prior=noise.paired_prior, pair_guard=noise.guard,
                          family_size=family, mann_whitney=ctx.mann_whitney)


def rule_perfcore(ctx: Context, base: ResultSet, curr: ResultSet, ids: Sequence[str],
                  noise: Noise) -> set[str]:
    """perfcore's gate rule."""
    return {c.id for c in _judge(ctx, base, curr, noise).regressions()}


# ----------------------------------------------------------------------------- noise
def log_medians(runs: Sequence[ResultSet], ids: Sequence[str]) -> np.ndarray:
    """K x B matrix of the log of each run's median per benchmark."""
    return np.log([[statistics.median(r.by_id()[i].samples) for i in ids] for r in runs])


def leave_out(logs: np.ndarray, judged: Sequence[int], ids: Sequence[str]) -> Noise:
    """Between-run SD per id (of the log run medians, what ``perfcore calibrate``
    stores and the gate reads) learnt from every run except the ``judged`` ones."""
    keep = [k for k in range(logs.shape[0]) if k not in judged]
    sd = logs[keep].std(axis=0, ddof=1)
    return Noise({rid: float(v) for rid, v in zip(ids, sd, strict=True)}, len(keep))


def learnt_prior(ctx: Context, runs: Sequence[ResultSet], window: Sides,
                 ids: Sequence[str]) -> dict[str, tuple[float, float]]:
    """What ``gate --against`` learns from earlier gates: per id, the pooled variance
    (and df) of per-round differences over every gate run (``ctx.blocks``: the rounds of
    one ``gate --against``) that shares no run with the judged ``window``."""
    if window not in ctx.priors:
        mine = set(window[0]) | set(window[1])
        pool: dict[str, tuple[float, float]] = {}
        for a, b in ctx.blocks:
            if not mine & (set(a) | set(b)):
                pool = pool_spread(pool, paired_spread(_side(runs, a), _side(runs, b)),
                                   max_df=math.inf)
        ctx.priors[window] = {rid: pool[rid] for rid in ids if rid in pool}
    return ctx.priors[window]


@dataclass(frozen=True)
class GateRuns:
    """Runs kept by ``gate --against --keep-rounds``, as :func:`read_gate_dirs` reads them."""

    runs: list[ResultSet]
    pairs: list[tuple[int, int]]
    blocks: tuple[Sides, ...]


def read_gate_dirs(dirs: Sequence[Path], *, plain_medians: bool = False) -> GateRuns:
    """Runs kept by ``gate --against --keep-rounds`` in time order, the (A, B) run
    indices of each round (ABBA: round i ran A then B when i is even, else B then A),
    and each folder's rounds as one block (one gate run). ``plain_medians``: judge
    rounds taken in turns by each side's median, not sample by sample."""
    runs: list[ResultSet] = []
    pairs: list[tuple[int, int]] = []
    blocks: list[Sides] = []
    for folder in dirs:
        first_pair = len(pairs)
        turns = kept_interleave(folder) == "rounds" and not plain_medians
        mark = in_turns if turns else (lambda r: r)
        i = 0
        while (folder / f"A-{i:02d}.json").is_file() and (folder / f"B-{i:02d}.json").is_file():
            first, second = ("A", "B") if i % 2 == 0 else ("B", "A")
            runs += [mark(_read(folder / f"{first}-{i:02d}.json")),
                     mark(_read(folder / f"{second}-{i:02d}.json"))]
            a, b = (len(runs) - 2, len(runs) - 1) if first == "A" else (len(runs) - 1,
                                                                          len(runs) - 2)
            pairs.append((a, b))
            i += 1
        mine = pairs[first_pair:]
        if len(mine) > 1:
            blocks.append((tuple(x for x, _ in mine), tuple(y for _, y in mine)))
    return GateRuns(runs, pairs, tuple(blocks))


def interleaved_windows(pairs: Sequence[tuple[int, int]], rounds: int,
                        stride: int) -> list[Sides]:
    """Windows of ``rounds`` consecutive rounds, every ``stride`` rounds: each is one A/A
    gate (A: the runs at REF's position, B: the working tree's)."""
    return [(tuple(a for a, _ in pairs[s:s + rounds]), tuple(b for _, b in pairs[s:s + rounds]))
            for s in range(0, len(pairs) - rounds + 1, stride)]


# ----------------------------------------------------------------------------- study
@dataclass
class Tally:
    """Counts for one rule."""

    alarms: int = 0
    alarm_pairs: int = 0
    pairs: int = 0
    comparisons: int = 0
    refused: int = 0
    hits: dict[tuple[str, float], int] = field(default_factory=dict)
    tries: dict[tuple[str, float], int] = field(default_factory=dict)


def _slowed(run: ResultSet, rid: str, s: float) -> ResultSet:
    def slow(r: Result) -> Result:
        f = (1 + s) if r.better == "lower" else 1 / (1 + s)
        return replace(r, samples=tuple(x * f for x in r.samples))

    return ResultSet(run=run.run,
                     results=tuple(slow(r) if r.id == rid else r for r in run.results))


def baseline_draws(k: int, base_runs: int, draws: int, rng: np.random.Generator,
                   confirm: bool = False) -> list[Sides]:
    """The production layout: a baseline of ``base_runs`` runs against one other run
    (and, with ``confirm``, a third run that re-measures what the second flagged)."""
    extra = 2 if confirm else 1
    if base_runs + extra > k:
        raise SystemExit(f"a baseline of {base_runs} runs needs at least {base_runs + extra} runs")
    out = []
    for n in range(draws):
        current = n % k
        others = [i for i in range(k) if i != current]
        again = tuple(int(x) for x in rng.choice(others, 1)) if confirm else ()
        rest = np.array([i for i in others if i not in again])
        picked = tuple(sorted(rng.choice(rest, base_runs, replace=False).tolist()))
        out.append((picked, (current, *again)))
    return out


def _split(merged: ResultSet) -> tuple[ResultSet, ResultSet]:
    """A current side merged from (run, re-run): the two runs apart. Each run holds
    half of the round labels (one per pass), the run's first half first."""
    def part(r: Result, second: bool) -> Result:
        labels = r.extra["rounds"]
        order = sorted(set(labels))
        mine = set(order[len(order) // 2:] if second else order[: len(order) // 2])
        kept = [(x, g) for x, g in zip(r.samples, labels, strict=True) if g in mine]
        extra = {k: v for k, v in r.extra.items() if k != "rounds"}
        if len(mine) > 1:
            extra["rounds"] = [g for _, g in kept]
        return replace(r, samples=tuple(x for x, _ in kept), extra=extra)

    return (ResultSet(run=merged.run, results=tuple(part(r, False) for r in merged.results)),
            ResultSet(run=merged.run, results=tuple(part(r, True) for r in merged.results)))


def rule_perfcore_first(ctx: Context, base: ResultSet, curr: ResultSet, ids: Sequence[str],
                        noise: Noise) -> set[str]:
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


def rule_perfcore_confirmed(ctx: Context, base: ResultSet, curr: ResultSet,
                            ids: Sequence[str], noise: Noise) -> set[str]:
    """The two stages without the machine-shift guard."""
    return {c.id for c in _two_stage(ctx, base, curr, noise).regressions()}


def rule_perfcore_guarded(ctx: Context, base: ResultSet, curr: ResultSet, ids: Sequence[str],
                          noise: Noise) -> set[str] | None:
    """The two stages with the gate's machine-shift guard: where the timed results moved
    together, the gate refuses (exit 2, None here) instead of failing."""
    suite = _two_stage(ctx, base, curr, noise)
    if decide_gate(suite, allow_missing=True, shift_guard=True).exit_code == 2:
        return None
    return {c.id for c in suite.regressions()}


def rule_perfcore_both_flag(ctx: Context, base: ResultSet, curr: ResultSet,
                            ids: Sequence[str], noise: Noise) -> set[str]:
    """The previous confirmation (until 2026-11-24): regressed on the first run and
    regressed again on the re-run alone, each at the family-wise level."""
    first, again = _split(curr)
    flagged = rule_perfcore(ctx, base, first, ids, noise)
    if not flagged:
        return set()
    return flagged & rule_perfcore(ctx, base.only(flagged), again.only(flagged), ids, noise)


def side_pairs(k: int, per_side: int, draws: int, rng: np.random.Generator) -> list[Sides]:
    """Baseline/current run indices: every ordered pair for one run a side, else random
    disjoint draws of ``per_side`` runs a side."""
    if per_side == 1:
        return [((i,), (j,)) for i in range(k) for j in range(k) if i != j]
    if 2 * per_side > k:
        raise SystemExit(f"{per_side} runs per side need at least {2 * per_side} runs")
    out = []
    for _ in range(draws):
        picked = rng.permutation(k)[: 2 * per_side]
        out.append((tuple(sorted(picked[:per_side])), tuple(sorted(picked[per_side:]))))
    return out


def _side(runs: Sequence[ResultSet], idx: tuple[int, ...]) -> ResultSet:
    if len(idx) == 1:
        return runs[idx[0]]
    return merge_runs([runs[i] for i in idx])


def group_passes(runs: Sequence[ResultSet], passes: int) -> tuple[list[ResultSet],
                                                                   list[tuple[int, ...]]]:
    """Consecutive runs, ``passes`` at a time, merged into runs of that many passes
    (what ``perfcore run --passes`` records), and the single runs each is made of."""
    members = [tuple(range(i, i + passes)) for i in range(0, len(runs) - passes + 1, passes)]
    return [merge_runs([runs[i] for i in m]) for m in members], members


def study(ctx: Context, runs: Sequence[ResultSet], ids: Sequence[str],
          rules: Mapping[str, tuple[Rule, str]], slowdowns: Sequence[float], *,
          comparisons: Sequence[Sides], power_pairs: int | None,
          rng: np.random.Generator, singles: Sequence[ResultSet] = (),
          members: Sequence[tuple[int, ...]] = ()) -> dict[str, Tally]:
    """Run every rule over every no-change comparison (false alarms) and injections (power).

    ``singles``/``members``: ``runs`` are made of passes (``members[i]`` the indices in
    ``singles`` of run ``i``'s passes); calibrated noise is then learnt per pass, from
    the single runs of the baseline's runs, as ``perfcore calibrate`` learns it.
    """
    logs = log_medians(singles or runs, ids)
    chosen = set(range(len(comparisons))) if power_pairs is None or power_pairs >= len(
        comparisons) else set(rng.choice(len(comparisons), power_pairs, replace=False).tolist())
    tallies = {name: Tally() for name in rules}
    for n, (a, b) in enumerate(comparisons):
        base, curr = _side(runs, a), _side(runs, b)
        for name, (rule, mode) in rules.items():
            if mode.startswith("paired"):
                noise = Noise(paired=True, guard=mode.rpartition(":")[2] or "spread",
                              paired_prior=(
                    learnt_prior(ctx, runs, (a, b), ids) if "learnt" in mode else {}))
            elif mode == "baseline":  # what calibrate --save-baseline stores: the K runs' SD
                learnt = {j for i in a for j in members[i]} if members else set(a)
                noise = leave_out(logs, tuple(set(range(logs.shape[0])) - learnt), ids)
            else:
                noise = leave_out(logs, (*a, *b), ids) if mode else Noise()
            judged = rule(ctx, base, curr, ids, noise)
            flagged = judged if judged is not None else set()
            t = tallies[name]
            t.refused += judged is None
            t.pairs += 1
            t.comparisons += len(ids)
            t.alarms += len(flagged)
            t.alarm_pairs += bool(flagged)
            if n not in chosen:
                continue
            for rid in ids:
                for s in slowdowns:
                    # Per-benchmark rules need only the injected one; perfcore's
                    # Holm step makes the whole suite matter.
                    scope = [rid] if rule in (rule_asv, rule_pytest_benchmark) else ids
                    hit = rid in (rule(ctx, base, _slowed(curr, rid, s), scope, noise) or ())
                    t.hits[(rid, s)] = t.hits.get((rid, s), 0) + hit
                    t.tries[(rid, s)] = t.tries.get((rid, s), 0) + 1
    return tallies


def fresh_pairs(blocks: Sequence[Sides], fresh: int) -> list[tuple[Sides, Sides]]:
    """(first rounds, fresh rounds) for ``gate --against --confirm-rounds``'s second
    stage: every gate run's rounds as the first stage, and the first ``fresh`` rounds
    of every other gate run as its fresh rounds (full-suite rounds: any benchmark the
    screen picks, an injected one included, has them)."""
    out = []
    for first in blocks:
        for other in blocks:
            if other is first or len(other[0]) < fresh:
                continue
            out.append((first, (other[0][:fresh], other[1][:fresh])))
    return out


def fresh_study(ctx: Context, runs: Sequence[ResultSet], ids: Sequence[str],
                slowdowns: Sequence[float],
                comparisons: Sequence[tuple[Sides, Sides]]) -> dict[str, Tally]:
    """False alarms and power of ``gate --against`` with and without its second stage,
    on the same first rounds; the learnt prior comes from the gate runs that share no
    round with either stage. With ``ctx.mann_whitney`` False the rule leaves
    Mann-Whitney U out (the location test alone), to see what U's veto costs."""
    names: tuple[str, ...] = ("perfcore paired, learnt prior, first rounds alone",
                              "perfcore paired + fresh rounds (gate --against now)")
    if not ctx.mann_whitney:
        names = tuple(f"{n}, U left out" for n in names)
    tallies = {name: Tally() for name in names}
    for first, fresh in comparisons:
        window = (first[0] + fresh[0], first[1] + fresh[1])
        prior = learnt_prior(ctx, runs, window, ids)
        sides = (_side(runs, first[0]), _side(runs, first[1]))
        again = (_side(runs, fresh[0]), _side(runs, fresh[1]))

        def judge(curr: ResultSet, curr_again: ResultSet,
                  sides: tuple[ResultSet, ResultSet] = sides,
                  again: tuple[ResultSet, ResultSet] = again,
                  prior: dict[str, tuple[float, float]] = prior) -> tuple[set[str], set[str]]:
            suite = compare_suites(sides[0], curr, settings=ctx.settings, paired=True,
                                   paired_prior=prior, mann_whitney=ctx.mann_whitney)
            picked = set(screen_slower(suite))
            after = confirm_in_fresh_rounds(
                suite, (sides[0], curr), (again[0].only(picked), curr_again.only(picked)),
                settings=ctx.settings, paired_prior=prior, mann_whitney=ctx.mann_whitney)
            return ({c.id for c in suite.regressions()}, {c.id for c in after.regressions()})

        for name, flagged in zip(names, judge(sides[1], again[1]), strict=True):
            t = tallies[name]
            t.pairs += 1
            t.comparisons += len(ids)
            t.alarms += len(flagged)
            t.alarm_pairs += bool(flagged)
        for rid in ids:
            for sl in slowdowns:
                hits = judge(_slowed(sides[1], rid, sl), _slowed(again[1], rid, sl))
                for name, flagged in zip(names, hits, strict=True):
                    t = tallies[name]
                    t.hits[(rid, sl)] = t.hits.get((rid, sl), 0) + (rid in flagged)
                    t.tries[(rid, sl)] = t.tries.get((rid, sl), 0) + 1
    return tallies


def fresh_spread(dirs: Sequence[Path]) -> str:
    """Per re-measured benchmark, the SD of a round's difference in the whole-suite rounds
    and in the fresh rounds where it ran alone (``A-c00.json``, ...), pooled over the
    gate runs that re-measured it: whether the learnt prior, taken from whole-suite
    rounds, fits the fresh ones."""
    pooled: dict[str, list[float]] = {}
    for folder in dirs:
        again = read_kept_confirm(folder)
        if again is None:
            continue
        fresh = paired_spread(*again)
        first = paired_spread(*read_kept_rounds(folder))
        for rid, (var, df) in fresh.items():
            if rid in first:
                row = pooled.setdefault(rid, [0.0, 0.0, 0.0, 0.0, 0.0])
                row[0] += first[rid][0] * first[rid][1]
                row[1] += first[rid][1]
                row[2] += var * df
                row[3] += df
                row[4] += 1
    lines = ["| benchmark | gate runs | SD, whole-suite rounds | SD, fresh rounds alone |",
             "|---|---|---|---|"]
    for rid, (a, da, b, db, n) in sorted(pooled.items()):
        lines.append(f"| {rid} | {n:.0f} | {math.sqrt(a / da):.2%} ({da:.0f} df) | "
                     f"{math.sqrt(b / db):.2%} ({db:.0f} df) |")
    return "\n".join(lines) + "\n"


# ----------------------------------------------------------------------------- report
def _power(t: Tally, members: Sequence[str], s: float) -> float:
    hits = sum(t.hits.get((m, s), 0) for m in members)
    tries = sum(t.tries.get((m, s), 0) for m in members)
    return hits / tries if tries else math.nan


def _smallest(t: Tally, members: Sequence[str], slowdowns: Sequence[float]) -> str:
    for s in slowdowns:
        if _power(t, members, s) >= TARGET_POWER:
            return f"{s:.0%}"
    return f"> {slowdowns[-1]:.0%}"


def render(settings: Settings, tallies: Mapping[str, Tally], groups: Mapping[str, list[str]],
           slowdowns: Sequence[float], header: str, *, per_benchmark: bool = False) -> str:
    """The Markdown tables: summary per rule, power over the benchmarks a slowdown is a
    regression for, smallest detected slowdown per group (and per benchmark)."""
    names = list(tallies)
    every = [m for ms in groups.values() for m in ms]
    lines = [header, "", "| rule | false alarms per benchmark | pairs with any false alarm | "
             + " | ".join(f"power at {s:.0%}" for s in slowdowns) + " |",
             "|---|---|---|" + "---|" * len(slowdowns)]
    for name in names:
        t = tallies[name]
        powers = " | ".join(f"{_power(t, every, s):.1%}" for s in slowdowns)
        lines.append(f"| {name} | {t.alarms}/{t.comparisons} = {t.alarms / t.comparisons:.2%} "
                     f"| {t.alarm_pairs}/{t.pairs} = {t.alarm_pairs / t.pairs:.1%} | {powers} |")
    refusals = [f"- {n}: {tallies[n].refused}/{tallies[n].pairs}" for n in names
                if tallies[n].refused]
    if refusals:
        lines += ["", "No-change comparisons the gate refused (exit 2, the machine's speed "
                  "changed; counted as no alarm above):", "", *refusals]
    lines += ["", "Power over the benchmarks whose threshold is below the slowdown (a "
              "slowdown inside a benchmark's own threshold is, by its configuration, no "
              "regression; their number in brackets):", "",
              "| rule | " + " | ".join(
                  f"{s:.0%} ({len(_eligible(settings, every, s))})" for s in slowdowns)
              + " |",
              "|---|" + "---|" * len(slowdowns)]
    for name in names:
        cells = " | ".join(f"{_power(tallies[name], _eligible(settings, every, s), s):.1%}"
                           if _eligible(settings, every, s) else "-" for s in slowdowns)
        lines.append(f"| {name} | {cells} |")
    lines += ["", "Smallest slowdown flagged in >= 95% of injections, per group:", "",
              "| group (benchmarks) | " + " | ".join(names) + " |",
              "|---|" + "---|" * len(names)]
    for group, members in sorted(groups.items()):
        cells = " | ".join(_smallest(tallies[n], members, slowdowns) for n in names)
        lines.append(f"| {group} ({len(members)}) | {cells} |")
    if per_benchmark:
        lines += ["", "Smallest slowdown flagged in >= 95% of injections, per benchmark "
                  "(its threshold in brackets):", "",
                  "| benchmark | " + " | ".join(names) + " |", "|---|" + "---|" * len(names)]
        for rid in sorted(every):
            cells = " | ".join(_smallest(tallies[n], [rid], slowdowns) for n in names)
            lines.append(f"| {rid} ({settings.threshold_for(rid):.0%}) | {cells} |")
    return "\n".join(lines) + "\n"


def _eligible(settings: Settings, ids: Sequence[str], slowdown: float) -> list[str]:
    """The ids for which ``slowdown`` lies beyond their threshold."""
    return [rid for rid in ids if settings.threshold_for(rid) < slowdown]


# ----------------------------------------------------------------------------- synthetic
def synthetic_runs(k: int, seed: int, n_bench: int = 8, n_samples: int = 30) -> list[ResultSet]:
    """Runs with 5-17% within-run CV and 1-4% drift between runs, like DESIGN.md's machine."""
    rng = np.random.default_rng(seed)
    cvs = rng.uniform(0.05, 0.17, n_bench)
    drift = rng.uniform(0.01, 0.04, n_bench)
    machine = Machine(id="synthetic", cpu="", cores=0, ram_bytes=0, os="", python="")
    runs = []
    for run in range(k):
        level = np.exp(rng.normal(0, drift))
        results = tuple(
            Result(id=f"synthetic.g{b % 3}.b{b}", unit="s", better="lower",
                   samples=tuple(level[b] * 1e-3 * np.exp(rng.normal(0, cvs[b], n_samples))))
            for b in range(n_bench))
        runs.append(ResultSet(run=RunInfo(created=f"run-{run}", machine=machine), results=results))
    return runs


def _only(rules: dict[str, tuple[Rule, str]], spec: str) -> dict[str, tuple[Rule, str]]:
    """The rules named by ``spec``: ``;``-separated texts, each a substring of a rule's
    name, or its whole name when it ends in ``$``."""
    items = [t.strip() for t in spec.split(";") if t.strip()]

    def wanted(name: str) -> bool:
        return any(name == t[:-1] if t.endswith("$") else t in name for t in items)

    return {k: v for k, v in rules.items() if wanted(k)}


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(description=(__doc__ or "").split("\n")[0])
    parser.add_argument("files", nargs="*", type=Path)
    parser.add_argument("--synthetic", type=int, default=0, metavar="K")
    parser.add_argument("--slowdowns", default=",".join(f"{s:g}" for s in SLOWDOWNS))
    parser.add_argument("--power-pairs", type=int, default=None,
                        help="judge injections on this many random ordered pairs (default all)")
    parser.add_argument("--runs-per-side", type=int, default=1, metavar="M",
                        help="merge M runs per side (the gate's rounds mode); default 1")
    parser.add_argument("--baseline-runs", type=int, default=0, metavar="K",
                        help="production layout: a baseline merged from K runs, its noise "
                             "learnt from those K runs (perfcore calibrate --save-baseline), "
                             "judged against one other run")
    parser.add_argument("--interleaved", type=int, default=0, metavar="R",
                        help="the files are directories kept by gate --against --keep-rounds; "
                             "judge windows of R consecutive interleaved rounds as A/A gates")
    parser.add_argument("--confirm", action="store_true",
                        help="with --baseline-runs K: judge one run, then re-judge what it "
                             "flagged on a third run (perfcore run's confirmation)")
    parser.add_argument("--passes", type=int, default=1, metavar="P",
                        help="with --baseline-runs: merge consecutive runs P at a time into "
                             "runs of P passes (perfcore run --passes P) before drawing")
    parser.add_argument("--stride", type=int, default=1,
                        help="rounds between the starts of two windows (--interleaved)")
    parser.add_argument("--draws", type=int, default=200,
                        help="random disjoint side draws when M > 1 (default 200)")
    parser.add_argument("--only", default="", metavar="TEXT",
                        help="judge only with the rules whose name contains TEXT "
                             "(several: separate with ';'; a whole name: end it with '$')")
    parser.add_argument("--alpha", type=float, default=None,
                        help="family-wise false-alarm rate (default: [tool.perfcore] alpha)")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--out", type=Path)
    parser.add_argument("--fresh", type=int, default=0, metavar="K",
                        help="with --interleaved: each gate run's rounds as the first stage, "
                             "K rounds of another gate run as gate --against's fresh rounds "
                             "(its second stage), with and without that stage")
    parser.add_argument("--per-benchmark", action="store_true",
                        help="also give each benchmark's smallest slowdown flagged in 95%%")
    parser.add_argument("--fresh-spread", action="store_true",
                        help="the files are --keep-rounds folders: compare the spread of the "
                             "fresh rounds kept there with the whole-suite rounds'")
    parser.add_argument("--without-u", action="store_true",
                        help="with --fresh: leave Mann-Whitney U out of perfcore's rule, to "
                             "see what its veto costs")
    parser.add_argument("--plain-medians", action="store_true",
                        help="with --interleaved: judge rounds taken in turns by the "
                             "difference of medians, not sample by sample")
    return parser


# Each rule with where its noise comes from: "" the gate's default, "leave-pair-out" every
# run but the judged ones, "baseline" the runs that make up the baseline, "paired[-learnt]:G"
# interleaved rounds judged pair by pair (suite or learnt prior, guard G).
REFERENCE_RULES: dict[str, tuple[Rule, str]] = {
    "perfcore": (rule_perfcore, ""), "perfcore+noise": (rule_perfcore, "leave-pair-out"),
    "pytest-benchmark median:5%": (rule_pytest_benchmark, ""),
    "asv 1.1x p<0.002": (rule_asv, ""),
}
CONFIRM_RULES: dict[str, tuple[Rule, str]] = {
    "perfcore (calibrated baseline), one run": (rule_perfcore_first, "baseline"),
    "previous confirmation: both runs regressed": (rule_perfcore_both_flag, "baseline"),
    "perfcore run: screen, then both runs together": (rule_perfcore_confirmed, "baseline"),
    "same, with the machine-shift guard (perfcore run now)": (rule_perfcore_guarded,
                                                              "baseline"),
}
INTERLEAVED_RULES: dict[str, tuple[Rule, str]] = {
    "perfcore rounds, unpaired (Welch)": (rule_perfcore, ""),
    "perfcore paired, suite prior": (rule_perfcore, "paired:spread"),
    "perfcore paired, learnt prior": (rule_perfcore, "paired-learnt:spread"),
    "perfcore paired, learnt prior, drop-one guard": (rule_perfcore, "paired-learnt:drop"),
    "perfcore paired, learnt prior, no guard": (rule_perfcore, "paired-learnt:none"),
}


def _layout(args: argparse.Namespace, n_runs: int, pairs: Sequence[tuple[int, int]],
            rng: np.random.Generator) -> tuple[dict[str, tuple[Rule, str]], list[Sides]]:
    """The rules judged and the no-change comparisons they judge, for the chosen layout."""
    rules = _only(REFERENCE_RULES, args.only) if args.only else dict(REFERENCE_RULES)
    if args.confirm:
        return dict(CONFIRM_RULES), baseline_draws(n_runs, args.baseline_runs, args.draws, rng,
                                                   confirm=True)
    if args.interleaved:
        rules = {**INTERLEAVED_RULES,
                 **{k: v for k, v in rules.items() if v[0] is not rule_perfcore}}
        if args.only:
            rules = _only(rules, args.only)
        return rules, interleaved_windows(pairs, args.interleaved, args.stride)
    if args.baseline_runs:
        rules = {"perfcore (calibrated baseline)": (rule_perfcore, "baseline"),
                 **{k: v for k, v in rules.items() if v[1] == ""}}
        return rules, baseline_draws(n_runs, args.baseline_runs, args.draws, rng)
    return rules, side_pairs(n_runs, args.runs_per_side, args.draws, rng)


def main(argv: Sequence[str] | None = None) -> int:
    """Command line: files or --synthetic K; prints (and optionally writes) the tables."""
    parser = _parser()
    args = parser.parse_args(argv)
    if args.fresh_spread:
        print(fresh_spread(args.files))
        return 0
    settings = load_settings(alpha=args.alpha)
    pairs: list[tuple[int, int]] = []
    blocks: tuple[Sides, ...] = ()
    runs: list[ResultSet]
    if args.interleaved:
        kept = read_gate_dirs(args.files, plain_medians=args.plain_medians)
        runs, pairs, blocks = kept.runs, kept.pairs, kept.blocks
    else:
        runs = (synthetic_runs(args.synthetic, args.seed) if args.synthetic
                else [_read(p) for p in args.files])
    if len(runs) < 4:
        parser.error("need at least 4 runs (15 or more for 210 pairs)")
    runs, ids = _common(runs)
    if not ids:
        parser.error("the runs share no benchmark with positive samples")
    ctx = Context(settings=settings, blocks=blocks, mann_whitney=not args.without_u)
    singles: list[ResultSet] = []
    members: list[tuple[int, ...]] = []
    if args.passes > 1:
        singles = list(runs)
        runs, members = group_passes(singles, args.passes)
    slowdowns = tuple(float(s) for s in args.slowdowns.split(","))
    groups: dict[str, list[str]] = {}
    for r in runs[0].results:
        groups.setdefault(_group(r), []).append(r.id)
    rng = np.random.default_rng(args.seed)
    rules, comparisons = _layout(args, len(runs), pairs, rng)
    where = (f"{len(ids)} benchmarks; settings threshold {settings.threshold:.0%}, "
             f"alpha {settings.alpha}")
    if args.fresh:
        if not args.interleaved:
            parser.error("--fresh needs --interleaved")
        staged = fresh_pairs(blocks, args.fresh)
        if not staged:
            parser.error(f"--fresh {args.fresh} needs two gate runs of at least {args.fresh} "
                         "rounds")
        tallies = fresh_study(ctx, runs, ids, slowdowns, staged)
        header = (f"{len(runs)} no-change runs, {len(staged)} A/A gates: each of "
                  f"{len(blocks)} gate runs as the first rounds, {args.fresh} rounds of "
                  f"another as the fresh rounds ({len(pairs)} rounds in all), {where}")
    else:
        tallies = study(ctx, runs, ids, rules, slowdowns, comparisons=comparisons,
                        power_pairs=args.power_pairs, rng=rng, singles=singles,
                        members=members)
        header = (f"{len(runs)} no-change runs, {len(comparisons)} {_what(args, singles, pairs)}, "
                  f"{where}")
    text = render(settings, tallies, groups, slowdowns, header, per_benchmark=args.per_benchmark)
    print(text)
    if args.out:
        args.out.write_text(text, encoding="utf-8")
    return 0


def _what(args: argparse.Namespace, singles: Sequence[ResultSet],
          pairs: Sequence[tuple[int, int]]) -> str:
    """What each no-change comparison of the study is, for the header."""
    if args.interleaved:
        return (f"A/A gates of {args.interleaved} interleaved rounds a side "
                f"(windows every {args.stride} rounds, {len(pairs)} rounds in all)")
    if not args.baseline_runs:
        return ("ordered pairs" if args.runs_per_side == 1
                else f"random disjoint draws of {args.runs_per_side} runs a side")
    what = f"draws of a {args.baseline_runs}-run baseline against one other run"
    if args.passes > 1:
        what = f"runs of {args.passes} passes (merged from {len(singles)} single runs); " + what
    return what + (" (and a re-run to confirm)" if args.confirm else "")


if __name__ == "__main__":
    sys.exit(main())
