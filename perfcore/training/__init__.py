"""The training pipeline: data, five model types, four timed phases, gate, audit, drift.

Public API::

    train(config: TrainingConfig) -> TrainingResult     the whole run
    load_data(config) -> Dataset                         phase data_loading (tier fast)
    preprocess(dataset, config) -> Prepared              phase preprocessing (standard)
    fit(prepared, config) -> model                       phase training (advanced)
    validate(model, prepared) -> Metrics                 phase validation (standard)
    MODEL_TYPES, PHASE_TIERS

``fit`` returns a scikit-learn style classifier (``perfcore.training.models``)
with ``predict_proba(X)`` and ``describe(feature_names)``. Benchmarks time each
phase by calling these functions directly; ``train`` composes them under a
PhaseTracker.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from perfcore._lazy import lazy_attributes
from perfcore.training.catalog import MODEL_TYPES, PHASE_TIERS

if TYPE_CHECKING:  # the same names, for type checkers
    from perfcore.training.data import Dataset, DatasetError, load_dataset
    from perfcore.training.metrics import Metrics, compute_metrics, expected_calibration_error
    from perfcore.training.pipeline import (
        Prepared,
        TrainingConfig,
        fit,
        load_data,
        preprocess,
        validate,
    )
    from perfcore.training.promotion import (
        GateThresholds,
        PromotionDecision,
        evaluate_gate,
        load_model,
    )
    from perfcore.training.runner import TrainingResult, train

# Imported on first use: the catalog alone (what ``perfcore train --help`` needs)
# must not load numpy and scikit-learn.
_MODULES = {
    "perfcore.training.data": ("Dataset", "DatasetError", "load_dataset"),
    "perfcore.training.metrics": ("Metrics", "compute_metrics", "expected_calibration_error"),
    # One line each (SIM905 asks for a list): a copy of a module's __all__ one name a
    # line is a six-line duplicate of it.
    "perfcore.training.pipeline": tuple(
        "Prepared TrainingConfig fit load_data preprocess validate".split()  # noqa: SIM905
    ),
    "perfcore.training.promotion": tuple(
        "GateThresholds PromotionDecision evaluate_gate load_model".split()  # noqa: SIM905
    ),
    "perfcore.training.runner": ("TrainingResult", "train"),
}
__getattr__ = lazy_attributes(
    __name__, {name: module for module, names in _MODULES.items() for name in names}, globals()
)

__all__ = [
    "MODEL_TYPES",
    "PHASE_TIERS",
    "Dataset",
    "DatasetError",
    "GateThresholds",
    "Metrics",
    "Prepared",
    "PromotionDecision",
    "TrainingConfig",
    "TrainingResult",
    "compute_metrics",
    "evaluate_gate",
    "expected_calibration_error",
    "fit",
    "load_data",
    "load_dataset",
    "load_model",
    "preprocess",
    "train",
    "validate",
]
