"""Capacity search: the highest open-loop arrival rate whose p99 meets the SLO.

The search brackets the answer as MLPerf LoadGen's server scenario does in its
"find peak performance" mode: from a start rate it grows (or shrinks) the rate by a
bounded factor until one step passes and one fails, then bisects the bracket
geometrically until it is narrower than ``precision``. A step passes only when it is
*valid* -- the achieved arrival rate within ``rate_tolerance`` of the target (a
generator that fell behind did not offer that load), at least ``min_requests``
requests, no errors -- and its corrected p99 is within the SLO.

Nothing here runs load: the caller passes a function ``rate -> StepResult``
(perfcore.load.tune wires the open-loop generator and a server to it; tests pass
fakes), so the search itself is a pure, deterministic loop.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass

from perfcore.errors import ConfigError

__all__ = [
    "SLO",
    "STRATEGIES",
    "Capacity",
    "Probe",
    "StepResult",
    "Strategy",
    "find_capacity",
    "judge_step",
    "probe_rate",
]


@dataclass(frozen=True)
class StepResult:
    """What one load step at a target rate measured."""

    target_rate: float
    achieved_rate: float
    requests: int
    errors: int
    p99_s: float | None
    p50_s: float | None = None


@dataclass(frozen=True)
class SLO:
    """The latency objective and what makes a step count."""

    p99_s: float = 0.020
    rate_tolerance: float = 0.05
    min_requests: int = 200

    def __post_init__(self) -> None:
        if self.p99_s <= 0 or not 0 < self.rate_tolerance < 1 or self.min_requests < 1:
            raise ConfigError("SLO p99 must be > 0, rate tolerance in (0, 1), min requests >= 1")


@dataclass(frozen=True)
class Strategy:
    """How far one step may move: the rate by ``rate_factor``, a setting by ``notches``."""

    name: str
    rate_factor: float
    notches: int


STRATEGIES = {
    "conservative": Strategy("conservative", 1.25, 1),
    "balanced": Strategy("balanced", 1.5, 1),
    "aggressive": Strategy("aggressive", 2.0, 2),
}


def judge_step(step: StepResult, slo: SLO) -> str:
    """Empty when the step passes, else why it does not (invalid, or over the SLO)."""
    if step.requests < slo.min_requests:
        return f"invalid: {step.requests} requests < {slo.min_requests}"
    if step.errors:
        return f"invalid: {step.errors} errors"
    if abs(step.achieved_rate - step.target_rate) > slo.rate_tolerance * step.target_rate:
        return f"invalid: achieved {step.achieved_rate:.0f}/s, target {step.target_rate:.0f}/s"
    if step.p99_s is None or step.p99_s > slo.p99_s:
        p99 = "none" if step.p99_s is None else f"{step.p99_s * 1e3:.1f} ms"
        return f"p99 {p99} > {slo.p99_s * 1e3:g} ms"
    return ""


@dataclass(frozen=True)
class Probe:
    """One step of a search and its verdict."""

    rate: float
    step: StepResult
    reason: str  # empty: passed

    @property
    def passed(self) -> bool:
        """True when the step met the SLO and was valid."""
        return not self.reason


@dataclass(frozen=True)
class Capacity:
    """The highest passing rate (0 when none passed) and every probe that found it."""

    rate: float
    probes: tuple[Probe, ...]

    @property
    def bracketed(self) -> bool:
        """True when a passing and a failing rate were both seen."""
        return any(p.passed for p in self.probes) and any(not p.passed for p in self.probes)


def find_capacity(
    run: Callable[[float], StepResult],
    start_rate: float,
    slo: SLO,
    strategy: Strategy,
    *,
    max_steps: int = 8,
    precision: float = 0.05,
    min_rate: float = 1.0,
    max_rate: float = 1e6,
    should_stop: Callable[[], bool] = lambda: False,
    known_pass: float | None = None,
    known_fail: float | None = None,
    retry_failed: int = 0,
) -> Capacity:
    """Bracket and bisect the capacity; at most ``max_steps`` rates, each run by ``run``.

    ``known_pass`` / ``known_fail`` are rates already measured (by the caller's own
    step), so the bracket starts from them. ``retry_failed`` re-runs a failing rate
    up to that many times and keeps the first pass: on a machine shared with other
    work a stall from outside can fail one step; this is optimistic by design.
    """
    if not min_rate <= start_rate <= max_rate or max_steps < 1 or precision <= 0:
        raise ConfigError(f"start rate {start_rate:g} must lie in [{min_rate:g}, {max_rate:g}]")
    lo = known_pass  # highest passing rate
    hi = known_fail  # lowest failing rate
    probes: list[Probe] = []
    rate = start_rate
    for _ in range(max_steps):
        probe = probe_rate(run, rate, slo, retry_failed, probes)
        if probe.passed:
            lo = rate if lo is None else max(lo, rate)
        else:
            hi = rate if hi is None else min(hi, rate)
        nxt = _next_rate(lo, hi, strategy.rate_factor, precision)
        if nxt is None or not min_rate <= nxt <= max_rate or should_stop():
            break
        rate = nxt
    return Capacity(lo or 0.0, tuple(probes))


def probe_rate(
    run: Callable[[float], StepResult], rate: float, slo: SLO, retries: int, probes: list[Probe]
) -> Probe:
    """Run ``rate`` (again on failure, up to ``retries`` times); appends to ``probes``."""
    for _ in range(retries + 1):
        step = run(rate)
        probe = Probe(rate, step, judge_step(step, slo))
        probes.append(probe)
        if probe.passed:
            break
    return probe


def _next_rate(lo: float | None, hi: float | None, factor: float, precision: float) -> float | None:
    if hi is None:
        assert lo is not None
        return lo * factor
    if lo is None:
        return hi / factor
    if hi / lo <= 1 + precision:
        return None
    return math.sqrt(lo * hi)  # geometric midpoint: rates span orders of magnitude
