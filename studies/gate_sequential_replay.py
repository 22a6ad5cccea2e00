"""Sequential rounds replayed on real rounds kept by ``gate --against --keep-rounds``.

Each kept folder is one A/A gate run (both sides the same commit). Its rounds are
replayed as the sequential gate would have taken them: after each round from
``--min-rounds`` on, the real judge (paired, with the noise learnt from the *other*
kept gate runs) and :mod:`perfcore.analysis.sequential` decide what stops; a result that
stopped contributes no later round. The picks (``slower``, and undecided at the cap
slower than half their threshold) are confirmed on the first ``--fresh`` rounds of the
next kept gate run, as the fresh stage would re-measure them. ``--slowdown S`` slows
every working-tree sample of one benchmark at a time (power). Usage::

    python -m studies.gate_sequential_replay /tmp/gates/gate-* --max-rounds 8 --fresh 5
"""

from __future__ import annotations

import argparse
import dataclasses
import sys
from collections import Counter
from collections.abc import Sequence
from pathlib import Path

from perfcore.analysis.compare import (
    SuiteComparison,
    compare_suites,
    confirm_in_fresh_rounds,
    screen_slower,
)
from perfcore.config import load_settings
from perfcore.results.model import ResultSet
from perfcore.results.readers import merge_runs
from perfcore.runner.sequential_rounds import CAPPED, make_look
from studies.gate_rules import Context, Sides, learnt_prior, slowed
from studies.gate_runs import common_benchmarks, read_gate_dirs


def replay_gate(
    ctx: Context,
    runs: Sequence[ResultSet],
    gate: Sides,
    fresh: Sides | None,
    *,
    min_rounds: int,
    max_rounds: int,
    slow: tuple[str, float] | None = None,
) -> tuple[dict[str, tuple[str, int]], set[str]]:
    """One kept gate replayed: per id (decision, rounds needed), and the regressions."""
    ids = [r.id for r in runs[0].results]
    prior = learnt_prior(ctx, runs, gate if fresh is None else _join(gate, fresh), ids)

    def work(i: int) -> ResultSet:
        return slowed(runs[i], *slow) if slow else runs[i]

    def judged(
        ref: ResultSet, cur: ResultSet, level: float = ctx.settings.alpha
    ) -> SuiteComparison:
        cfg = dataclasses.replace(ctx.settings, alpha=level)
        return compare_suites(ref, cur, settings=cfg, paired=True, paired_prior=prior)

    cap = min(max_rounds, len(gate[0]))
    look = make_look(judged, ctx.settings.alpha, min_rounds, cap)
    decided: dict[str, tuple[str, int]] = {}
    taken: dict[str, list[ResultSet]] = {"A": [], "B": []}
    for n in range(1, cap + 1):
        running = set(ids) - decided.keys()
        taken["A"].append(runs[gate[0][n - 1]].only(running))
        taken["B"].append(work(gate[1][n - 1]).only(running))
        if n < min_rounds:
            continue
        ref, cur = merge_runs(taken["A"]), merge_runs(taken["B"])
        for rid, how in look(ref, cur, n).items():
            if rid in running and how != "running":
                decided[rid] = (how, n)
    decided.update(dict.fromkeys(set(ids) - decided.keys(), (CAPPED, cap)))
    first = (merge_runs(taken["A"]), merge_runs(taken["B"]))
    suite = judged(*first)
    picks = {i for i, (how, _) in decided.items() if how == "slower"}
    picks |= {i for i in screen_slower(suite) if decided[i][0] == CAPPED}
    if fresh is None or not picks:
        return decided, set()
    again_a = merge_runs([runs[i].only(picks) for i in fresh[0]])
    again_b = merge_runs([work(i).only(picks) for i in fresh[1]])
    after = confirm_in_fresh_rounds(
        suite,
        first,
        (again_a, again_b),
        settings=ctx.settings,
        paired_prior=prior,
    )
    return decided, {c.id for c in after.regressions()}


def _join(a: Sides, b: Sides) -> Sides:
    return (a[0] + b[0], a[1] + b[1])


def main(argv: Sequence[str] | None = None) -> int:
    """Command line: replay every kept gate run; print false alarms and rounds needed."""
    parser = argparse.ArgumentParser(description=(__doc__ or "").split("\n")[0])
    parser.add_argument("dirs", nargs="+", type=Path)
    parser.add_argument("--min-rounds", type=int, default=2)
    parser.add_argument("--max-rounds", type=int, default=8)
    parser.add_argument("--fresh", type=int, default=5)
    parser.add_argument("--slowdown", type=float, default=0.0)
    args = parser.parse_args(argv)
    kept = read_gate_dirs(args.dirs)
    runs, ids = common_benchmarks(kept.runs)
    ctx = Context(settings=load_settings(), blocks=kept.blocks)
    blocks = [b for b in kept.blocks if len(b[0]) >= args.min_rounds]
    if len(blocks) < 2:
        parser.error("need two kept gate runs of at least --min-rounds rounds")
    needed: Counter[int] = Counter()
    alarms = hits = tries = 0
    for k, gate in enumerate(blocks):
        other = blocks[(k + 1) % len(blocks)]
        fresh = (other[0][: args.fresh], other[1][: args.fresh])
        options = {"min_rounds": args.min_rounds, "max_rounds": args.max_rounds}
        decided, flagged = replay_gate(ctx, runs, gate, fresh, **options)
        needed.update(n for _, n in decided.values())
        alarms += bool(flagged)
        for rid in ids if args.slowdown else ():
            hit = replay_gate(ctx, runs, gate, fresh, slow=(rid, args.slowdown), **options)[1]
            hits += rid in hit
            tries += 1
    share = ", ".join(f"{n}: {c}" for n, c in sorted(needed.items()))
    print(
        f"{len(blocks)} kept A/A gates, {len(ids)} benchmarks: gates with any false alarm "
        f"{alarms}/{len(blocks)}; results by rounds needed ({share})"
    )
    if tries:
        print(f"slowdown {args.slowdown:.0%}: caught {hits}/{tries} = {hits / tries:.1%}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
