"""Sequential rounds for ``perfcore gate --against``: stop measuring what is decided.

After each round from ``plan.min_rounds`` on, every result still running is judged on
its rounds so far (the gate's own paired judge) and decided by the group-sequential
rule of :mod:`perfcore.analysis.sequential`: ``unchanged`` (interval inside
+-threshold) and ``faster`` stop; ``slower`` (beyond its threshold, across this look's
boundary) stops and goes to the fresh confirmation stage; the rest run again, alone
(both sides get only their pytest node ids), until ``plan.max_rounds``. At the cap,
what is still running is screened as before (slower than half its threshold goes to
the fresh stage). Why the family-wise false-alarm rate holds: docs/gate.md,
"Sequential rounds".
"""

from __future__ import annotations

import subprocess
from collections import Counter
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, replace
from pathlib import Path

from perfcore.analysis.comparison import SuiteComparison
from perfcore.analysis.sequential import (
    DEFAULT_INSIDE_CONFIDENCE,
    Decision,
    SequentialDesign,
    decide_look,
    estimate_of,
)
from perfcore.results.model import ResultSet
from perfcore.results.readers import merge_runs
from perfcore.runner.rounds import (
    ABRounds,
    FirstStage,
    Screen,
    one_round,
)

__all__ = [
    "CAPPED",
    "SequentialRun",
    "make_look",
    "rounds_note",
    "sequential_rounds",
    "stage",
]

Runner = Callable[..., "subprocess.CompletedProcess[str]"]
# Given both sides so far and their number of rounds, a decision per judgeable result id.
Look = Callable[[ResultSet, ResultSet, int], Mapping[str, str]]
# Still running when the cap was reached: left to the final judge and the screen.
CAPPED = "capped"
# Results the look cannot judge (one side only, not on a log scale): nothing to wait for.
UNJUDGED = "unjudged"


@dataclass(frozen=True)
class SequentialRun:
    """Both sides' rounds and, per result id, (how it was decided, rounds it needed)."""

    reference: ResultSet
    working: ResultSet
    decided: dict[str, tuple[str, int]]

    def screen(self, screen: Screen | None) -> Screen | None:
        """The fresh stage's picks: 'slower' decisions, and what ``screen`` picks at the cap."""
        if screen is None:
            return None
        slower = [i for i, (how, _) in self.decided.items() if how == "slower"]

        def picks(reference: ResultSet, working: ResultSet) -> list[str]:
            capped = {i for i, (how, _) in self.decided.items() if how == CAPPED}
            return sorted({*slower, *(i for i in screen(reference, working) if i in capped)})

        return picks

    def parts(self, screen: Screen | None) -> tuple[ResultSet, ResultSet, Screen | None, str]:
        """What run_ab_rounds goes on with: both sides, the fresh stage's screen, the note."""
        return self.reference, self.working, self.screen(screen), rounds_note(self.decided)


def make_look(
    judge_suite: Callable[[ResultSet, ResultSet, float], SuiteComparison],
    alpha: float,
    min_rounds: int,
    max_rounds: int,
) -> Look:
    """A look that judges both sides and decides by a design fixed at the first look
    (its family: the results judgeable then). ``judge_suite(reference, working, level)``
    judges as the gate does, with intervals at ``1 - level`` (the design's
    ``inside_confidence``; the p-values it reads do not depend on it)."""
    designs: list[SequentialDesign] = []
    level = 1 - DEFAULT_INSIDE_CONFIDENCE

    def look(reference: ResultSet, working: ResultSet, rounds: int) -> dict[str, Decision]:
        judged = judge_suite(reference, working, level).comparisons
        found = [e for c in judged if (e := estimate_of(c))]
        if not designs:
            designs.append(SequentialDesign(alpha, max(1, len(found)), min_rounds, max_rounds))
        return decide_look(found, rounds, designs[0])

    return look


def stage(look: Look) -> FirstStage:
    """run_ab_rounds' first stage as sequential rounds decided by ``look``."""

    def first(
        plan: ABRounds, trees: dict[str, Path], scratch: Path, runner: Runner, screen: Screen | None
    ) -> tuple[ResultSet, ResultSet, Screen | None, str]:
        return sequential_rounds(plan, trees, scratch, runner, look).parts(screen)

    return first


def sequential_rounds(
    plan: ABRounds, trees: dict[str, Path], scratch: Path, runner: Runner, look: Look
) -> SequentialRun:
    """Rounds until every result is decided or ``plan.max_rounds`` is reached."""
    sides: dict[str, list[ResultSet]] = {"A": [], "B": []}
    decided: dict[str, tuple[str, int]] = {}
    current = plan
    for i in range(plan.max_rounds):
        one_round(current, trees, scratch, i, sides, runner=runner)
        rounds = i + 1
        if rounds < plan.min_rounds:
            continue
        latest = {side: {r.id: r for r in runs[-1].results} for side, runs in sides.items()}
        running = sorted((latest["A"].keys() & latest["B"].keys()) - decided.keys())
        decisions = look(merge_runs(sides["A"]), merge_runs(sides["B"]), rounds)
        for rid in running:
            how = decisions.get(rid, UNJUDGED)
            if how != "running":
                decided[rid] = (how, rounds)
        still = [rid for rid in running if rid not in decided]
        if rounds == plan.max_rounds:
            decided.update(dict.fromkeys(still, (CAPPED, rounds)))
        _progress(rounds, decided, still)
        select = {side: _nodes(latest[side], still) for side in "AB"}
        if not (select["A"] and select["B"]):
            break
        current = replace(plan, select=select)
    return SequentialRun(merge_runs(sides["A"]), merge_runs(sides["B"]), decided)


def _nodes(results: Mapping[str, object], ids: Sequence[str]) -> tuple[str, ...]:
    found = (getattr(results[i], "extra", {}).get("node") for i in ids if i in results)
    return tuple(sorted({str(n) for n in found if n}))


def _progress(rounds: int, decided: Mapping[str, tuple[str, int]], still: Sequence[str]) -> None:
    counts = Counter(how for how, _ in decided.values())
    parts = [
        f"{counts[k]} {label}"
        for k, label in (
            ("unchanged", "unchanged"),
            ("slower", "beyond (slower)"),
            ("faster", "beyond (faster)"),
            (UNJUDGED, "not judgeable"),
        )
        if counts[k] or k == "unchanged"
    ]
    text = f"gate: round {rounds}: {len(decided) - counts[CAPPED]} decided ({', '.join(parts)})"
    if counts[CAPPED]:
        text += f", {counts[CAPPED]} undecided at the cap"
    else:
        text += f", {len(still)} still running"
    print(text, flush=True)


def rounds_note(decided: Mapping[str, tuple[str, int]]) -> str:
    """How many rounds the results needed, for the verdict line."""
    if not decided:
        return ""
    needed = Counter(n for _, n in decided.values())
    capped = sum(1 for how, _ in decided.values() if how == CAPPED)
    text = ", ".join(f"{needed[n]} after {n}" for n in sorted(needed))
    extra = f" ({capped} undecided at the cap)" if capped else ""
    return f"rounds needed: {text}{extra}"
