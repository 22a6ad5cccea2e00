"""The retraining controller: trigger, cooldown, resources, cost, train, shadow, promote.

After a promotion the new version is on probation: a window whose accuracy is
``rollback_drop`` below the candidate's shadow accuracy, and significantly so
(one-sided binomial test at ``rollback_alpha``), rolls the store back to the
version it replaced.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

from perfcore.retraining.cost import CostLedger, estimate_cost
from perfcore.retraining.monitor import OutcomeMonitor, Signal
from perfcore.retraining.resources import Resources, system_resources
from perfcore.retraining.settings import RetrainingSettings
from perfcore.retraining.store import ModelStore
from perfcore.retraining.trainer import Trainer

__all__ = ["Decision", "RetrainingController"]

Clock = Callable[[], float]
_PRIORITY = {"emergency": 0, "floor": 1, "drop": 2, "drift": 3, "schedule": 4}
_REFUSALS = frozenset({"cooldown", "resources", "cost"})


@dataclass(frozen=True)
class Decision:
    """What the controller did about one trigger (or one probation window)."""

    event: int
    trigger: str
    action: str  # promoted, rejected, would-retrain, cooldown, resources, cost, rolled-back
    reason: str
    version: str | None = None


@dataclass
class _Probation:
    version: str
    previous: str | None
    reference: float
    left: int
    n: int = 0
    k: int = 0


class RetrainingController:
    """Feeds a monitor and acts on its triggers; ``trainer=None`` decides without training."""

    def __init__(
        self,
        settings: RetrainingSettings,
        *,
        n_features: int | None = None,
        store: ModelStore | None = None,
        trainer: Trainer | None = None,
        clock: Clock = time.time,
        resources: Callable[[], Resources] = system_resources,
        ledger: CostLedger | None = None,
    ) -> None:
        self.settings = settings
        self.monitor = OutcomeMonitor(settings, n_features)
        # Spending lives in the store's ledger file when there is a store, so the limits
        # hold across runs; a dry run passes a ledger that reads it without booking.
        self.ledger = ledger or CostLedger(
            settings, clock, path=store.ledger_path if store is not None else None
        )
        self.store = store
        self.trainer = trainer
        self.clock = clock
        self.resources = resources
        self.started = clock()
        self.last_retrain: float | None = None
        self.probation: _Probation | None = None
        self.quieted: dict[tuple[str, str], int] = {}  # refusals since the last retrain
        self.quiet_total = 0
        self.last_refusal: Decision | None = None

    def observe(
        self, prediction: int, label: int, features: Sequence[float] | None = None
    ) -> list[Decision]:
        """One labelled outcome."""
        first = self.monitor.events
        signals = self.monitor.observe(prediction, label, features)
        decisions = (
            self._probation_check(np.array([prediction == label]), first)
            if self.probation is not None
            else []
        )
        return self._act(signals + self._schedule(), decisions)

    def observe_batch(
        self,
        predictions: NDArray[np.int64],
        labels: NDArray[np.int64],
        features: NDArray[np.float64] | None = None,
    ) -> list[Decision]:
        """Many outcomes in stream order; returns what was decided."""
        first = self.monitor.events
        signals = self.monitor.observe_batch(predictions, labels, features)
        decisions = self._probation_check(np.asarray(predictions) == np.asarray(labels), first)
        return self._act(signals + self._schedule(), decisions)

    def _act(self, signals: list[Signal], decisions: list[Decision]) -> list[Decision]:
        handled: set[int] = set()
        for signal in sorted(signals, key=lambda s: (s.event, _PRIORITY[s.kind])):
            if signal.event in handled:
                continue  # one decision per event: its most urgent trigger
            handled.add(signal.event)
            decision = self._handle(signal)
            key = (decision.trigger, decision.action)
            if decision.action in _REFUSALS:
                self.last_refusal = decision
                # A persisting condition re-triggers every few hundred events; say it once
                # until the next retrain and count the rest.
                self.quieted[key] = self.quieted.get(key, 0) + 1
                if self.quieted[key] > 1:
                    self.quiet_total += 1
                    continue
            else:
                self.quieted.clear()
            decisions.append(decision)
        return decisions

    def _schedule(self) -> list[Signal]:
        every = self.settings.schedule_s
        since = self.last_retrain if self.last_retrain is not None else self.started
        if every is None or self.clock() - since < every:
            return []
        return [Signal("schedule", self.monitor.events, f"{every:g} s since the last retrain")]

    def _handle(self, signal: Signal) -> Decision:
        now = self.clock()
        s = self.settings
        if self.last_retrain is not None and now - self.last_retrain < s.cooldown_s:
            return Decision(
                signal.event,
                signal.kind,
                "cooldown",
                f"{signal.detail}; within the {s.cooldown_hours:g} h cooldown",
            )
        free = self.resources()
        if free.available_mb < s.min_memory_mb or free.cpu_percent > s.max_cpu_percent:
            return Decision(
                signal.event,
                signal.kind,
                "resources",
                f"{free.available_mb:.0f} MB free, CPU {free.cpu_percent:.0f}% busy",
            )
        rows, labels, correct = self.monitor.history()
        estimate = estimate_cost(s.model_type, max(1, len(labels)))
        spend = self.ledger.try_spend(estimate, self._expected_gain(correct))
        if not spend.allowed:
            return Decision(signal.event, signal.kind, "cost", spend.reason)
        self.last_retrain = now
        if self.trainer is None or self.store is None or rows is None:
            return Decision(
                signal.event,
                signal.kind,
                "would-retrain",
                f"{signal.detail}; est. ${estimate.dollars:.2f}, {spend.reason}",
            )
        return self._retrain(signal, rows, labels, correct)

    def _expected_gain(self, correct: NDArray[np.bool_]) -> float:
        reference = self.monitor.reference
        recent = correct[-self.settings.window :]
        if reference is None or not len(recent):
            return self.settings.min_expected_gain
        return max(reference - float(recent.mean()), self.settings.min_expected_gain)

    def _retrain(
        self,
        signal: Signal,
        rows: NDArray[np.float64],
        labels: NDArray[np.int8],
        correct: NDArray[np.bool_],
    ) -> Decision:
        assert self.trainer is not None
        assert self.store is not None
        cut = len(labels) - self.settings.shadow_events
        candidate = self.trainer(rows[:cut], labels[:cut])
        stored = self.store.add(
            candidate.model_file,
            candidate.metadata_file,
            note=f"retrained on trigger {signal.kind}",
        )
        # Shadow mode: the candidate predicts the held-out latest events the live model served.
        candidate_acc = float((candidate.predict(rows[cut:]) == labels[cut:]).mean())
        live_acc = float(correct[cut:].mean())
        summary = f"candidate {candidate_acc:.4f} vs live {live_acc:.4f} on {len(labels) - cut}"
        if candidate_acc < live_acc * (1 + self.settings.min_improvement):
            self.store.apply_retention()
            return Decision(
                signal.event, signal.kind, "rejected", f"{summary} shadow events", stored.version
            )
        previous = self.store.current()
        self.store.promote(stored.version, reason=f"trigger {signal.kind}: {summary}")
        self.store.apply_retention()
        self.monitor.reset(candidate_acc)
        self.probation = _Probation(
            stored.version, previous, candidate_acc, self.settings.probation_events
        )
        return Decision(
            signal.event, signal.kind, "promoted", f"{summary} shadow events", stored.version
        )

    def _probation_check(self, correct: NDArray[np.bool_], first: int) -> list[Decision]:
        from scipy.stats import binom

        p = self.probation
        done, window = 0, self.settings.window
        while p is not None and done < len(correct):
            take = min(window - p.n, len(correct) - done, p.left)
            p.n += take
            p.k += int(correct[done : done + take].sum())
            p.left -= take
            done += take
            if p.n == window:
                degraded = p.k / p.n <= p.reference * (1 - self.settings.rollback_drop)
                if degraded and binom.cdf(p.k, p.n, p.reference) < self.settings.rollback_alpha:
                    return [self._roll_back(p, first + done)]
                p.n = p.k = 0
            if p.left == 0:
                self.probation = None
        return []

    def _roll_back(self, p: _Probation, event: int) -> Decision:
        self.probation = None
        accuracy = p.k / p.n
        reason = (
            f"accuracy {accuracy:.4f} after promotion, {self.settings.rollback_drop:.0%} or "
            f"more below the shadow {p.reference:.4f}"
        )
        if p.previous is None or self.store is None:
            return Decision(event, "probation", "no-rollback-target", reason, p.version)
        self.store.rollback(p.previous, reason=f"automatic: {reason}")
        self.monitor.reset(None)
        return Decision(event, "probation", "rolled-back", reason, p.previous)
