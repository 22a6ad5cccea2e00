"""Helpers of the retraining tests: seeded streams, fake clocks, fake models and trainers."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np

from perfcore.retraining import RetrainingSettings
from perfcore.retraining.trainer import Candidate

JAN_1_2026 = 1_767_225_600.0  # 00:00 UTC, the first of a month


class FakeClock:
    """A clock the test moves by hand."""

    def __init__(self, now: float = JAN_1_2026) -> None:
        self.now = now

    def __call__(self) -> float:
        return self.now


def small_settings(**changes: object) -> RetrainingSettings:
    """Settings with small windows, so triggers fire within a few thousand events."""
    base: dict[str, object] = {
        "reference_accuracy": 0.8,
        "window": 200,
        "recent_windows": 5,
        "cusum_boundary": 8.0,
        "drift_reference": 500,
        "drift_window": 500,
        "history": 2000,
        "shadow_events": 500,
        "schedule_s": None,
        "probation_events": 2000,
        "min_memory_mb": 0.0,
        "max_cpu_percent": 100.0,
    }
    return RetrainingSettings(**{**base, **changes})  # type: ignore[arg-type]


def outcomes(
    n: int, accuracy: float, seed: int, shift: float = 0.0, n_features: int = 3
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Predictions right with probability ``accuracy``; label = feature 0 > 0 (before shift)."""
    rng = np.random.default_rng(seed)
    x = rng.normal(size=(n, n_features))
    labels = (x[:, 0] > 0).astype(np.int64)
    x[:, 0] += shift
    right = rng.random(n) < accuracy
    return np.where(right, labels, 1 - labels), labels, x


def write_fake_model(
    folder: Path, name: str = "logistic", features: int = 3, accuracy: float = 0.8
) -> tuple[Path, Path]:
    """A stand-in model file and its metadata (the store never loads the model)."""
    folder.mkdir(parents=True, exist_ok=True)
    model = folder / f"{name}.skops"
    model.write_bytes(b"not a real model")
    meta = folder / f"{name}.json"
    meta.write_text(
        json.dumps(
            {
                "model_type": name,
                "model_file": model.name,
                "metrics": {"accuracy": accuracy},
                "dataset": {"features": features},
            }
        ),
        encoding="utf-8",
    )
    return model, meta


class FakeTrainer:
    """Returns a candidate whose predictions are the labelling rule, or its opposite."""

    def __init__(self, folder: Path, *, good: bool) -> None:
        self.folder = folder
        self.good = good
        self.calls = 0

    def __call__(self, rows: np.ndarray, labels: np.ndarray) -> Candidate:
        self.calls += 1
        model, meta = write_fake_model(self.folder / str(self.calls))
        good = self.good

        def predict(x: np.ndarray) -> np.ndarray:
            rule = (x[:, 0] > 0).astype(np.int64)
            return rule if good else 1 - rule

        return Candidate(model, meta, predict)
