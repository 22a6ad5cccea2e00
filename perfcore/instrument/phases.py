"""Phase tracker: wall time, process CPU time and invocations per named phase.

Usage::

    tracker = PhaseTracker({"training": "advanced"})
    with tracker.phase("training"):
        ...
    tracker.enter("validation"); ...; tracker.exit("validation")

Both clocks are nanosecond integers (``time.perf_counter_ns`` for wall time,
``time.process_time_ns`` for the CPU time of the whole process) and injectable,
so tests drive the tracker with a fake clock. The hot path (enter + exit) is
kept allocation-free: one reusable context object per phase, ``__slots__``
everywhere, and integer arithmetic only; statistics are built on demand.

A tracker also holds a per-phase *baseline* (seconds) and reports the current
reduction against it and whether a target reduction (percent) is met.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from types import TracebackType

__all__ = ["Optimisation", "PhaseStats", "PhaseTracker"]

Clock = Callable[[], int]


@dataclass(frozen=True)
class PhaseStats:
    """Totals of one phase: wall and CPU nanoseconds summed over its invocations."""

    name: str
    tier: str
    wall_ns: int
    cpu_ns: int
    calls: int

    @property
    def wall_s(self) -> float:
        """Total wall time in seconds."""
        return self.wall_ns / 1e9

    @property
    def cpu_s(self) -> float:
        """Total process CPU time in seconds."""
        return self.cpu_ns / 1e9

    def to_dict(self) -> dict[str, object]:
        """JSON-ready form."""
        return {
            "name": self.name,
            "tier": self.tier,
            "wall_s": self.wall_s,
            "cpu_s": self.cpu_s,
            "calls": self.calls,
        }


@dataclass(frozen=True)
class Optimisation:
    """The current run against the baseline: per phase and in total (seconds)."""

    baseline_s: Mapping[str, float]
    current_s: Mapping[str, float]
    baseline_total_s: float
    current_total_s: float
    reduction_pct: float
    phase_reduction_pct: Mapping[str, float]
    target_reduction_pct: float
    meeting_target: bool

    def to_dict(self) -> dict[str, object]:
        """JSON-ready form."""
        return {
            "baseline_s": dict(self.baseline_s),
            "current_s": dict(self.current_s),
            "baseline_total_s": self.baseline_total_s,
            "current_total_s": self.current_total_s,
            "reduction_pct": self.reduction_pct,
            "phase_reduction_pct": dict(self.phase_reduction_pct),
            "target_reduction_pct": self.target_reduction_pct,
            "meeting_target": self.meeting_target,
        }


def _reduction(baseline: float, current: float) -> float:
    return 0.0 if baseline <= 0 else (baseline - current) / baseline * 100.0


class _Slot:
    """Mutable accumulator of one phase (private: the public view is PhaseStats)."""

    __slots__ = ("active", "calls", "cpu0", "cpu_ns", "name", "tier", "wall0", "wall_ns")

    def __init__(self, name: str, tier: str) -> None:
        self.name = name
        self.tier = tier
        self.wall_ns = 0
        self.cpu_ns = 0
        self.calls = 0
        self.wall0 = 0
        self.cpu0 = 0
        self.active = False


class _PhaseContext:
    """The reusable context manager of one phase; entering twice without exit is an error."""

    __slots__ = ("_cpu", "_slot", "_wall")

    def __init__(self, slot: _Slot, wall: Clock, cpu: Clock) -> None:
        self._slot = slot
        self._wall = wall
        self._cpu = cpu

    def __enter__(self) -> None:
        slot = self._slot
        if slot.active:
            raise RuntimeError(f"phase {slot.name!r} entered while already running")
        slot.active = True
        slot.cpu0 = self._cpu()
        slot.wall0 = self._wall()  # read last so the wall interval is the tighter one

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        wall = self._wall()
        cpu = self._cpu()
        slot = self._slot
        if not slot.active:
            raise RuntimeError(f"phase {slot.name!r} exited without being entered")
        slot.wall_ns += wall - slot.wall0
        slot.cpu_ns += cpu - slot.cpu0
        slot.calls += 1
        slot.active = False


class PhaseTracker:
    """Accumulates wall time, CPU time and calls per phase; compares with a baseline."""

    __slots__ = ("_baseline", "_contexts", "_cpu", "_slots", "_tiers", "_wall")

    def __init__(
        self,
        tiers: Mapping[str, str] | None = None,
        *,
        wall_clock: Clock = time.perf_counter_ns,
        cpu_clock: Clock = time.process_time_ns,
    ) -> None:
        self._tiers = dict(tiers or {})
        self._wall = wall_clock
        self._cpu = cpu_clock
        self._slots: dict[str, _Slot] = {}
        self._contexts: dict[str, _PhaseContext] = {}
        self._baseline: dict[str, float] = {}

    def _context(self, name: str) -> _PhaseContext:
        slot = _Slot(name, self._tiers.get(name, "-"))
        self._slots[name] = slot
        context = self._contexts[name] = _PhaseContext(slot, self._wall, self._cpu)
        return context

    def phase(self, name: str) -> _PhaseContext:
        """The (reused) context manager timing phase ``name``."""
        context = self._contexts.get(name)
        return context if context is not None else self._context(name)

    def enter(self, name: str) -> None:
        """Start timing phase ``name`` (the low-level half of ``with phase(name)``)."""
        context = self._contexts.get(name)
        (context if context is not None else self._context(name)).__enter__()

    def exit(self, name: str) -> None:
        """Stop timing phase ``name``; it must have been entered."""
        context = self._contexts.get(name)
        if context is None:
            raise RuntimeError(f"phase {name!r} exited without being entered")
        context.__exit__(None, None, None)

    def stats(self) -> tuple[PhaseStats, ...]:
        """One PhaseStats per phase, in the order phases were first used."""
        return tuple(
            PhaseStats(s.name, s.tier, s.wall_ns, s.cpu_ns, s.calls) for s in self._slots.values()
        )

    def total_wall_ns(self) -> int:
        """Wall nanoseconds summed over all phases."""
        return sum(s.wall_ns for s in self._slots.values())

    def reset(self) -> None:
        """Forget all timings (the baseline and tiers are kept)."""
        for slot in self._slots.values():
            slot.wall_ns = slot.cpu_ns = slot.calls = 0
            slot.active = False

    @property
    def baseline(self) -> Mapping[str, float]:
        """The per-phase baseline in seconds (empty when none was set)."""
        return dict(self._baseline)

    def set_baseline(self, seconds: Mapping[str, float]) -> None:
        """Use ``seconds`` (phase name -> wall seconds) as the baseline."""
        if any(value < 0 for value in seconds.values()):
            raise ValueError("baseline times must be non-negative")
        self._baseline = dict(seconds)

    def current_s(self) -> dict[str, float]:
        """This tracker's wall seconds per phase."""
        return {s.name: s.wall_ns / 1e9 for s in self._slots.values()}

    def optimisation(self, target_reduction_pct: float) -> Optimisation:
        """The reduction against the baseline over the phases both know, and the target verdict."""
        if not self._baseline:
            raise ValueError("no baseline set")
        current = self.current_s()
        shared = [name for name in self._baseline if name in current]
        base_total = sum(self._baseline[n] for n in shared)
        cur_total = sum(current[n] for n in shared)
        reduction = _reduction(base_total, cur_total)
        return Optimisation(
            baseline_s={n: self._baseline[n] for n in shared},
            current_s={n: current[n] for n in shared},
            baseline_total_s=base_total,
            current_total_s=cur_total,
            reduction_pct=reduction,
            phase_reduction_pct={n: _reduction(self._baseline[n], current[n]) for n in shared},
            target_reduction_pct=target_reduction_pct,
            meeting_target=reduction >= target_reduction_pct,
        )
