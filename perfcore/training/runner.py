"""``train(config) -> TrainingResult``: the phases, then gate, persistence, audit, drift, report."""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from perfcore.instrument.phases import PhaseStats, PhaseTracker
from perfcore.training import phase_report
from perfcore.training.catalog import ITERATIVE_MODEL_TYPES, PHASE_TIERS
from perfcore.training.drift import (
    CohortMetrics,
    DriftReport,
    build_drift_report,
    load_cohorts,
    record_cohort,
)
from perfcore.training.metrics import Metrics
from perfcore.training.pipeline import (
    Trained,
    TrainingConfig,
    preflight,
    run_phases,
    warm_imports,
)
from perfcore.training.promotion import PersistedModel, PromotionDecision, persist_model

__all__ = ["TrainingResult", "train"]

Clock = Callable[[], int]


def _utc_now() -> str:
    return datetime.now(UTC).isoformat(timespec="microseconds")


@dataclass(frozen=True)
class TrainingResult:
    """What one training run produced, and where it wrote it."""

    config: TrainingConfig
    dataset: str
    dataset_source: str
    dataset_fingerprint: str
    description: str
    metrics: Metrics
    gate: PromotionDecision
    model_path: Path
    metadata_path: Path
    phases: tuple[PhaseStats, ...]
    run_wall_s: float
    notes: tuple[str, ...] = ()
    performance: phase_report.PhaseReport | None = None
    audit_path: Path | None = None
    audit_root: str | None = None
    drift: DriftReport | None = None
    drift_report_path: Path | None = None

    @property
    def promoted(self) -> bool:
        """True when the model passed the gate and went to models/current/."""
        return self.gate.passed


def _metadata(
    config: TrainingConfig, trained: Trained, description: str, created: str
) -> dict[str, Any]:
    from perfcore._version import package_version

    data = trained.dataset
    return {
        "created": created,
        "perfcore": package_version(),
        "model_type": config.model_type,
        "description": description,
        "params": config.params(),
        "metrics": trained.metrics.to_dict(),
        "dataset": {
            "name": data.name,
            "source": data.source,
            "fingerprint": data.fingerprint,
            "samples": len(data.y),
            "features": len(data.feature_names),
        },
        "preprocessing": {
            "mean": trained.prepared.mean.tolist(),
            "scale": trained.prepared.scale.tolist(),
        },
    }


def _audit(config: TrainingConfig, trained: Trained, saved: PersistedModel) -> str:
    from perfcore.training.audit import AuditLog
    from perfcore.training.audit_key import load_key

    log = AuditLog(config.resolved_audit_path, key=load_key(config.audit_key_file, create=True))
    data = trained.dataset
    log.append("run_started", config.params())
    log.append(
        "data_loaded",
        {
            "dataset": data.name,
            "source": data.source,
            "fingerprint": data.fingerprint,
            "samples": len(data.y),
        },
    )
    log.append("model_trained", {"model_type": config.model_type})
    log.append("validated", trained.metrics.to_dict())
    log.append("gate_evaluated", trained.decision.to_dict())
    return log.append(
        "model_persisted",
        {"path": str(saved.model_path), "sha256": saved.sha256, "promoted": saved.promoted},
    )


def _drift(config: TrainingConfig, trained: Trained, created: str) -> tuple[DriftReport, Path]:
    from perfcore._atomic import atomic_write_json

    m = trained.metrics
    cohort = CohortMetrics(
        cohort_id=config.cohort_id,
        model_type=config.model_type,
        dataset=trained.dataset.name,
        created=created,
        samples=m.samples,
        accuracy=m.accuracy,
        precision=m.precision,
        recall=m.recall,
        ece=m.ece,
        gate_violations=len(trained.decision.violations),
    )
    directory = config.resolved_drift_dir
    record_cohort(directory, cohort)
    report = build_drift_report(load_cohorts(directory))
    path = directory / "drift_report.json"
    atomic_write_json(path, report.to_dict())
    return report, path


def _baseline_key(config: TrainingConfig) -> str:
    # Runs are comparable only when they do the same work: same data, size and loop.
    shape = [config.model_type, config.dataset, f"n={config.num_samples or 'all'}"]
    if config.model_type in ITERATIVE_MODEL_TYPES:
        shape += [f"epochs={config.epochs}", f"batch={config.batch_size}"]
    return "/".join(shape)


def _performance(
    config: TrainingConfig, trained: Trained, baseline: dict[str, float] | None, run_wall_s: float
) -> phase_report.PhaseReport:
    key = _baseline_key(config)
    recorded = baseline is None
    if baseline is None:
        baseline = trained.tracker.current_s()
        phase_report.store_phase_baseline(config.output_dir, key, baseline)
    trained.tracker.set_baseline(baseline)
    opt = trained.tracker.optimisation(config.performance_target_reduction)
    notes = phase_report.suggestions(
        trained.phases, opt, recorded, config.model_type in ITERATIVE_MODEL_TYPES
    )
    m = trained.metrics
    action = {
        "name": "train",
        "model_type": config.model_type,
        "dataset": trained.dataset.name,
        "samples": len(trained.dataset.y),
        "run_wall_s": run_wall_s,
        "phase_wall_s": sum(p.wall_s for p in trained.phases),
        "phase_cpu_s": sum(p.cpu_s for p in trained.phases),
        "samples_per_s": len(trained.dataset.y) / run_wall_s if run_wall_s else None,
        "accuracy": m.accuracy,
        "ece": m.ece,
        "gate_passed": trained.decision.passed,
    }
    document = phase_report.report_document(action, trained.phases, opt, recorded, notes)
    report_path = phase_report.write_report(config.output_dir, document)
    return phase_report.PhaseReport(trained.phases, run_wall_s, opt, recorded, notes, report_path)


def train(
    config: TrainingConfig,
    *,
    clock: Clock = time.perf_counter_ns,
    cpu_clock: Clock = time.process_time_ns,
    now: Callable[[], str] = _utc_now,
) -> TrainingResult:
    """Run the four timed phases, judge the gate, persist, and audit/drift/report as asked."""
    warm_imports()
    start = clock()
    preflight(config)
    baseline = None
    if config.enable_performance_optimization:  # read (and validate) before writing anything
        baseline = phase_report.load_phase_baseline(config.output_dir, _baseline_key(config))
    tracker = PhaseTracker(PHASE_TIERS, wall_clock=clock, cpu_clock=cpu_clock)
    trained = run_phases(config, tracker)
    created = now()
    description = trained.model.describe(trained.dataset.feature_names)
    saved = persist_model(
        trained.model,
        _metadata(config, trained, description, created),
        config.output_dir,
        config.model_type,
        trained.decision,
    )
    audit_root = _audit(config, trained, saved) if config.enable_audit else None
    drift, drift_path = (
        _drift(config, trained, created) if config.enable_drift_tracking else (None, None)
    )
    run_wall_s = (clock() - start) / 1e9
    performance = (
        _performance(config, trained, baseline, run_wall_s)
        if config.enable_performance_optimization
        else None
    )
    return TrainingResult(
        config=config,
        dataset=trained.dataset.name,
        dataset_source=trained.dataset.source,
        dataset_fingerprint=trained.dataset.fingerprint,
        description=description,
        metrics=trained.metrics,
        gate=trained.decision,
        model_path=saved.model_path,
        metadata_path=saved.metadata_path,
        phases=trained.phases,
        run_wall_s=run_wall_s,
        notes=trained.dataset.notes,
        performance=performance,
        audit_path=config.resolved_audit_path if config.enable_audit else None,
        audit_root=audit_root,
        drift=drift,
        drift_report_path=drift_path,
    )
