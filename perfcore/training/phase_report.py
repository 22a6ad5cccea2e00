"""The phase performance report: baseline store, suggestions, table, JSON and results file.

The per-phase baseline lives in ``<output>/phase_baseline.json``, keyed by the
work done (model type, dataset, sample count, and epochs and batch size for
iterative models); the first run of a key records it, later runs compare with it
(delete the file to record a new one). The report
(``performance_report.json``) holds the action metrics, per-phase stats with
tier and share, and the optimisation block. (The perfcore results file of the
phase timings is written by the ``perfcore train`` face, because ``results/``
sits above ``training/`` in the layers.)
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from perfcore._atomic import atomic_write_json
from perfcore.errors import SchemaError
from perfcore.instrument.phases import Optimisation, PhaseStats

__all__ = [
    "BASELINE_FILE",
    "REPORT_FILE",
    "format_phase_table",
    "load_phase_baseline",
    "store_phase_baseline",
    "suggestions",
]

BASELINE_FILE = "phase_baseline.json"
REPORT_FILE = "performance_report.json"
REPORT_SCHEMA = "perfcore.training-performance/1"
_BASELINE_SCHEMA = "perfcore.phase-baseline/1"
DOMINANT_SHARE = 50.0


@dataclass(frozen=True)
class PhaseReport:
    """Everything the --enable-performance-optimization output shows."""

    phases: tuple[PhaseStats, ...]
    run_wall_s: float
    optimisation: Optimisation
    baseline_recorded: bool
    suggestions: tuple[str, ...]
    report_path: Path


def _read_baselines(path: Path) -> dict[str, dict[str, float]]:
    if not path.exists():
        return {}
    try:
        doc = json.loads(path.read_text(encoding="utf-8"))
        if doc.get("schema") != _BASELINE_SCHEMA:
            raise SchemaError(f"{path}: not a {_BASELINE_SCHEMA} document")
        return {k: {p: float(s) for p, s in v.items()} for k, v in doc["baselines"].items()}
    except (OSError, ValueError, KeyError, AttributeError, TypeError) as exc:
        raise SchemaError(
            f"{path}: unreadable phase baseline ({exc}); delete it to record a new one"
        ) from None


def load_phase_baseline(output_dir: Path, key: str) -> dict[str, float] | None:
    """The stored per-phase baseline (seconds) for ``key``, or None."""
    return _read_baselines(output_dir / BASELINE_FILE).get(key)


def store_phase_baseline(output_dir: Path, key: str, seconds: Mapping[str, float]) -> None:
    """Record ``seconds`` as the baseline of ``key`` (other keys kept)."""
    path = output_dir / BASELINE_FILE
    baselines = _read_baselines(path)
    baselines[key] = dict(seconds)
    atomic_write_json(path, {"schema": _BASELINE_SCHEMA, "baselines": baselines})


def _share(stat: PhaseStats, total_ns: int) -> float:
    return 100.0 * stat.wall_ns / total_ns if total_ns else 0.0


def suggestions(
    phases: Sequence[PhaseStats], opt: Optimisation, baseline_recorded: bool, iterative: bool
) -> tuple[str, ...]:
    """Plain-language advice from the phase breakdown and the baseline comparison."""
    total = sum(p.wall_ns for p in phases)
    notes: list[str] = []
    if phases and total:
        top = max(phases, key=lambda p: p.wall_ns)
        share = _share(top, total)
        verb = "dominates" if share >= DOMINANT_SHARE else "is the largest"
        notes.append(
            f"{top.name} ({top.tier}) {verb} at {share:.0f}% of phase time; optimise it first"
        )
        if top.name == "training" and iterative:
            notes.append(
                "training is iterative: fewer --epochs or a larger --batch-size "
                "cut its time (check accuracy and ECE still pass the gate)"
            )
        if top.name == "data_loading":
            notes.append("data loading dominates: cache the parsed dataset or load fewer rows")
        waiting = [p for p in phases if p.wall_ns and p.cpu_ns < 0.5 * p.wall_ns]
        notes.extend(
            f"{p.name} used CPU for only {100 * p.cpu_ns / p.wall_ns:.0f}% of its "
            "wall time: it waits (I/O or contention)"
            for p in waiting
        )
    if baseline_recorded:
        notes.append(
            "no baseline was stored: this run is now the baseline; the next run is compared with it"
        )
        return tuple(notes)
    slower = [n for n, r in opt.phase_reduction_pct.items() if r < -10.0]
    notes.extend(
        f"{n} is {-opt.phase_reduction_pct[n]:.0f}% slower than its baseline" for n in slower
    )
    if opt.meeting_target:
        notes.append(
            f"target met: {opt.reduction_pct:.1f}% reduction >= {opt.target_reduction_pct:.1f}%"
        )
    else:
        notes.append(
            f"target not met: {opt.reduction_pct:.1f}% reduction against a target "
            f"of {opt.target_reduction_pct:.1f}%"
        )
    return tuple(notes)


def format_phase_table(phases: Sequence[PhaseStats], run_wall_s: float) -> str:
    """The phase table: phase, tier, wall ms, cpu ms, calls, share %."""
    total = sum(p.wall_ns for p in phases)
    header = ("phase", "tier", "wall ms", "cpu ms", "calls", "share %")
    rows = [header] + [
        (
            p.name,
            p.tier,
            f"{p.wall_ns / 1e6:.2f}",
            f"{p.cpu_ns / 1e6:.2f}",
            str(p.calls),
            f"{_share(p, total):.1f}",
        )
        for p in phases
    ]
    rows.append(
        (
            "total (phases)",
            "",
            f"{total / 1e6:.2f}",
            f"{sum(p.cpu_ns for p in phases) / 1e6:.2f}",
            "",
            "100.0",
        )
    )
    rows.append(("run", "", f"{run_wall_s * 1e3:.2f}", "", "", ""))
    widths = [max(len(r[i]) for r in rows) for i in range(len(header))]
    lines = []
    for row in rows:
        cells = [row[0].ljust(widths[0]), row[1].ljust(widths[1])]
        cells += [c.rjust(w) for c, w in zip(row[2:], widths[2:], strict=True)]
        lines.append("  ".join(cells).rstrip())
    return "\n".join(lines)


def report_document(
    action: Mapping[str, Any],
    phases: Sequence[PhaseStats],
    opt: Optimisation,
    baseline_recorded: bool,
    notes: Sequence[str],
) -> dict[str, Any]:
    """The JSON performance report."""
    total = sum(p.wall_ns for p in phases)
    return {
        "schema": REPORT_SCHEMA,
        "action": dict(action),
        "phases": [{**p.to_dict(), "share_pct": _share(p, total)} for p in phases],
        "optimisation": {**opt.to_dict(), "baseline_recorded": baseline_recorded},
        "suggestions": list(notes),
    }


def write_report(output_dir: Path, document: Mapping[str, Any]) -> Path:
    """Write the report atomically; returns its path."""
    report_path = output_dir / REPORT_FILE
    atomic_write_json(report_path, document)
    return report_path
