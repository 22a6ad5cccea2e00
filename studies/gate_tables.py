"""The gate study's tables: what each rule got right and wrong, counted and rendered.

A :class:`Tally` counts one rule's false alarms over the no-change comparisons and its
hits over the injected slowdowns; :func:`render` writes the Markdown tables the study
reports (docs/gate.md and reports/studies/ quote them).
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

from perfcore.config import Settings

# A rule detects a slowdown when it flags it in at least this share of the injections.
TARGET_POWER = 0.95


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


def _power(t: Tally, members: Sequence[str], s: float) -> float:
    hits = sum(t.hits.get((m, s), 0) for m in members)
    tries = sum(t.tries.get((m, s), 0) for m in members)
    return hits / tries if tries else math.nan


def _smallest(t: Tally, members: Sequence[str], slowdowns: Sequence[float]) -> str:
    for s in slowdowns:
        if _power(t, members, s) >= TARGET_POWER:
            return f"{s:.0%}"
    return f"> {slowdowns[-1]:.0%}"


def render(
    settings: Settings,
    tallies: Mapping[str, Tally],
    groups: Mapping[str, list[str]],
    slowdowns: Sequence[float],
    header: str,
    *,
    per_benchmark: bool = False,
) -> str:
    """The Markdown tables: summary per rule, power over the benchmarks a slowdown is a
    regression for, smallest detected slowdown per group (and per benchmark)."""
    every = [m for ms in groups.values() for m in ms]
    lines = [
        header,
        *_summary(tallies, every, slowdowns),
        *_eligible_power(settings, tallies, every, slowdowns),
        *_smallest_table(
            tallies,
            {f"{g} ({len(ms)})": ms for g, ms in sorted(groups.items())},
            slowdowns,
            "Smallest slowdown flagged in >= 95% of injections, per group:",
            "group (benchmarks)",
        ),
    ]
    if per_benchmark:
        lines += _smallest_table(
            tallies,
            {f"{rid} ({settings.threshold_for(rid):.0%})": [rid] for rid in sorted(every)},
            slowdowns,
            "Smallest slowdown flagged in >= 95% of injections, per benchmark "
            "(its threshold in brackets):",
            "benchmark",
        )
    return "\n".join(lines) + "\n"


def _summary(
    tallies: Mapping[str, Tally], every: Sequence[str], slowdowns: Sequence[float]
) -> list[str]:
    """False alarms and power over every benchmark per rule, then the refusals if any."""
    lines = [
        "",
        "| rule | false alarms per benchmark | pairs with any false alarm | "
        + " | ".join(f"power at {s:.0%}" for s in slowdowns)
        + " |",
        "|---|---|---|" + "---|" * len(slowdowns),
    ]
    for name, t in tallies.items():
        powers = " | ".join(f"{_power(t, every, s):.1%}" for s in slowdowns)
        lines.append(
            f"| {name} | {t.alarms}/{t.comparisons} = {t.alarms / t.comparisons:.2%} "
            f"| {t.alarm_pairs}/{t.pairs} = {t.alarm_pairs / t.pairs:.1%} | {powers} |"
        )
    refusals = [f"- {n}: {t.refused}/{t.pairs}" for n, t in tallies.items() if t.refused]
    if refusals:
        lines += [
            "",
            "No-change comparisons the gate refused (exit 2, the machine's speed "
            "changed; counted as no alarm above):",
            "",
            *refusals,
        ]
    return lines


def _eligible_power(
    settings: Settings,
    tallies: Mapping[str, Tally],
    every: Sequence[str],
    slowdowns: Sequence[float],
) -> list[str]:
    """Power per rule over the benchmarks for which each slowdown is a regression."""
    lines = [
        "",
        "Power over the benchmarks whose threshold is below the slowdown (a "
        "slowdown inside a benchmark's own threshold is, by its configuration, no "
        "regression; their number in brackets):",
        "",
        "| rule | "
        + " | ".join(f"{s:.0%} ({len(_eligible(settings, every, s))})" for s in slowdowns)
        + " |",
        "|---|" + "---|" * len(slowdowns),
    ]
    for name, t in tallies.items():
        cells = " | ".join(
            f"{_power(t, _eligible(settings, every, s), s):.1%}"
            if _eligible(settings, every, s)
            else "-"
            for s in slowdowns
        )
        lines.append(f"| {name} | {cells} |")
    return lines


def _smallest_table(
    tallies: Mapping[str, Tally],
    rows: Mapping[str, Sequence[str]],
    slowdowns: Sequence[float],
    title: str,
    column: str,
) -> list[str]:
    """Per row (its label and the benchmarks it pools), each rule's smallest slowdown detected."""
    names = list(tallies)
    lines = [
        "",
        title,
        "",
        f"| {column} | " + " | ".join(names) + " |",
        "|---|" + "---|" * len(names),
    ]
    for label, members in rows.items():
        cells = " | ".join(_smallest(tallies[n], members, slowdowns) for n in names)
        lines.append(f"| {label} | {cells} |")
    return lines


def _eligible(settings: Settings, ids: Sequence[str], slowdown: float) -> list[str]:
    """The ids for which ``slowdown`` lies beyond their threshold."""
    return [rid for rid in ids if settings.threshold_for(rid) < slowdown]
