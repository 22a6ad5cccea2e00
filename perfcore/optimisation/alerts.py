"""The alert manager: rules over metric streams, channels, escalation, suppression, retries.

Metrics arrive by name through :meth:`AlertManager.observe` -- from
:class:`~perfcore.instrument.monitor.ResourceMonitor` samples (``resource.<field>``,
attached with :meth:`AlertManager.watch`), load results (``load.p99_s``,
``load.error_rate``, ``load.throughput``) and gate verdicts (``gate.failed``, 1 or 0).

Three rule kinds judge a metric's recent history: a threshold, a rate of change
per second, and a z-score against the previous ``window`` values. A rule that
breaches *fires*; whether the firing becomes a notification depends on, in order:
acknowledgement (an acknowledged alert stays quiet until its condition clears),
suppression windows, and the cooldown since the rule last notified. A rule that has
fired ``escalate_after`` times in a row without being acknowledged escalates to
``critical`` and also goes to the escalation channels.

A failed delivery is kept and retried with exponential backoff capped at
``max_backoff_s``, at most ``max_attempts`` times, then moved to :attr:`dead`
(kept, counted). No channel failure propagates: the monitor feeding the manager
keeps sampling. Time comes from an injectable clock.

These rules supersede the monitor's own :class:`~perfcore.instrument.monitor.AlertRule`
for anything beyond "past a threshold for N samples" and carry distinct names.
"""

from __future__ import annotations

import logging
import math
import statistics
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field, fields
from typing import Any, Literal

from perfcore.errors import ConfigError
from perfcore.optimisation.channels import Channel

__all__ = [
    "AlertPolicy",
    "AlertStats",
    "Notification",
    "RateOfChangeRule",
    "Rule",
    "ThresholdRule",
    "ZScoreRule",
]

Severity = Literal["info", "warning", "critical"]
History = Sequence[tuple[float, float]]  # (t, value), oldest first, newest last
_log = logging.getLogger("perfcore.alerts")


@dataclass(frozen=True)
class _NamedRule:
    """What every rule has: its name and the metric it watches (both required)."""

    name: str
    metric: str

    def __post_init__(self) -> None:
        if not self.name or not self.metric:
            raise ConfigError("an alert rule needs a name and a metric")


@dataclass(frozen=True)
class ThresholdRule(_NamedRule):
    """Breach when the newest value is past ``threshold`` (above, or below when not ``above``)."""

    threshold: float
    above: bool = True
    severity: Severity = "warning"

    @property
    def window(self) -> int:
        """Values of history the rule needs."""
        return 1

    def breach(self, history: History) -> str | None:
        """Why the newest value breaches, or None."""
        value = history[-1][1]
        if (value > self.threshold) if self.above else (value < self.threshold):
            return f"{self.metric} = {value:g} {'>' if self.above else '<'} {self.threshold:g}"
        return None


@dataclass(frozen=True)
class RateOfChangeRule(_NamedRule):
    """Breach when the metric moves faster than ``max_per_s`` between its last two values."""

    max_per_s: float
    direction: Literal["rise", "fall", "either"] = "rise"
    severity: Severity = "warning"

    def __post_init__(self) -> None:
        super().__post_init__()
        if self.max_per_s < 0 or self.direction not in ("rise", "fall", "either"):
            raise ConfigError("rate-of-change rule: max_per_s >= 0 and a known direction")

    @property
    def window(self) -> int:
        """Values of history the rule needs."""
        return 2

    def breach(self, history: History) -> str | None:
        """Why the last change is too fast, or None."""
        if len(history) < 2 or history[-1][0] <= history[-2][0]:
            return None
        rate = (history[-1][1] - history[-2][1]) / (history[-1][0] - history[-2][0])
        signed = {"rise": rate, "fall": -rate, "either": abs(rate)}[self.direction]
        if signed > self.max_per_s:
            return f"{self.metric} changes {rate:+g}/s (limit {self.max_per_s:g}/s)"
        return None


@dataclass(frozen=True)
class ZScoreRule(_NamedRule):
    """Breach when the newest value is ``z`` standard deviations from the previous ``window``."""

    window_size: int = 30
    z: float = 3.0
    severity: Severity = "warning"

    def __post_init__(self) -> None:
        super().__post_init__()
        if self.window_size < 3 or self.z <= 0:
            raise ConfigError("z-score rule: window_size >= 3 and z > 0")

    @property
    def window(self) -> int:
        """Values of history the rule needs."""
        return self.window_size + 1

    def breach(self, history: History) -> str | None:
        """Why the newest value is an anomaly, or None (also while the window fills)."""
        if len(history) <= self.window_size:
            return None
        past = [v for _, v in history[-self.window_size - 1 : -1]]
        mean, sd = statistics.fmean(past), statistics.pstdev(past)
        value = history[-1][1]
        if sd == 0:
            return None if value == mean else f"{self.metric} = {value:g}, constant {mean:g} before"
        score = (value - mean) / sd
        if abs(score) > self.z:
            return f"{self.metric} = {value:g} is {score:+.1f} sd from the mean {mean:g}"
        return None


Rule = ThresholdRule | RateOfChangeRule | ZScoreRule


@dataclass(frozen=True)
class AlertPolicy:
    """Cooldown, escalation and retry settings shared by every rule."""

    cooldown_s: float = 60.0
    escalate_after: int = 3
    max_attempts: int = 6
    backoff_s: float = 1.0
    max_backoff_s: float = 60.0
    max_pending: int = 1000

    def __post_init__(self) -> None:
        if self.cooldown_s < 0 or self.escalate_after < 1 or self.max_attempts < 1:
            raise ConfigError("alert policy: cooldown >= 0, escalate_after >= 1, attempts >= 1")
        if not 0 < self.backoff_s <= self.max_backoff_s or self.max_pending < 1:
            raise ConfigError("alert policy: 0 < backoff <= max backoff, max_pending >= 1")


@dataclass(frozen=True)
class Notification:
    """What the channels receive."""

    rule: str
    metric: str
    value: float
    severity: Severity
    message: str
    t: float
    repeat: int
    escalated: bool

    def payload(self) -> dict[str, Any]:
        """JSON-ready form."""
        return {f.name: getattr(self, f.name) for f in fields(self)}


@dataclass
class _State:
    active: bool = False
    repeats: int = 0
    acknowledged: bool = False
    last_notified: float = -math.inf


@dataclass
class _Pending:
    notification: Notification
    channel: Channel
    attempts: int
    due: float
    error: str = ""


@dataclass
class AlertStats:
    """Counts since the manager started (``counts``), per-rule firings, per-channel deliveries."""

    counts: Counter[str] = field(default_factory=Counter)
    fired: Counter[str] = field(default_factory=Counter)
    delivered: Counter[str] = field(default_factory=Counter)  # by channel name
    failed: Counter[str] = field(default_factory=Counter)  # failed attempts, by channel name

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready form (what the report's alert section reads)."""
        return {
            "counts": dict(self.counts),
            "fired": dict(self.fired),
            "delivered": dict(self.delivered),
            "failed": dict(self.failed),
        }
