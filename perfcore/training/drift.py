"""Per-cohort validation metrics and a drift report comparing the cohorts seen so far.

Each run with drift tracking records its cohort's metrics in
``<drift dir>/cohorts/<model_type>--<cohort_id>.json`` (the latest run of a cohort
replaces the previous one) and rewrites ``<drift dir>/drift_report.json``: every
cohort compared with the reference cohort of its model type (the first recorded,
so cohorts of different model types are never compared), the deltas of accuracy,
precision, recall and ECE and of the gate violation count, ``has_drift`` and
recommendations.
"""

from __future__ import annotations

import json
import re
from collections.abc import Sequence
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from perfcore._atomic import atomic_write_json
from perfcore._names import safe_name
from perfcore.errors import InputError, SchemaError

__all__ = [
    "CohortDelta",
    "CohortMetrics",
    "DriftReport",
    "DriftThresholds",
    "build_drift_report",
    "check_cohort_id",
    "load_cohorts",
    "record_cohort",
]

REPORT_SCHEMA = "perfcore.drift-report/1"
COHORT_SCHEMA = "perfcore.cohort/1"
_COHORT_ID = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]{0,63}")
_METRICS = ("accuracy", "precision", "recall", "ece")


def check_cohort_id(cohort_id: str) -> str:
    """``cohort_id`` if it is a safe file name (letters, digits, . _ -), else InputError."""
    if not _COHORT_ID.fullmatch(cohort_id):
        raise InputError(f"--cohort-id {cohort_id!r}: use 1-64 letters, digits, '.', '_' or '-'")
    return cohort_id


@dataclass(frozen=True)
class CohortMetrics:
    """One cohort's validation metrics."""

    cohort_id: str
    model_type: str
    dataset: str
    created: str
    samples: int
    accuracy: float
    precision: float
    recall: float
    ece: float
    gate_violations: int


@dataclass(frozen=True)
class DriftThresholds:
    """How far a cohort may move from the reference before it counts as drift."""

    accuracy: float = 0.05
    precision: float = 0.05
    recall: float = 0.05
    ece: float = 0.03


@dataclass(frozen=True)
class CohortDelta:
    """One cohort against the reference cohort of the same model type."""

    cohort_id: str
    model_type: str
    reference: str
    deltas: dict[str, float]


@dataclass(frozen=True)
class DriftReport:
    """Every cohort against the first cohort recorded for its model type."""

    cohorts: tuple[CohortMetrics, ...]
    comparisons: tuple[CohortDelta, ...]
    drifted: tuple[str, ...]
    recommendations: tuple[str, ...]

    @property
    def has_drift(self) -> bool:
        """True when some cohort moved past a threshold."""
        return bool(self.drifted)

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready form."""
        return {
            "schema": REPORT_SCHEMA,
            "has_drift": self.has_drift,
            "drifted_cohorts": list(self.drifted),
            "cohorts": [asdict(c) for c in self.cohorts],
            "deltas": [asdict(c) for c in self.comparisons],
            "recommendations": list(self.recommendations),
        }


def record_cohort(directory: Path, metrics: CohortMetrics) -> Path:
    """Store one cohort's metrics (atomically); one file per model type and cohort."""
    model_type = safe_name(metrics.model_type, "model type")
    name = f"{model_type}--{check_cohort_id(metrics.cohort_id)}.json"
    path = directory / "cohorts" / name
    atomic_write_json(path, {"schema": COHORT_SCHEMA, **asdict(metrics)})
    return path


def load_cohorts(directory: Path) -> tuple[CohortMetrics, ...]:
    """All recorded cohorts, oldest first."""
    cohorts = []
    for path in sorted((directory / "cohorts").glob("*.json")):
        try:
            data = json.loads(path.read_text(encoding="utf-8"))
            if data.pop("schema", None) != COHORT_SCHEMA:
                raise SchemaError(f"{path}: not a {COHORT_SCHEMA} document")
            cohorts.append(CohortMetrics(**data))
        except (OSError, ValueError, TypeError) as exc:
            raise SchemaError(f"{path}: unreadable cohort record: {exc}") from None
    return tuple(sorted(cohorts, key=lambda c: (c.created, c.cohort_id)))


def _recommend(
    cohort: CohortMetrics, delta: dict[str, float], limits: DriftThresholds, reference: str
) -> list[str]:
    notes = []
    name = f"{cohort.cohort_id} ({cohort.model_type})"
    if delta["accuracy"] < -limits.accuracy:
        notes.append(
            f"{name}: accuracy fell {-delta['accuracy']:.3f} against {reference}; "
            "retrain on data that includes this cohort"
        )
    if delta["ece"] > limits.ece:
        notes.append(
            f"{name}: calibration worsened (ECE +{delta['ece']:.3f}); "
            "recalibrate on this cohort's data"
        )
    for metric in ("precision", "recall"):
        if abs(delta[metric]) > getattr(limits, metric):
            notes.append(
                f"{name}: {metric} moved {delta[metric]:+.3f}; review the decision "
                "threshold for this cohort"
            )
    if delta["gate_violations"] > 0:
        notes.append(
            f"{name}: fails the promotion gate where {reference} passed; "
            "do not promote a model trained on it without review"
        )
    if delta["accuracy"] > limits.accuracy:
        notes.append(
            f"{name}: accuracy rose {delta['accuracy']:.3f}; check whether "
            "this cohort is easier rather than the model better"
        )
    return notes


def build_drift_report(
    cohorts: Sequence[CohortMetrics], limits: DriftThresholds | None = None
) -> DriftReport:
    """Compare each cohort with the first cohort of its model type; pure, no I/O."""
    if not cohorts:
        raise InputError("no cohorts recorded")
    bounds = limits or DriftThresholds()
    references: dict[str, CohortMetrics] = {}
    comparisons: list[CohortDelta] = []
    drifted: list[str] = []
    recommendations: list[str] = []
    for cohort in cohorts:
        reference = references.setdefault(cohort.model_type, cohort)
        if reference is cohort:
            continue
        delta = {m: getattr(cohort, m) - getattr(reference, m) for m in _METRICS}
        delta["gate_violations"] = float(cohort.gate_violations - reference.gate_violations)
        comparisons.append(
            CohortDelta(cohort.cohort_id, cohort.model_type, reference.cohort_id, delta)
        )
        notes = _recommend(cohort, delta, bounds, reference.cohort_id)
        if notes:
            drifted.append(f"{cohort.model_type}:{cohort.cohort_id}")
            recommendations.extend(notes)
    if not drifted:
        recommendations.append(
            "no drift beyond the thresholds; nothing to do"
            if comparisons
            else "one cohort per model type so far; run another to compare"
        )
    return DriftReport(tuple(cohorts), tuple(comparisons), tuple(drifted), tuple(recommendations))
