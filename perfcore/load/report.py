"""The local-vs-cloud table and service-level checks of ``perfcore load``."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

from perfcore.analysis.slo import Slo, evaluate_slos, parse_slo
from perfcore.load.results import LoadMeasurement, slo_metrics

__all__ = ["TargetedSlo", "check_slos", "format_table", "parse_slos"]


@dataclass(frozen=True)
class TargetedSlo:
    """A service level for one target (or every target when ``target`` is empty)."""

    target: str
    slo: Slo


def parse_slos(texts: Sequence[str]) -> tuple[TargetedSlo, ...]:
    """Parse ``[target:]expr`` service levels; InputError on malformed text."""
    out = []
    for text in texts:
        target, _, expr = text.rpartition(":") if ":" in text else ("", "", text)
        out.append(TargetedSlo(target.strip(), parse_slo(expr)))
    return tuple(out)


def check_slos(
    slos: Sequence[TargetedSlo],
    measurements: Sequence[LoadMeasurement],
    print_line: Callable[[str], None],
) -> list[str]:
    """Judge every service level on every matching measurement; returns the misses."""
    misses: list[str] = []
    for targeted in slos:
        matching = [m for m in measurements if targeted.target in ("", m.target)]
        if not matching:
            misses.append(f"{targeted.slo.text}: no measurement of {targeted.target!r}")
        for m in matching:
            if not m.valid:
                misses.append(f"{m.label}: {targeted.slo.text}: invalid run ({m.invalid_reason})")
                continue
            (outcome,) = evaluate_slos([targeted.slo], slo_metrics(m))
            shown = "not measured" if outcome.measured is None else f"{outcome.measured:.6g}"
            verdict = "pass" if outcome.passed else "MISS"
            print_line(f"SLO {verdict}: {m.label}: {targeted.slo.text} (measured {shown})")
            if not outcome.passed:
                misses.append(f"{m.label}: {targeted.slo.text}")
    return misses


def _ms(value: float | None) -> str:
    return "-" if value is None else f"{value * 1000:.2f}"


def _row(m: LoadMeasurement) -> list[str]:
    if not m.valid:
        return [m.label, m.mode, f"INVALID: {m.invalid_reason}"]
    lat = m.latency_s
    saved = "-" if m.cache_hits is None else f"{m.cache_hits} ({m.cache_hits / m.requests:.0%})"
    return [
        m.label,
        m.mode,
        f"{m.throughput:,.0f}",
        _ms(lat.get("p50")),
        _ms(lat.get("p99")),
        _ms(m.uncorrected_s.get("p99")),
        f"{m.error_rate:.2%}",
        "-" if m.cost_per_1k is None else f"{m.cost_per_1k:.4f}",
        _ms(m.network_share_s),
        saved,
    ]


def format_table(measurements: Sequence[LoadMeasurement]) -> str:
    """A fixed-width table, one row per load point."""
    header = [
        "target",
        "loop",
        "req/s",
        "p50 ms",
        "p99 ms",
        "p99 uncorr",
        "errors",
        "cost/1k",
        "net ms",
        "backend saved",
    ]
    rows = [header, *(_row(m) for m in measurements)]
    widths = [max(len(r[i]) for r in rows if i < len(r) and len(r) > 3) for i in range(len(header))]
    lines = []
    for row in rows:
        if len(row) == 3:
            lines.append(f"{row[0]:<{widths[0]}}  {row[1]:<{widths[1]}}  {row[2]}")
        else:
            lines.append(
                "  ".join(
                    c.rjust(w) if i > 1 else c.ljust(w)
                    for i, (c, w) in enumerate(zip(row, widths, strict=True))
                )
            )
    return "\n".join(lines)
