"""Human-readable numbers for every report format (HTML, Markdown, JUnit)."""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Any

__all__ = [
    "TEMPLATE_FILTERS",
    "TEMPLATE_FUNCTIONS",
    "fmt_interval",
    "fmt_mdc",
    "fmt_p",
    "fmt_ratio",
    "fmt_value",
    "verdict_sentence",
]

_TIME_STEPS = ((1.0, "s"), (1e-3, "ms"), (1e-6, "µs"), (1e-9, "ns"))
_TIME_UNITS = {"s": 1.0, "ms": 1e-3, "us": 1e-6, "µs": 1e-6, "ns": 1e-9}
_BYTE_STEPS = ((1024.0**3, "GiB"), (1024.0**2, "MiB"), (1024.0, "KiB"), (1.0, "B"))


def fmt_value(value: float | None, unit: str) -> str:
    """``0.00123, "s"`` -> ``1.23 ms``; times and bytes are scaled, others keep their unit."""
    if value is None or not math.isfinite(value):
        return "—"
    if unit in _TIME_UNITS:
        seconds = value * _TIME_UNITS[unit]
        for scale, name in _TIME_STEPS:
            if abs(seconds) >= scale or name == "ns":
                return f"{seconds / scale:.3g} {name}"
    if unit in ("bytes", "B"):
        for scale, name in _BYTE_STEPS:
            if abs(value) >= scale or name == "B":
                return f"{value / scale:.3g} {name}"
    return f"{value:.4g} {unit}".rstrip()


def fmt_ratio(ratio: float | None) -> str:
    """``1.2345`` -> ``1.235×``."""
    return "—" if ratio is None else f"{ratio:.3f}×"


def fmt_interval(low: float | None, high: float | None) -> str:
    """The ratio's confidence interval as ``[0.981, 1.043]``."""
    if low is None or high is None:
        return ""
    return f"[{low:.3f}, {high:.3f}]"


def fmt_p(p: float | None) -> str:
    """A p-value with sensible precision; tiny ones as ``<1e-6``."""
    if p is None:
        return "—"
    if p < 1e-6:
        return "<1e-6"
    return f"{p:.2g}" if p < 0.01 else f"{p:.3f}"


def fmt_mdc(mdc: float | None) -> str:
    """The minimum detectable change as ``±4.2%``."""
    return "—" if mdc is None else f"±{mdc * 100:.1f}%"


def verdict_sentence(verdict: str, ratio: float | None, better: str) -> str:
    """One short phrase for a verdict, e.g. ``23.0% slower`` or ``new result``."""
    if verdict == "new":
        return "new result (no baseline)"
    if verdict == "missing":
        return "missing from the current run"
    if verdict == "incomparable":
        return "benchmark code changed (not compared)"
    if ratio is None:
        return verdict
    change = abs(ratio - 1.0) * 100
    worse = ratio > 1.0 if better == "lower" else ratio < 1.0
    direction = "worse" if worse else "better"
    return f"{change:.1f}% {direction} ({verdict})"


# The formatters under the names the report templates use (filters: ``{{ x | value(unit) }}``).
TEMPLATE_FILTERS: dict[str, Callable[..., Any]] = {
    "value": fmt_value,
    "ratio": fmt_ratio,
    "p": fmt_p,
    "mdc": fmt_mdc,
}
TEMPLATE_FUNCTIONS: dict[str, Callable[..., Any]] = {
    "interval": fmt_interval,
    "sentence": verdict_sentence,
}
