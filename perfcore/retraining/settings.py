"""Typed, validated settings of the retraining system, read from ``[tool.perfcore.retraining]``.

Every field has a default taken from the specification (5% relative drop, 0.55
floor, 6 h cooldown, $10/$100 limits, 150% ROI, 10 versions / 30 days, 10%
rollback). The statistical knobs (CUSUM boundary, per-window levels) are chosen
so that a stationary stream raises at most about one false trigger per 10^6
events; docs/retraining.md derives them.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, fields
from typing import Any

from perfcore.errors import ConfigError

__all__ = ["RetrainingSettings"]

_HOUR = 3600.0
_DAY = 24 * _HOUR


@dataclass(frozen=True)
class RetrainingSettings:
    """Triggers, cost limits and store policy; validated on construction."""

    # accuracy triggers
    reference_accuracy: float | None = None  # None: learnt from the first reference_events
    reference_events: int = 5000
    relative_drop: float = 0.05
    cusum_boundary: float = 16.0  # Wald: mean run length under no change >= e^16 ~ 8.9e6
    accuracy_floor: float = 0.55
    floor_alpha: float = 1e-4  # per window, one-sided exact binomial test
    window: int = 2500  # non-overlapping evaluation window (events)
    emergency_sigma: float = 3.0
    recent_windows: int = 20  # windows whose mean is "the recent mean"
    # drift
    drift_reference: int = 2000
    drift_window: int = 2000
    drift_alpha: float = 1e-4  # family-wise per evaluation (Holm across features)
    history: int = 20_000  # labelled rows kept for retraining and shadow evaluation
    # schedule, cooldown, resources
    schedule_s: float | None = 7 * _DAY
    cooldown_s: float = 6 * _HOUR
    min_memory_mb: float = 512.0
    max_cpu_percent: float = 90.0
    # cost
    daily_limit: float = 10.0
    monthly_limit: float = 100.0
    min_roi: float = 1.5
    value_per_correct: float = 0.001  # dollars a correct prediction is worth
    predictions_per_day: float = 100_000.0
    benefit_days: float = 7.0
    min_expected_gain: float = 0.02  # accuracy gain assumed for schedule and drift triggers
    model_type: str = "logistic"
    # store and promotion
    max_versions: int = 10
    max_age_days: float = 30.0
    min_improvement: float = 0.02  # relative: a candidate must beat live accuracy by 2%
    shadow_events: int = 2000
    rollback_drop: float = 0.10
    rollback_alpha: float = 1e-3
    probation_events: int = 10_000

    def __post_init__(self) -> None:
        _check_fractions(self)
        _check_positive(self)
        if self.reference_accuracy is not None and not 0 < self.reference_accuracy < 1:
            raise ConfigError(
                f"retraining.reference_accuracy must lie in (0, 1), got {self.reference_accuracy}"
            )
        if self.schedule_s is not None and not self.schedule_s > 0:
            raise ConfigError(f"retraining.schedule_s must be positive, got {self.schedule_s}")
        if self.monthly_limit < self.daily_limit:
            raise ConfigError("retraining.monthly_limit must be at least daily_limit")
        if self.shadow_events >= self.history:
            raise ConfigError("retraining.shadow_events must be smaller than history")

    @property
    def cooldown_hours(self) -> float:
        """The cooldown in hours, for messages."""
        return self.cooldown_s / _HOUR

    @classmethod
    def from_mapping(cls, raw: Mapping[str, Any]) -> RetrainingSettings:
        """Settings from a TOML table; unknown keys and wrong types are ConfigErrors."""
        known = {f.name: f for f in fields(cls)}
        unknown = sorted(set(raw) - set(known))
        if unknown:
            raise ConfigError(
                f"[tool.perfcore.retraining]: unknown setting(s): {', '.join(unknown)}"
            )
        values: dict[str, Any] = {}
        for name, value in raw.items():
            values[name] = _coerce(name, value, str(known[name].type))
        return cls(**values)


def _coerce(name: str, value: Any, type_text: str) -> Any:
    if "str" in type_text:
        if not isinstance(value, str):
            raise ConfigError(f"retraining.{name} must be a string, got {value!r}")
        return value
    if value is None and "None" in type_text:
        return None
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise ConfigError(f"retraining.{name} must be a number, got {value!r}")
    if not math.isfinite(value):
        raise ConfigError(f"retraining.{name} must be finite, got {value!r}")
    if type_text == "int":
        if value != int(value):
            raise ConfigError(f"retraining.{name} must be a whole number, got {value!r}")
        return int(value)
    return float(value)


_FRACTIONS = (
    "relative_drop",
    "accuracy_floor",
    "floor_alpha",
    "drift_alpha",
    "min_improvement",
    "rollback_drop",
    "rollback_alpha",
    "min_expected_gain",
)
_POSITIVE = (
    "reference_events",
    "cusum_boundary",
    "window",
    "emergency_sigma",
    "recent_windows",
    "drift_reference",
    "drift_window",
    "history",
    "max_versions",
    "max_age_days",
    "shadow_events",
    "probation_events",
    "predictions_per_day",
    "benefit_days",
    "value_per_correct",
    "daily_limit",
    "monthly_limit",
)


def _check_fractions(s: RetrainingSettings) -> None:
    for name in _FRACTIONS:
        value = getattr(s, name)
        if not 0 < value < 1:
            raise ConfigError(f"retraining.{name} must lie in (0, 1), got {value}")


def _check_positive(s: RetrainingSettings) -> None:
    for name in _POSITIVE:
        value = getattr(s, name)
        if not value > 0:
            raise ConfigError(f"retraining.{name} must be positive, got {value}")
    for name in ("cooldown_s", "min_roi", "min_memory_mb"):
        if getattr(s, name) < 0:
            raise ConfigError(f"retraining.{name} must not be negative, got {getattr(s, name)}")
    if not 0 < s.max_cpu_percent <= 100:
        raise ConfigError(
            f"retraining.max_cpu_percent must lie in (0, 100], got {s.max_cpu_percent}"
        )
