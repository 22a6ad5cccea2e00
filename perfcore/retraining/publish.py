"""Putting a trained model into the shared store: ``perfcore train`` and the servers use this."""

from __future__ import annotations

import tempfile
from pathlib import Path
from typing import TYPE_CHECKING

from perfcore.errors import InputError
from perfcore.retraining.store import ModelStore, StoredVersion

if TYPE_CHECKING:
    from perfcore.training import TrainingResult

__all__ = ["ensure_current", "publish"]


def publish(store: ModelStore, result: TrainingResult) -> StoredVersion | None:
    """Store a model that passed its promotion gate as the next version and make it current."""
    if not result.promoted:
        return None
    stored = store.add(
        result.model_path,
        result.metadata_path,
        note=f"perfcore train ({result.config.model_type} on {result.dataset})",
    )
    store.promote(stored.version, reason="passed the promotion gate")
    store.apply_retention()
    return stored


def ensure_current(store: ModelStore) -> None:
    """Train and publish perfcore's default model when the store has no current model."""
    if store.current_path.exists():
        return
    from perfcore.training import TrainingConfig, train

    with tempfile.TemporaryDirectory(prefix="perfcore-train-") as work:
        result = train(TrainingConfig(output_dir=Path(work)))
        if publish(store, result) is None:
            raise InputError(
                f"the trained model failed its promotion gate: {'; '.join(result.gate.violations)}"
            )
