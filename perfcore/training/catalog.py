"""Names shared across the training package, importable without scikit-learn."""

from __future__ import annotations

__all__ = ["ITERATIVE_MODEL_TYPES", "MODEL_TYPES", "PHASE_TIERS"]

MODEL_TYPES = ("heuristic", "logistic", "anomaly", "correlation", "simple_transformer")
# Model types whose training loops over epochs and mini-batches (--epochs, --batch-size).
ITERATIVE_MODEL_TYPES = ("simple_transformer",)
# The four phases of a training run and their tiers (how heavy each is expected to be).
PHASE_TIERS = {
    "data_loading": "fast",
    "preprocessing": "standard",
    "training": "advanced",
    "validation": "standard",
}
