"""The alert manager itself; rules, policy and notifications are in :mod:`.alerts`."""

from __future__ import annotations

import logging
import threading
import time
from collections import deque
from collections.abc import Callable, Iterable
from dataclasses import fields, replace
from typing import Any

from perfcore.errors import ConfigError
from perfcore.instrument.monitor import ResourceMonitor, Sample
from perfcore.optimisation.alerts import (
    AlertPolicy,
    AlertStats,
    Notification,
    Rule,
    _Pending,
    _State,
)
from perfcore.optimisation.channels import Channel, DeliveryError

__all__ = ["AlertManager"]

_log = logging.getLogger("perfcore.alerts")


class AlertManager:
    """Judges metric streams with rules and delivers notifications to channels."""

    def __init__(
        self,
        rules: Iterable[Rule],
        channels: Iterable[Channel],
        *,
        policy: AlertPolicy | None = None,
        escalation_channels: Iterable[Channel] = (),
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.rules = tuple(rules)
        names = [r.name for r in self.rules]
        if len(set(names)) != len(names):
            raise ConfigError("alert rule names must be unique")
        self.channels = tuple(channels)
        self.escalation_channels = tuple(escalation_channels)
        self.policy = policy or AlertPolicy()
        self.stats = AlertStats()
        self.pending: list[_Pending] = []
        self.dead: list[_Pending] = []
        self.sent: list[Notification] = []
        self._clock = clock
        self._state = {r.name: _State() for r in self.rules}
        self._history: dict[str, deque[tuple[float, float]]] = {}
        self._windows: dict[str, int] = {}
        for rule in self.rules:
            self._windows[rule.metric] = max(self._windows.get(rule.metric, 1), rule.window)
        self._suppressions: list[tuple[float, float, str | None]] = []
        self._lock = threading.RLock()

    # --- feeding ---------------------------------------------------------------------
    def observe(self, metric: str, value: float, t: float | None = None) -> list[Notification]:
        """Record one value of ``metric`` and judge its rules; returns what was notified."""
        now = self._clock() if t is None else t
        with self._lock:
            self.stats.counts["observed"] += 1
            self.retry_due(now)
            if metric not in self._windows:
                return []
            history = self._history.setdefault(metric, deque(maxlen=self._windows[metric]))
            history.append((now, float(value)))
            out: list[Notification] = []
            for rule in self.rules:
                if rule.metric != metric:
                    continue
                reason = rule.breach(tuple(history))
                if reason is None:
                    self._clear(rule)
                else:
                    note = self._fire(rule, float(value), reason, now)
                    if note is not None:
                        out.append(note)
            return out

    def observe_sample(self, sample: Sample) -> None:
        """Every numeric field of a ResourceMonitor sample as ``resource.<field>``."""
        for f in fields(sample):
            value = getattr(sample, f.name)
            if f.name != "t" and isinstance(value, int | float):
                self.observe(f"resource.{f.name}", float(value), sample.t)

    def observe_load(self, p99_s: float | None, error_rate: float, throughput: float) -> None:
        """One load-test result (from perfcore load or a tuning step)."""
        if p99_s is not None:
            self.observe("load.p99_s", p99_s)
        self.observe("load.error_rate", error_rate)
        self.observe("load.throughput", throughput)

    def observe_gate(self, passed: bool) -> None:
        """A gate verdict: ``gate.failed`` is 1 for a failed gate, else 0."""
        self.observe("gate.failed", 0.0 if passed else 1.0)

    def watch(self, monitor: ResourceMonitor) -> None:
        """Judge every sample ``monitor`` takes from now on."""
        monitor.add_sample_callback(self.observe_sample)

    # --- operator actions --------------------------------------------------------------
    def acknowledge(self, rule: str) -> None:
        """Silence ``rule`` until its condition clears (no notification, no escalation)."""
        with self._lock:
            if rule not in self._state:
                raise ConfigError(f"no alert rule named {rule!r}")
            self._state[rule].acknowledged = True
            self.stats.counts["acknowledged"] += 1

    def suppress(self, start: float, end: float, rule: str | None = None) -> None:
        """No notifications from ``rule`` (every rule when None) for clock times in [start, end)."""
        if end <= start:
            raise ConfigError("a suppression window must end after it starts")
        if rule is not None and rule not in self._state:
            raise ConfigError(f"no alert rule named {rule!r}")
        with self._lock:
            self._suppressions.append((start, end, rule))

    # --- internals ---------------------------------------------------------------------
    def _clear(self, rule: Rule) -> None:
        state = self._state[rule.name]
        if state.active:
            self.stats.counts["resolved"] += 1
        state.active, state.repeats, state.acknowledged = False, 0, False

    def _suppressed(self, rule: str, now: float) -> bool:
        return any(a <= now < b and r in (None, rule) for a, b, r in self._suppressions)

    def _fire(self, rule: Rule, value: float, reason: str, now: float) -> Notification | None:
        state = self._state[rule.name]
        state.active = True
        state.repeats += 1
        self.stats.fired[rule.name] += 1
        self.stats.counts["fired"] += 1
        if state.acknowledged:
            self.stats.counts["quiet_acknowledged"] += 1
            return None
        if self._suppressed(rule.name, now):
            self.stats.counts["suppressed"] += 1
            return None
        if now - state.last_notified < self.policy.cooldown_s:
            self.stats.counts["cooldown"] += 1
            return None
        escalated = state.repeats >= self.policy.escalate_after
        note = Notification(
            rule.name,
            rule.metric,
            value,
            "critical" if escalated else rule.severity,
            reason,
            now,
            state.repeats,
            escalated,
        )
        state.last_notified = now
        self.stats.counts["notified"] += 1
        if escalated:
            self.stats.counts["escalated"] += 1
        self.sent.append(note)
        targets = self.channels + (self.escalation_channels if escalated else ())
        for channel in targets:
            self._deliver(_Pending(note, channel, 0, now), now)
        return note

    def _deliver(self, item: _Pending, now: float) -> None:
        item.attempts += 1
        try:
            item.channel.send(item.notification.payload())
        except Exception as exc:  # any channel failure is kept for a retry, never raised
            item.error = str(exc) if isinstance(exc, DeliveryError) else type(exc).__name__
            self.stats.counts["delivery_failed"] += 1
            self.stats.failed[item.channel.name] += 1
            self._requeue(item, now)
            return
        self.stats.counts["delivered"] += 1
        self.stats.delivered[item.channel.name] += 1

    def _requeue(self, item: _Pending, now: float) -> None:
        if item.attempts >= self.policy.max_attempts:
            self.dead.append(item)
            self.stats.counts["dropped"] += 1
            _log.warning(
                "alert %s to %s given up after %d attempts: %s",
                item.notification.rule,
                item.channel.name,
                item.attempts,
                item.error,
            )
            return
        delay = min(self.policy.backoff_s * 2 ** (item.attempts - 1), self.policy.max_backoff_s)
        self.pending.append(replace(item, due=now + delay))
        if len(self.pending) > self.policy.max_pending:
            self.dead.append(self.pending.pop(0))
            self.stats.counts["dropped"] += 1

    def retry_due(self, now: float | None = None) -> int:
        """Retry every kept notification whose backoff has passed; returns how many were tried."""
        with self._lock:
            at = self._clock() if now is None else now
            due = [p for p in self.pending if p.due <= at]
            self.pending = [p for p in self.pending if p.due > at]
            for item in due:
                self.stats.counts["retried"] += 1
                self._deliver(item, at)
            return len(due)

    def summary(self) -> dict[str, Any]:
        """Counts, per-rule firings, and kept (pending) and dropped notifications."""
        with self._lock:
            return {**self.stats.to_dict(), "pending": len(self.pending), "dead": len(self.dead)}
