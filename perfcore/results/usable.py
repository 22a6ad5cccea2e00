"""Whether a run's numbers can be judged at all: refused up front, never passed silently.

A gate handed a result without samples, or durations that are negative or all zero,
used to print ``PASS ... noisy`` and exit 0: a ratio against zero or a logarithm of a
negative number has no meaning, and "noisy" is not a verdict on nothing. Such input is
an :class:`~perfcore.errors.InputError` (exit 2) naming the side, the result and the
problem. Non-finite samples never get this far: the result model refuses them.
"""

from __future__ import annotations

from perfcore.errors import BaselineError, InputError
from perfcore.results.model import Result, ResultSet
from perfcore.results.readers import UNKNOWN_MACHINE

__all__ = ["check_judgeable", "check_not_lost", "check_same_machine"]

# Quantities that cannot be negative; a duration also cannot be zero in every sample.
_NON_NEGATIVE = frozenset({"s", "bytes", "req/s", "ops/s"})


def _problem(result: Result) -> str | None:
    if not result.samples:
        return "has no samples"
    if result.unit in _NON_NEGATIVE and min(result.samples) < 0:
        return f"has negative values ({min(result.samples):g} {result.unit})"
    # Locust rounds latencies to whole milliseconds: a fast endpoint's 0 is a real reading.
    if result.unit == "s" and max(result.samples) == 0 and result.extra.get("source") != "locust":
        return "has durations that are all zero"
    return None


def check_not_lost(baseline: ResultSet, skipped: frozenset[str], side: str) -> None:
    """InputError when a baseline result is absent from ``side`` because its reader had to
    skip it: that is unreadable input (exit 2), not a missing benchmark (exit 1)."""
    for result in baseline.results:
        if any(result.id == s or result.id.startswith(f"{s}(") for s in skipped):
            raise InputError(
                f"{side}: result {result.id!r:.80} could not be read (see the "
                "warning above); it is not judged missing"
            )


def check_judgeable(results: ResultSet, side: str) -> None:
    """InputError naming ``side`` when it holds no result, or one that cannot be judged."""
    if not results.results:
        raise InputError(f"{side} holds no results; nothing to judge")
    for result in results.results:
        problem = _problem(result)
        if problem is not None:
            raise InputError(f"{side}: result {result.id!r:.80} {problem}; it cannot be judged")


def check_same_machine(baseline: ResultSet, current: ResultSet, *, allow: bool) -> None:
    """BaselineError (exit 2) when both sides name their machines and the two differ."""
    mb, mc = baseline.run.machine, current.run.machine
    known = UNKNOWN_MACHINE.id not in (mb.id, mc.id)
    if known and mb.id != mc.id and not allow:
        raise BaselineError(
            f"baseline was measured on machine {mb.id} ({mb.cpu}), current on "
            f"{mc.id} ({mc.cpu}); pass --allow-cross-machine to judge anyway"
        )
