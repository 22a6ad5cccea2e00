"""Retraining on the monitor's remembered rows, through perfcore's own training pipeline.

The rows go to a CSV in a private temporary directory, and ``perfcore.training.train``
runs its four timed phases on it and persists the model with skops; the candidate's
predictions for shadow evaluation come from that file loaded back through
``load_model`` (perfcore's exact trusted types), so what is judged is what is stored.
"""

from __future__ import annotations

import csv
import tempfile
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol

import numpy as np
from numpy.typing import NDArray

__all__ = ["Candidate", "PipelineTrainer", "Trainer", "predictor_for"]

FloatArray = NDArray[np.float64]


@dataclass(frozen=True)
class Candidate:
    """A trained model on disk and a function giving its class predictions."""

    model_file: Path
    metadata_file: Path
    predict: Callable[[FloatArray], NDArray[np.int64]]


class Trainer(Protocol):
    """Anything that turns labelled rows into a candidate model."""

    def __call__(self, rows: FloatArray, labels: NDArray[np.int8]) -> Candidate:
        """Train on ``rows`` and ``labels``."""
        ...


def predictor_for(
    model_file: Path, metadata: dict[str, Any]
) -> Callable[[FloatArray], NDArray[np.int64]]:
    """Class predictions of a stored model, standardised as its training pipeline did."""
    from perfcore.training.promotion import load_model

    model = load_model(model_file)
    pre = metadata.get("preprocessing") or {}
    mean = np.asarray(pre.get("mean", 0.0), dtype=np.float64)
    scale = np.asarray(pre.get("scale", 1.0), dtype=np.float64)

    def predict(rows: FloatArray) -> NDArray[np.int64]:
        return np.asarray(model.predict((rows - mean) / scale), dtype=np.int64)

    return predict


class PipelineTrainer:
    """Trains ``model_type`` with perfcore.training on rows written to a temporary CSV."""

    def __init__(self, model_type: str = "logistic", seed: int = 0) -> None:
        self.model_type = model_type
        self.seed = seed
        self._workdir = tempfile.TemporaryDirectory(prefix="perfcore-retrain-")

    def __call__(self, rows: FloatArray, labels: NDArray[np.int8]) -> Candidate:
        """Run the pipeline and return the persisted candidate."""
        import json

        from perfcore.training import GateThresholds, TrainingConfig, train

        work = Path(tempfile.mkdtemp(dir=self._workdir.name))
        data = work / "recent.csv"
        with data.open("w", newline="", encoding="utf-8") as handle:
            writer = csv.writer(handle)
            writer.writerow([*(f"f{i}" for i in range(rows.shape[1])), "label"])
            writer.writerows(
                [*map(float, row), int(y)] for row, y in zip(rows, labels, strict=True)
            )
        # The shadow comparison decides promotion; the training gate only records its view.
        result = train(
            TrainingConfig(
                model_type=self.model_type,
                dataset=str(data),
                seed=self.seed,
                output_dir=work / "out",
                gate=GateThresholds(min_accuracy=0.0, max_ece=1.0),
            )
        )
        metadata = json.loads(result.metadata_path.read_text(encoding="utf-8"))
        return Candidate(
            result.model_path, result.metadata_path, predictor_for(result.model_path, metadata)
        )
