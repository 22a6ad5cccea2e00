"""The model behind the servers: a small protocol plus a numpy fast path for linear models.

A scikit-learn ``predict_proba`` call costs 50-100 µs of input checking before any
arithmetic, which alone caps one core near 10,000 single-row predictions per second.
For linear models the served probabilities are ``softmax(x @ W + b)`` (or the logistic
of one column for binary problems), so :class:`LinearPredictor` folds a leading
``StandardScaler`` into ``W`` and ``b`` and computes that directly; a test checks it
against the estimator's own ``predict_proba``.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol, runtime_checkable

import numpy as np
from numpy.typing import NDArray
from scipy.special import expit

from perfcore.errors import InputError

__all__ = [
    "EstimatorPredictor",
    "LinearPredictor",
    "Predictor",
    "load_predictor",
    "predictor_from_estimator",
    "synthetic_predictor",
]

FloatArray = NDArray[np.float64]


@runtime_checkable
class Predictor(Protocol):
    """What the servers need from a model: a feature count, a version and probabilities."""

    @property
    def n_features(self) -> int:
        """Columns each input row must have."""
        ...

    @property
    def version(self) -> str:
        """The model's version (from the promotion metadata)."""
        ...

    def predict_proba(self, x: FloatArray) -> FloatArray:
        """Class probabilities, one row per input row."""
        ...


@dataclass(frozen=True)
class EstimatorPredictor:
    """Any fitted scikit-learn classifier, called through its own ``predict_proba``."""

    estimator: Any
    n_features: int
    version: str

    def predict_proba(self, x: FloatArray) -> FloatArray:
        """Delegate to the estimator."""
        return np.asarray(self.estimator.predict_proba(x), dtype=np.float64)


@dataclass(frozen=True)
class LinearPredictor:
    """``softmax(x @ coef.T + intercept)`` computed with numpy, no sklearn call per request."""

    coef: FloatArray  # (n_classes or 1, n_features)
    intercept: FloatArray  # (n_classes or 1,)
    n_features: int
    version: str

    def predict_proba(self, x: FloatArray) -> FloatArray:
        """Probabilities equal (to float rounding) to the source estimator's."""
        with np.errstate(over="ignore", invalid="ignore"):
            scores = x @ self.coef.T + self.intercept
        if scores.shape[1] == 1:
            positive = expit(scores[:, 0])
            return np.column_stack((1.0 - positive, positive))
        scores -= scores.max(axis=1, keepdims=True)
        np.exp(scores, out=scores)
        scores /= scores.sum(axis=1, keepdims=True)
        return scores


def _linear_parts(estimator: Any) -> tuple[FloatArray, FloatArray] | None:
    """(coef, intercept) of a logistic model, with a leading StandardScaler folded in."""
    from sklearn.linear_model import LogisticRegression
    from sklearn.pipeline import Pipeline
    from sklearn.preprocessing import StandardScaler

    steps = list(estimator.steps) if isinstance(estimator, Pipeline) else [("model", estimator)]
    *pre, (_, last) = steps
    if not isinstance(last, LogisticRegression) or len(pre) > 1:
        return None
    coef = np.array(last.coef_, dtype=np.float64)
    intercept = np.array(last.intercept_, dtype=np.float64)
    if pre:
        scaler = pre[0][1]
        if not isinstance(scaler, StandardScaler):
            return None
        mean = scaler.mean_ if scaler.with_mean else np.zeros(coef.shape[1])
        scale = scaler.scale_ if scaler.with_std else np.ones(coef.shape[1])
        coef = coef / scale
        intercept = intercept - coef @ mean
    if coef.shape[0] == 1 and len(last.classes_) != 2:
        return None
    return coef, intercept


def predictor_from_estimator(estimator: Any, version: str, *, fast: bool = True) -> Predictor:
    """Wrap a fitted classifier; logistic models get the numpy fast path when ``fast``."""
    n_features = int(getattr(estimator, "n_features_in_", 0))
    if n_features <= 0:
        raise InputError("the model does not record its feature count (n_features_in_)")
    parts = _linear_parts(estimator) if fast else None
    if parts is not None:
        return LinearPredictor(coef=parts[0], intercept=parts[1],
                               n_features=n_features, version=version)
    return EstimatorPredictor(estimator=estimator, n_features=n_features, version=version)


def _read_version(model_dir: Path, model_file: Path) -> str:
    for meta in sorted(model_dir.glob("*.json")):
        try:
            data = json.loads(meta.read_text(encoding="utf-8"))
        except (OSError, json.JSONDecodeError):
            continue
        if isinstance(data, dict):
            for key in ("version", "model_version", "id", "sha256"):
                if key in data:
                    return str(data[key])
    return model_file.stem


def load_predictor(model_dir: Path, *, fast: bool = True) -> Predictor:
    """Load the promoted skops model in ``model_dir`` (the newest ``*.skops`` file)."""
    import skops.io as sio

    files = sorted(model_dir.glob("*.skops"), key=lambda p: p.stat().st_mtime)
    if not files:
        raise InputError(f"{model_dir}: no .skops model found")
    model_file = files[-1]
    try:
        untrusted = sio.get_untrusted_types(file=model_file)
        estimator = sio.load(model_file, trusted=untrusted)
    except Exception as exc:  # skops raises many types on corrupt files
        raise InputError(f"{model_file}: cannot load model: {exc}") from None
    return predictor_from_estimator(estimator, _read_version(model_dir, model_file), fast=fast)


def synthetic_predictor(n_features: int = 16, seed: int = 0) -> Predictor:
    """A small logistic model fitted on seeded synthetic data (tests, demos)."""
    from sklearn.linear_model import LogisticRegression

    rng = np.random.default_rng(seed)
    x = rng.normal(size=(400, n_features))
    y = (x @ rng.normal(size=n_features) + rng.normal(scale=0.5, size=400) > 0).astype(int)
    model = LogisticRegression(max_iter=200).fit(x, y)
    return predictor_from_estimator(model, f"synthetic-{n_features}-{seed}")


def ensure_model(model_dir: Path) -> None:
    """Train and promote a model into ``model_dir`` with perfcore's pipeline if none is there."""
    if any(model_dir.glob("*.skops")):
        return
    try:
        from perfcore import training
    except ImportError:
        training = None  # type: ignore[assignment]
    trainer = getattr(training, "train_and_promote", None)
    if trainer is None:
        raise InputError(f"{model_dir}: no promoted model; run `perfcore train` first "
                         "or pass --synthetic-model")
    trainer(model_dir)
