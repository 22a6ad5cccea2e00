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
import math
import operator
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
    """Any fitted classifier, called through its own ``predict_proba`` after standardising."""

    estimator: Any
    n_features: int
    version: str
    mean: FloatArray | None = None
    scale: FloatArray | None = None

    def predict_proba(self, x: FloatArray) -> FloatArray:
        """Delegate to the estimator (which may refuse a row that overflowed to inf)."""
        with np.errstate(over="ignore", invalid="ignore"):  # the estimator judges the result
            if self.mean is not None and self.scale is not None:
                x = (x - self.mean) / self.scale
            return np.asarray(self.estimator.predict_proba(x), dtype=np.float64)


@dataclass(frozen=True)
class LinearPredictor:
    """``softmax(x @ coef.T + intercept)`` computed with numpy, no sklearn call per request."""

    coef: FloatArray  # (n_classes or 1, n_features)
    intercept: FloatArray  # (n_classes or 1,)
    n_features: int
    version: str

    def __post_init__(self) -> None:
        # One binary row is a 16-term dot product: in plain floats it costs a fraction of
        # the five numpy calls below (each a few microseconds on one row).
        row = (self.coef[0].tolist(), float(self.intercept[0])) if len(self.coef) == 1 else None
        object.__setattr__(self, "_binary_row", row)

    def predict_proba(self, x: FloatArray) -> FloatArray:
        """Probabilities equal (to float rounding) to the source estimator's."""
        binary: tuple[list[float], float] | None = self.__dict__["_binary_row"]
        if binary is not None and len(x) == 1:
            return np.array([_one_binary_row(x[0].tolist(), *binary)])
        with np.errstate(over="ignore", invalid="ignore"):
            scores = x @ self.coef.T + self.intercept
        return probabilities(scores, logistic=scores.shape[1] == 1)

    def predict_row(self, row: list[float]) -> list[float] | None:
        """One row's probabilities as plain floats, or None where there is no plain path."""
        binary: tuple[list[float], float] | None = self.__dict__["_binary_row"]
        return None if binary is None else _one_binary_row(row, *binary)


def probabilities(scores: FloatArray, *, logistic: bool) -> FloatArray:
    """Two-column probabilities from one logistic score column, else a softmax (in place)."""
    if logistic:
        positive = expit(scores[:, 0])
        return np.column_stack((1.0 - positive, positive))
    scores -= scores.max(axis=1, keepdims=True)
    np.exp(scores, out=scores)
    scores /= scores.sum(axis=1, keepdims=True)
    return scores


def _one_binary_row(row: list[float], weights: list[float], bias: float) -> list[float]:
    """``[1 - expit(s), expit(s)]`` for ``s = row . weights + bias``, as numpy would give.

    Overflow gives inf or nan as in numpy (float products do not raise), and the
    logistic is written so that ``math.exp`` only ever sees a non-positive argument.
    """
    score = bias + sum(map(operator.mul, row, weights))
    if score >= 0.0:
        positive = 1.0 / (1.0 + math.exp(-score))
    else:
        tail = math.exp(score)  # nan stays nan
        positive = tail / (1.0 + tail)
    return [1.0 - positive, positive]


def _unwrap(estimator: Any) -> Any:
    # perfcore.training's LogisticModel keeps the fitted sklearn model in ``model_``.
    from sklearn.linear_model import LogisticRegression
    from sklearn.pipeline import Pipeline

    if isinstance(estimator, LogisticRegression | Pipeline):
        return estimator
    return getattr(estimator, "model_", estimator)


def _linear_parts(estimator: Any) -> tuple[FloatArray, FloatArray] | None:
    """(coef, intercept) of a logistic model, with a leading StandardScaler folded in."""
    from sklearn.linear_model import LogisticRegression
    from sklearn.pipeline import Pipeline
    from sklearn.preprocessing import StandardScaler

    estimator = _unwrap(estimator)
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
        coef, intercept = _fold(coef, intercept, mean, scale)
    if coef.shape[0] == 1 and len(last.classes_) != 2:
        return None
    return coef, intercept


def _fold(
    coef: FloatArray, intercept: FloatArray, mean: FloatArray, scale: FloatArray
) -> tuple[FloatArray, FloatArray]:
    """Fold ``(x - mean) / scale`` into the weights: one matrix product per request."""
    folded = coef / scale
    return folded, intercept - folded @ mean


def _n_features(estimator: Any) -> int:
    for candidate in (estimator, _unwrap(estimator)):
        n = int(getattr(candidate, "n_features_in_", 0))
        if n > 0:
            return n
    raise InputError("the model does not record its feature count (n_features_in_)")


def predictor_from_estimator(
    estimator: Any,
    version: str,
    *,
    fast: bool = True,
    mean: FloatArray | None = None,
    scale: FloatArray | None = None,
) -> Predictor:
    """Wrap a fitted classifier; logistic models get the numpy fast path when ``fast``.

    ``mean`` and ``scale`` are the training pipeline's standardisation, applied first.
    """
    n_features = len(mean) if mean is not None else _n_features(estimator)
    parts = _linear_parts(estimator) if fast else None
    if parts is not None:
        coef, intercept = parts
        if mean is not None and scale is not None:
            coef, intercept = _fold(coef, intercept, mean, scale)
        return LinearPredictor(
            coef=coef, intercept=intercept, n_features=n_features, version=version
        )
    return EstimatorPredictor(
        estimator=estimator, n_features=n_features, version=version, mean=mean, scale=scale
    )


def _metadata(model_file: Path) -> dict[str, Any]:
    meta = model_file.with_suffix(".json")
    try:
        data = json.loads(meta.read_text(encoding="utf-8"))
    except (OSError, json.JSONDecodeError):
        return {}
    return data if isinstance(data, dict) else {}


def _load_estimator(model_file: Path) -> Any:
    # The training package's loader: skops, trusting only the exact types perfcore writes.
    from perfcore.training import load_model

    return load_model(model_file)


def load_predictor(model_dir: Path, *, fast: bool = True) -> Predictor:
    """Load the promoted skops model in ``model_dir`` (newest ``*.skops``, its ``.json`` beside)."""
    files = sorted(model_dir.glob("*.skops"), key=lambda p: p.stat().st_mtime)
    if not files:
        raise InputError(f"{model_dir}: no .skops model found")
    model_file = files[-1]
    try:
        estimator = _load_estimator(model_file)
    except InputError:
        raise
    except Exception as exc:  # skops raises many types on corrupt files
        raise InputError(f"{model_file}: cannot load model: {exc}") from None
    meta = _metadata(model_file)
    version = str(meta.get("version") or str(meta.get("model_sha256", ""))[:12] or model_file.stem)
    pre = meta.get("preprocessing") or {}
    mean = np.asarray(pre["mean"], dtype=np.float64) if "mean" in pre else None
    scale = np.asarray(pre["scale"], dtype=np.float64) if "scale" in pre else None
    return predictor_from_estimator(estimator, version, fast=fast, mean=mean, scale=scale)


def synthetic_predictor(n_features: int = 16, seed: int = 0, *, fast: bool = True) -> Predictor:
    """A small logistic model fitted on seeded synthetic data (tests, demos)."""
    from sklearn.linear_model import LogisticRegression

    rng = np.random.default_rng(seed)
    x = rng.normal(size=(400, n_features))
    y = (x @ rng.normal(size=n_features) + rng.normal(scale=0.5, size=400) > 0).astype(int)
    model = LogisticRegression(max_iter=200).fit(x, y)
    return predictor_from_estimator(model, f"synthetic-{n_features}-{seed}", fast=fast)


def ensure_model(model_dir: Path) -> None:
    """Train and promote a model with perfcore's pipeline if ``model_dir`` holds none.

    The pipeline writes ``<output_dir>/models/current/``, so ``model_dir`` must end in
    ``models/current``.
    """
    if any(model_dir.glob("*.skops")):
        return
    if model_dir.parts[-2:] != ("models", "current"):
        raise InputError(
            f"{model_dir}: no promoted model there; train one into "
            "<dir>/models/current or pass --synthetic-model"
        )
    from perfcore.training import TrainingConfig, train

    result = train(TrainingConfig(output_dir=model_dir.parent.parent))
    if not result.promoted:
        raise InputError(f"the trained model failed its promotion gate: {result.gate}")
