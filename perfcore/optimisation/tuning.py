"""The tuner: walk server configurations one bounded step at a time, keep what raises capacity.

From a starting configuration the tuner measures its capacity
(:func:`~perfcore.optimisation.capacity.find_capacity`), then tries neighbours: each
moves one setting by at most the strategy's ``notches`` along its ladder. A
candidate is applied to the target and its own search starts at the incumbent's
capacity -- that first probe is the *step*: the new configuration at the load the
old one carried. When the step violates the SLO the previous configuration is
restored at once (``target.apply(previous)``) and the trial is marked rolled back;
the candidate's capacity is still searched below, so every configuration tried has a
figure. A candidate is adopted only when its capacity beats the incumbent's by
``min_gain``. The walk ends when no neighbour improves, after ``max_configs``
configurations, or when the time budget is spent.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, replace
from typing import Any, Protocol

from perfcore.optimisation.capacity import (
    SLO,
    Capacity,
    Probe,
    Strategy,
    find_capacity,
    probe_rate,
)
from perfcore.optimisation.precision import PRECISIONS
from perfcore.optimisation.profiles import ServerSettings

__all__ = [
    "DEFAULT_LADDERS",
    "LoadTarget",
    "Trial",
    "TuneLimits",
    "TuneResult",
    "neighbours",
    "tune",
]

DEFAULT_LADDERS: dict[str, tuple[Any, ...]] = {
    "workers": (1, 2, 4, 8),
    "batch_rows": (0, 8, 16, 32, 64),
    "batch_wait_ms": (0.5, 1.0, 2.0, 5.0),
    "precision": PRECISIONS,
}


class LoadTarget(Protocol):
    """Something the tuner can configure and load: a server behind the open-loop generator."""

    def apply(self, settings: ServerSettings) -> None:
        """Make ``settings`` the live configuration (restart the server if needed)."""
        ...

    def run(self, rate: float) -> Any:
        """One load step at ``rate``; returns a StepResult."""
        ...


@dataclass(frozen=True)
class TuneLimits:
    """The search's budget."""

    max_configs: int = 8
    time_budget_s: float = 600.0
    max_steps: int = 7
    start_rate: float = 200.0
    precision: float = 0.1
    measure_rejected: bool = True  # search a rolled-back candidate's capacity for the table
    retry_failed: int = 0  # re-run a failing search step this many times (shared machines)


@dataclass(frozen=True)
class Trial:
    """One configuration tried, its capacity, and what the tuner did with it."""

    settings: ServerSettings
    capacity: Capacity
    adopted: bool
    rolled_back: bool
    note: str
    elapsed_s: float


@dataclass(frozen=True)
class TuneResult:
    """Every trial, the best configuration and what the search cost."""

    trials: tuple[Trial, ...]
    best: ServerSettings
    best_rate: float
    elapsed_s: float
    stopped: str  # why the walk ended

    @property
    def probes(self) -> int:
        """Load steps run in all."""
        return sum(len(t.capacity.probes) for t in self.trials)


def neighbours(
    settings: ServerSettings, strategy: Strategy, ladders: Mapping[str, Sequence[Any]]
) -> Iterator[ServerSettings]:
    """Configurations one setting away, moved at most ``strategy.notches`` rungs."""
    for key, ladder in ladders.items():
        current = getattr(settings, key)
        rungs = list(ladder)
        if current not in rungs:
            continue
        at = rungs.index(current)
        for step in range(1, strategy.notches + 1):
            for index in (at + step, at - step):
                if 0 <= index < len(rungs):
                    yield replace(settings, **{key: rungs[index]})


@dataclass(frozen=True)
class _Walk:
    target: LoadTarget
    slo: SLO
    strategy: Strategy
    limits: TuneLimits
    spent: Callable[[], bool]
    min_gain: float

    def search(self, start_rate: float, **known: float) -> Capacity:
        return find_capacity(
            self.target.run,
            start_rate,
            self.slo,
            self.strategy,
            max_steps=self.limits.max_steps,
            precision=self.limits.precision,
            should_stop=self.spent,
            retry_failed=self.limits.retry_failed,
            **known,
        )


def tune(
    target: LoadTarget,
    start: ServerSettings,
    slo: SLO,
    strategy: Strategy,
    limits: TuneLimits,
    *,
    ladders: Mapping[str, Sequence[Any]] = DEFAULT_LADDERS,
    min_gain: float = 0.05,
    clock: Callable[[], float] = time.monotonic,
) -> TuneResult:
    """Hill-climb over ``ladders`` from ``start``; returns the best configuration found."""
    t0 = clock()
    walk = _Walk(
        target, slo, strategy, limits, lambda: clock() - t0 >= limits.time_budget_s, min_gain
    )
    current = start
    target.apply(current)
    cap = walk.search(limits.start_rate)
    trials = [Trial(current, cap, True, False, "start", clock() - t0)]
    tried = {current}
    improved = True
    while improved:
        improved = False
        for cand in neighbours(current, strategy, ladders):
            if cand in tried:
                continue
            if len(trials) >= limits.max_configs or walk.spent():
                return _result(
                    trials,
                    clock() - t0,
                    "time budget spent" if walk.spent() else "max configurations tried",
                )
            tried.add(cand)
            trial = _try(walk, current, cap, cand)
            trials.append(replace(trial, elapsed_s=clock() - t0))
            if trial.adopted:
                current, cap = cand, trial.capacity
                improved = True
                break
    return _result(trials, clock() - t0, "no neighbour raised capacity")


def _try(walk: _Walk, current: ServerSettings, cap: Capacity, cand: ServerSettings) -> Trial:
    target, factor = walk.target, walk.strategy.rate_factor
    target.apply(cand)
    start_rate = cap.rate if cap.rate > 0 else walk.limits.start_rate
    tried: list[Probe] = []
    first = probe_rate(target.run, start_rate, walk.slo, walk.limits.retry_failed, tried)
    if not first.passed:
        note = f"step at {start_rate:.0f}/s: {first.reason}; rolled back"
        target.apply(current)  # the step broke the SLO: the previous configuration is back
        below = Capacity(0.0, ())
        if walk.limits.measure_rejected and not walk.spent():
            target.apply(cand)  # an experiment for the table, then the previous one again
            below = walk.search(start_rate / factor, known_fail=start_rate)
            target.apply(current)
        return Trial(cand, Capacity(below.rate, (*tried, *below.probes)), False, True, note, 0.0)
    rest = (
        walk.search(start_rate * factor, known_pass=start_rate)
        if not walk.spent()
        else Capacity(0.0, ())
    )
    rate = max(start_rate, rest.rate)
    capacity = Capacity(rate, (*tried, *rest.probes))
    if rate > cap.rate * (1 + walk.min_gain):
        return Trial(cand, capacity, True, False, "adopted", 0.0)
    target.apply(current)
    return Trial(cand, capacity, False, False, "no gain; kept previous", 0.0)


def _result(trials: list[Trial], elapsed_s: float, stopped: str) -> TuneResult:
    best = max(trials, key=lambda t: t.capacity.rate)
    return TuneResult(tuple(trials), best.settings, best.capacity.rate, elapsed_s, stopped)
