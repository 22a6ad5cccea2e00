"""The gate study's trials: every rule over the no-change comparisons and the injected
slowdowns (:func:`study`), ``gate --against``'s two stages (:func:`fresh_study`), and the
spread of fresh rounds against whole-suite ones (:func:`fresh_spread`).

:mod:`studies.gate_study` is the command line that lays the comparisons out and calls them.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from perfcore.analysis.compare import (
    compare_suites,
    confirm_in_fresh_rounds,
    paired_spread,
    screen_slower,
)
from perfcore.results.model import ResultSet
from perfcore.runner.rounds import read_kept_confirm, read_kept_rounds
from studies.gate_rules import (
    Context,
    Noise,
    Rule,
    Sides,
    learnt_prior,
    leave_out,
    log_medians,
    rule_asv,
    rule_pytest_benchmark,
    side,
    slowed,
)
from studies.gate_tables import Tally


def study(
    ctx: Context,
    runs: Sequence[ResultSet],
    ids: Sequence[str],
    rules: Mapping[str, tuple[Rule, str]],
    slowdowns: Sequence[float],
    *,
    comparisons: Sequence[Sides],
    power_pairs: int | None,
    rng: np.random.Generator,
    singles: Sequence[ResultSet] = (),
    members: Sequence[tuple[int, ...]] = (),
) -> dict[str, Tally]:
    """Run every rule over every no-change comparison (false alarms) and injections (power).

    ``singles``/``members``: ``runs`` are made of passes (``members[i]`` the indices in
    ``singles`` of run ``i``'s passes); calibrated noise is then learnt per pass, from
    the single runs of the baseline's runs, as ``perfcore calibrate`` learns it.
    """
    logs = log_medians(singles or runs, ids)
    chosen = (
        set(range(len(comparisons)))
        if power_pairs is None or power_pairs >= len(comparisons)
        else set(rng.choice(len(comparisons), power_pairs, replace=False).tolist())
    )
    tallies = {name: Tally() for name in rules}
    for n, (a, b) in enumerate(comparisons):
        base, curr = side(runs, a), side(runs, b)
        for name, (rule, mode) in rules.items():
            if mode.startswith("paired"):
                noise = Noise(
                    paired=True,
                    guard=mode.rpartition(":")[2] or "spread",
                    paired_prior=(learnt_prior(ctx, runs, (a, b), ids) if "learnt" in mode else {}),
                )
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
                    hit = rid in (rule(ctx, base, slowed(curr, rid, s), scope, noise) or ())
                    t.hits[(rid, s)] = t.hits.get((rid, s), 0) + hit
                    t.tries[(rid, s)] = t.tries.get((rid, s), 0) + 1
    return tallies


def fresh_study(
    ctx: Context,
    runs: Sequence[ResultSet],
    ids: Sequence[str],
    slowdowns: Sequence[float],
    comparisons: Sequence[tuple[Sides, Sides]],
) -> dict[str, Tally]:
    """False alarms and power of ``gate --against`` with and without its second stage,
    on the same first rounds; the learnt prior comes from the gate runs that share no
    round with either stage. With ``ctx.mann_whitney`` False the rule leaves
    Mann-Whitney U out (the location test alone), to see what U's veto costs."""
    names: tuple[str, ...] = (
        "perfcore paired, learnt prior, first rounds alone",
        "perfcore paired + fresh rounds (gate --against now)",
    )
    if not ctx.mann_whitney:
        names = tuple(f"{n}, U left out" for n in names)
    tallies = {name: Tally() for name in names}
    for first, fresh in comparisons:
        window = (first[0] + fresh[0], first[1] + fresh[1])
        stages = _Stages(
            ctx,
            (side(runs, first[0]), side(runs, first[1])),
            (side(runs, fresh[0]), side(runs, fresh[1])),
            learnt_prior(ctx, runs, window, ids),
        )
        for name, flagged in zip(
            names, stages.judge(stages.sides[1], stages.again[1]), strict=True
        ):
            t = tallies[name]
            t.pairs += 1
            t.comparisons += len(ids)
            t.alarms += len(flagged)
            t.alarm_pairs += bool(flagged)
        for rid in ids:
            for sl in slowdowns:
                hits = stages.judge(
                    slowed(stages.sides[1], rid, sl), slowed(stages.again[1], rid, sl)
                )
                for name, flagged in zip(names, hits, strict=True):
                    t = tallies[name]
                    t.hits[(rid, sl)] = t.hits.get((rid, sl), 0) + (rid in flagged)
                    t.tries[(rid, sl)] = t.tries.get((rid, sl), 0) + 1
    return tallies


@dataclass(frozen=True)
class _Stages:
    """One A/A gate of two stages: the first rounds a side, the fresh rounds a side, and
    the learnt prior both stages are judged with."""

    ctx: Context
    sides: tuple[ResultSet, ResultSet]
    again: tuple[ResultSet, ResultSet]
    prior: dict[str, tuple[float, float]]

    def judge(self, curr: ResultSet, curr_again: ResultSet) -> tuple[set[str], set[str]]:
        """What the first stage alone flags, and what is left after the fresh rounds."""
        ctx, prior = self.ctx, self.prior
        suite = compare_suites(
            self.sides[0],
            curr,
            settings=ctx.settings,
            paired=True,
            paired_prior=prior,
            mann_whitney=ctx.mann_whitney,
        )
        picked = set(screen_slower(suite))
        after = confirm_in_fresh_rounds(
            suite,
            (self.sides[0], curr),
            (self.again[0].only(picked), curr_again.only(picked)),
            settings=ctx.settings,
            paired_prior=prior,
            mann_whitney=ctx.mann_whitney,
        )
        return ({c.id for c in suite.regressions()}, {c.id for c in after.regressions()})


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
    lines = [
        "| benchmark | gate runs | SD, whole-suite rounds | SD, fresh rounds alone |",
        "|---|---|---|---|",
    ]
    for rid, (a, da, b, db, n) in sorted(pooled.items()):
        lines.append(
            f"| {rid} | {n:.0f} | {math.sqrt(a / da):.2%} ({da:.0f} df) | "
            f"{math.sqrt(b / db):.2%} ({db:.0f} df) |"
        )
    return "\n".join(lines) + "\n"
