"""The training pipeline: four timed phases, the promotion gate, audit and drift.

Phases (each a public function, so benchmarks can time them one by one):

* ``load_data(config) -> Dataset``                         data_loading (tier fast)
* ``preprocess(dataset, config) -> Prepared``              preprocessing (standard)
* ``fit(prepared, config) -> model``                       training (advanced)
* ``validate(model, prepared) -> Metrics``                 validation (standard)

``train(config)`` composes them under a PhaseTracker, then judges the gate,
persists the model, and (as configured) appends audit events, records drift and
writes the performance report. Everything the user can get wrong is checked
before the first file is written, so a bad input leaves nothing behind.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt

from perfcore.errors import InputError
from perfcore.instrument.phases import PhaseStats, PhaseTracker
from perfcore.training.catalog import ITERATIVE_MODEL_TYPES, MODEL_TYPES, PHASE_TIERS
from perfcore.training.data import Dataset, DatasetError, load_dataset
from perfcore.training.metrics import Metrics, compute_metrics
from perfcore.training.promotion import GateThresholds, PromotionDecision, evaluate_gate

__all__ = [
    "PHASE_TIERS",
    "Prepared",
    "TrainingConfig",
    "fit",
    "load_data",
    "preprocess",
    "validate",
]

FloatArray = npt.NDArray[np.float64]
IntArray = npt.NDArray[np.int64]


@dataclass(frozen=True)
class TrainingConfig:
    """Everything one training run needs; validated on construction."""

    model_type: str = "logistic"
    dataset: str = "breast_cancer"
    num_samples: int | None = None
    epochs: int = 20
    batch_size: int = 32
    seed: int = 42
    output_dir: Path = Path("reports/latest/training")
    test_fraction: float = 0.25
    gate: GateThresholds = field(default_factory=GateThresholds)
    enable_performance_optimization: bool = False
    performance_target_reduction: float = 30.0
    enable_audit: bool = False
    audit_path: Path | None = None
    audit_key_file: Path | None = None
    enable_drift_tracking: bool = False
    drift_report_dir: Path | None = None
    cohort_id: str = "default"

    def __post_init__(self) -> None:
        if self.model_type not in MODEL_TYPES:
            raise InputError(
                f"unknown model type {self.model_type!r}; choose from {', '.join(MODEL_TYPES)}"
            )
        for name in ("num_samples", "epochs", "batch_size"):
            value = getattr(self, name)
            if value is not None and value <= 0:
                raise InputError(f"--{name.replace('_', '-')} must be positive, got {value}")
        if not 0.0 < self.test_fraction < 1.0:
            raise InputError(f"test fraction must lie in (0, 1), got {self.test_fraction}")
        if not 0.0 <= self.performance_target_reduction < 100.0:
            raise InputError(
                "--performance-target-reduction must lie in [0, 100), got "
                f"{self.performance_target_reduction}"
            )
        from perfcore.training.drift import check_cohort_id

        check_cohort_id(self.cohort_id)

    @property
    def resolved_audit_path(self) -> Path:
        """Where audit events go (default ``<output>/audit/training.jsonl``)."""
        return self.audit_path or self.output_dir / "audit" / "training.jsonl"

    @property
    def resolved_drift_dir(self) -> Path:
        """Where cohort metrics and the drift report go (default ``<output>/drift``)."""
        return self.drift_report_dir or self.output_dir / "drift"

    def params(self) -> dict[str, Any]:
        """The parameters that shaped the model, for metadata and audit."""
        params: dict[str, Any] = {
            "model_type": self.model_type,
            "dataset": self.dataset,
            "num_samples": self.num_samples,
            "seed": self.seed,
            "test_fraction": self.test_fraction,
        }
        if self.model_type in ITERATIVE_MODEL_TYPES:
            params |= {"epochs": self.epochs, "batch_size": self.batch_size}
        return params


@dataclass(frozen=True, eq=False)
class Prepared:
    """Standardised train/validation splits (scaler fitted on the training split only)."""

    X_train: FloatArray
    X_test: FloatArray
    y_train: IntArray
    y_test: IntArray
    feature_names: tuple[str, ...]
    mean: FloatArray
    scale: FloatArray


def warm_imports() -> None:
    """Import the phases' heavy modules, so phase times measure work, not first imports."""
    import importlib

    for module in (
        "sklearn.datasets",
        "sklearn.metrics",
        "sklearn.model_selection",
        "skops.io",
        "perfcore.training.models",
    ):
        importlib.import_module(module)


def load_data(config: TrainingConfig) -> Dataset:
    """Phase data_loading: resolve and load ``config.dataset``."""
    return load_dataset(config.dataset, config.num_samples, config.seed)


def preprocess(dataset: Dataset, config: TrainingConfig) -> Prepared:
    """Phase preprocessing: stratified split, then standardise with training statistics."""
    from sklearn.model_selection import train_test_split

    counts = np.bincount(dataset.y, minlength=2)
    if counts.min() < 2:
        raise DatasetError(
            f"{dataset.name}: each class needs at least 2 samples to split, got {counts.tolist()}"
        )
    try:
        X_train, X_test, y_train, y_test = train_test_split(
            dataset.X,
            dataset.y,
            test_size=config.test_fraction,
            stratify=dataset.y,
            random_state=config.seed,
        )
    except ValueError as exc:
        raise DatasetError(
            f"{dataset.name}: cannot split {len(dataset.y)} samples: {exc}"
        ) from None
    mean = X_train.mean(axis=0)
    scale = X_train.std(axis=0)
    scale[scale == 0.0] = 1.0  # a constant feature stays constant (zero), not NaN
    return Prepared(
        (X_train - mean) / scale,
        (X_test - mean) / scale,
        y_train,
        y_test,
        dataset.feature_names,
        mean,
        scale,
    )


def fit(prepared: Prepared, config: TrainingConfig) -> Any:
    """Phase training: build the configured model and fit it on the training split."""
    from perfcore.training.models import build_model

    model = build_model(
        config.model_type, epochs=config.epochs, batch_size=config.batch_size, seed=config.seed
    )
    return model.fit(prepared.X_train, prepared.y_train)


def validate(model: Any, prepared: Prepared) -> Metrics:
    """Phase validation: metrics of ``model`` on the held-out split."""
    return compute_metrics(model.predict_proba(prepared.X_test), prepared.y_test)


def check_writable(directory: Path, what: str) -> None:
    """InputError unless ``directory`` exists writable or could be created; creates nothing."""
    probe = directory
    while not probe.exists():
        if probe.parent == probe:
            break
        probe = probe.parent
    if probe.exists() and not probe.is_dir():
        raise InputError(f"{what} {directory}: {probe} is not a directory")
    if not os.access(probe, os.W_OK | os.X_OK):
        raise InputError(f"{what} {directory}: {probe} is not writable")


@dataclass(frozen=True)
class Trained:
    """The in-memory outcome of the four phases (before anything is written)."""

    dataset: Dataset
    prepared: Prepared
    model: Any
    metrics: Metrics
    decision: PromotionDecision
    phases: tuple[PhaseStats, ...]
    tracker: PhaseTracker


def run_phases(config: TrainingConfig, tracker: PhaseTracker | None = None) -> Trained:
    """Run the four phases under ``tracker`` and judge the gate; writes nothing."""
    tracker = tracker or PhaseTracker(PHASE_TIERS)
    with tracker.phase("data_loading"):
        dataset = load_data(config)
    with tracker.phase("preprocessing"):
        prepared = preprocess(dataset, config)
    with tracker.phase("training"):
        model = fit(prepared, config)
    with tracker.phase("validation"):
        metrics = validate(model, prepared)
    return Trained(
        dataset,
        prepared,
        model,
        metrics,
        evaluate_gate(metrics, config.gate),
        tracker.stats(),
        tracker,
    )


def preflight(config: TrainingConfig) -> None:
    """Check every output location before the run writes anything."""
    check_writable(config.output_dir, "output dir")
    if config.enable_audit:
        check_writable(config.resolved_audit_path.parent, "audit path")
        if config.resolved_audit_path.is_dir():
            raise InputError(f"audit path {config.resolved_audit_path} is a directory")
        from perfcore.training.audit_key import load_key

        load_key(config.audit_key_file, create=True)  # a bad key stops the run before it writes
    if config.enable_drift_tracking:
        check_writable(config.resolved_drift_dir, "drift report dir")
