"""Drift tracking: per-cohort metrics and the report comparing cohorts."""

from __future__ import annotations

import json
from dataclasses import replace
from pathlib import Path

import pytest

from perfcore.training import TrainingConfig, train
from perfcore.training.drift import CohortMetrics, build_drift_report


def _cohort(
    cohort_id: str, accuracy: float, ece: float, violations: int = 0, model_type: str = "logistic"
) -> CohortMetrics:
    return CohortMetrics(
        cohort_id=cohort_id,
        model_type=model_type,
        dataset="d",
        created=f"2024-01-0{len(cohort_id)}",
        samples=100,
        accuracy=accuracy,
        precision=accuracy,
        recall=accuracy,
        ece=ece,
        gate_violations=violations,
    )


def test_report_flags_a_cohort_that_got_worse() -> None:
    """A cohort whose accuracy fell and ECE rose is drift, with deltas and advice."""
    report = build_drift_report([_cohort("a", 0.95, 0.02), _cohort("bb", 0.80, 0.10, 2)])
    assert report.has_drift
    (comparison,) = report.comparisons
    assert comparison.reference == "a"
    assert comparison.deltas["accuracy"] == pytest.approx(-0.15)
    assert comparison.deltas["gate_violations"] == 2.0
    assert any("recalibrate" in r for r in report.recommendations)


def test_report_without_change_has_no_drift() -> None:
    """Cohorts within the thresholds are not drift."""
    report = build_drift_report([_cohort("a", 0.95, 0.02), _cohort("bb", 0.94, 0.03)])
    assert not report.has_drift
    assert report.recommendations == ("no drift beyond the thresholds; nothing to do",)


def test_cohorts_of_different_model_types_are_not_compared() -> None:
    """Each model type has its own reference cohort."""
    report = build_drift_report(
        [_cohort("a", 0.95, 0.02), _cohort("bb", 0.70, 0.2, model_type="heuristic")]
    )
    assert not report.comparisons
    assert not report.has_drift


def test_two_training_cohorts_write_a_drift_report(
    small_config: TrainingConfig, tmp_path: Path
) -> None:
    """Two runs on different data, as two cohorts, give a report comparing them."""
    base = replace(small_config, enable_drift_tracking=True, drift_report_dir=tmp_path / "drift")
    train(replace(base, cohort_id="clinic-a"))
    second = train(
        replace(base, cohort_id="clinic-b", dataset="synthetic", num_samples=120, seed=3)
    )
    assert second.drift_report_path is not None
    report = json.loads(second.drift_report_path.read_text())
    assert [c["cohort_id"] for c in report["cohorts"]] == ["clinic-a", "clinic-b"]
    (delta,) = report["deltas"]
    assert delta["cohort_id"] == "clinic-b"
    assert delta["reference"] == "clinic-a"
    assert set(delta["deltas"]) == {"accuracy", "precision", "recall", "ece", "gate_violations"}
    assert isinstance(report["has_drift"], bool)
    assert report["recommendations"]
