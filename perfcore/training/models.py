"""The five model types: binary classifiers over standardised features.

Every model has ``fit(X, y)``, ``predict_proba(X) -> (n, 2)`` and ``describe()``
(a short account of what it learnt), and is a scikit-learn estimator, so skops
can persist it without pickle.

* ``heuristic``: a transparent rule: the mean of the signed z-scores of the
  ``n_features`` features most correlated with the label, against a threshold;
  its slope and threshold are fitted by Platt scaling, which also calibrates it.
* ``logistic``: L2-regularised logistic regression (lbfgs, run to convergence).
* ``anomaly``: one IsolationForest per class; a sample's two anomaly scores are
  mapped to class probabilities by a logistic calibrator.
* ``correlation``: every feature weighted by its correlation with the label
  (features under ``min_abs_corr`` dropped), Platt-calibrated.
* ``simple_transformer``: a small numpy MLP (tanh hidden layer, softmax output)
  trained with Adam on mini-batches of ``batch_size`` for ``epochs`` epochs.
"""

from __future__ import annotations

from typing import Any, Self

import numpy as np
import numpy.typing as npt
from sklearn.base import BaseEstimator, ClassifierMixin
from sklearn.ensemble import IsolationForest
from sklearn.linear_model import LogisticRegression

from perfcore.training.catalog import MODEL_TYPES

__all__ = [
    "MODEL_TYPES",
    "AnomalyModel",
    "CorrelationModel",
    "HeuristicModel",
    "LogisticModel",
    "SimpleTransformerModel",
    "build_model",
]


FloatArray = npt.NDArray[np.float64]


def _two_columns(p1: FloatArray) -> FloatArray:
    return np.column_stack([1.0 - p1, p1])


def _correlations(X: FloatArray, y: npt.NDArray[Any]) -> FloatArray:
    centred = X - X.mean(axis=0)
    yc = y - y.mean()
    denom = np.sqrt((centred**2).sum(axis=0) * (yc**2).sum())
    with np.errstate(invalid="ignore", divide="ignore"):
        r = (centred * yc[:, None]).sum(axis=0) / denom
    return np.asarray(np.nan_to_num(r), dtype=np.float64)


def _platt(scores: FloatArray, y: npt.NDArray[Any], seed: int) -> LogisticRegression:
    # Weak regularisation: one or two inputs, many samples; we want the fitted slope.
    return LogisticRegression(C=100.0, random_state=seed).fit(scores, y)


class _Binary(ClassifierMixin, BaseEstimator):  # type: ignore[misc]
    """Shared plumbing: class labels and predict()."""

    classes_: npt.NDArray[np.int64]

    def predict(self, X: FloatArray) -> npt.NDArray[np.int64]:
        """The most probable class per row."""
        return np.asarray(self.predict_proba(X).argmax(axis=1), dtype=np.int64)

    def predict_proba(self, X: FloatArray) -> FloatArray:
        """Class probabilities, one row per sample, columns for classes 0 and 1."""
        raise NotImplementedError


class _Calibrated(_Binary):
    """A model whose score (``_score``) is turned into probabilities by Platt scaling."""

    seed: int

    def _learn(self, X: FloatArray, y: npt.NDArray[Any]) -> None:
        raise NotImplementedError

    def _score(self, X: FloatArray) -> FloatArray:
        raise NotImplementedError

    def fit(self, X: FloatArray, y: npt.NDArray[Any]) -> Self:
        """Learn the score, then calibrate it on the same training data."""
        self._learn(X, y)
        self.calibrator_ = _platt(self._score(X), y, self.seed)
        self.classes_ = np.array([0, 1])
        return self

    def predict_proba(self, X: FloatArray) -> FloatArray:
        """Calibrated probabilities of the score."""
        return np.asarray(self.calibrator_.predict_proba(self._score(X)), dtype=np.float64)


class HeuristicModel(_Calibrated):
    """Threshold rule on the mean signed z-score of the most label-correlated features."""

    def __init__(self, n_features: int = 3, seed: int = 0) -> None:
        self.n_features = n_features
        self.seed = seed

    def _score(self, X: FloatArray) -> FloatArray:
        return np.asarray(X[:, self.features_] @ self.signs_ / len(self.features_))[:, None]

    def _learn(self, X: FloatArray, y: npt.NDArray[Any]) -> None:
        # Pick the features; calibration then fits the rule's slope and threshold.
        r = _correlations(X, y)
        k = max(1, min(self.n_features, X.shape[1]))
        self.features_ = np.argsort(-np.abs(r))[:k]
        self.signs_ = np.sign(r[self.features_])

    def describe(self, feature_names: tuple[str, ...] = ()) -> str:
        """The rule in words."""
        names = [feature_names[i] if feature_names else f"x{i}" for i in self.features_]
        terms = ", ".join(
            f"{'+' if s >= 0 else '-'}{n}" for s, n in zip(self.signs_, names, strict=True)
        )
        threshold = -self.calibrator_.intercept_[0] / self.calibrator_.coef_[0, 0]
        return f"class 1 when mean z-score of ({terms}) > {threshold:.3f}"


class LogisticModel(_Binary):
    """L2-regularised logistic regression."""

    def __init__(self, C: float = 1.0, seed: int = 0) -> None:
        self.C = C
        self.seed = seed

    def fit(self, X: FloatArray, y: npt.NDArray[Any]) -> LogisticModel:
        """Fit by lbfgs to convergence."""
        self.model_ = LogisticRegression(C=self.C, max_iter=1000, random_state=self.seed)
        self.model_.fit(X, y)
        self.classes_ = np.array([0, 1])
        return self

    def predict_proba(self, X: FloatArray) -> FloatArray:
        """Logistic probabilities."""
        return np.asarray(self.model_.predict_proba(X), dtype=np.float64)

    def describe(self, feature_names: tuple[str, ...] = ()) -> str:
        """The largest coefficients."""
        coef = self.model_.coef_[0]
        top = np.argsort(-np.abs(coef))[:3]
        names = [feature_names[i] if feature_names else f"x{i}" for i in top]
        return "logistic; largest weights: " + ", ".join(
            f"{n}={coef[i]:+.2f}" for n, i in zip(names, top, strict=True)
        )


class AnomalyModel(_Calibrated):
    """One IsolationForest per class; their anomaly scores, calibrated, give the class."""

    def __init__(self, n_estimators: int = 100, seed: int = 0) -> None:
        self.n_estimators = n_estimators
        self.seed = seed

    def _score(self, X: FloatArray) -> FloatArray:
        # The pair of anomaly scores, one per class's forest.
        return np.column_stack([f.score_samples(X) for f in self.forests_])

    def _learn(self, X: FloatArray, y: npt.NDArray[Any]) -> None:
        self.forests_ = [
            IsolationForest(n_estimators=self.n_estimators, random_state=self.seed + c).fit(
                X[y == c]
            )
            for c in (0, 1)
        ]

    def describe(self, feature_names: tuple[str, ...] = ()) -> str:
        """What the calibrator learnt."""
        w = self.calibrator_.coef_[0]
        return (
            f"IsolationForest per class ({self.n_estimators} trees); calibrator weights "
            f"normality under class 0 {w[0]:+.2f}, under class 1 {w[1]:+.2f}"
        )


class CorrelationModel(_Calibrated):
    """Features weighted by their correlation with the label, Platt-calibrated."""

    def __init__(self, min_abs_corr: float = 0.1, seed: int = 0) -> None:
        self.min_abs_corr = min_abs_corr
        self.seed = seed

    def _score(self, X: FloatArray) -> FloatArray:
        return np.asarray(X @ self.weights_)[:, None]

    def _learn(self, X: FloatArray, y: npt.NDArray[Any]) -> None:
        # Weights from correlations on the training split.
        r = _correlations(X, y)
        weights = np.where(np.abs(r) >= self.min_abs_corr, r, 0.0)
        if not weights.any():  # nothing clears the bar: keep the single best feature
            weights[np.argmax(np.abs(r))] = 1.0
        self.weights_ = weights / np.abs(weights).sum()

    def describe(self, feature_names: tuple[str, ...] = ()) -> str:
        """How many features carry weight."""
        used = int(np.count_nonzero(self.weights_))
        return f"correlation-weighted score over {used} of {len(self.weights_)} features"


class SimpleTransformerModel(_Binary):
    """A small MLP trained with Adam on mini-batches; ``epochs`` and ``batch_size`` matter."""

    def __init__(
        self,
        *,
        hidden: int = 16,
        epochs: int = 20,
        batch_size: int = 32,
        learning_rate: float = 0.01,
        l2: float = 1e-3,
        seed: int = 0,
    ) -> None:
        self.hidden = hidden
        self.epochs = epochs
        self.batch_size = batch_size
        self.learning_rate = learning_rate
        self.l2 = l2
        self.seed = seed

    def _forward(self, X: FloatArray) -> tuple[FloatArray, FloatArray]:
        h = np.tanh(X @ self.w1_ + self.b1_)
        logits = h @ self.w2_ + self.b2_
        logits -= logits.max(axis=1, keepdims=True)
        e = np.exp(logits)
        return h, e / e.sum(axis=1, keepdims=True)

    def fit(self, X: FloatArray, y: npt.NDArray[Any]) -> SimpleTransformerModel:
        """Train for ``epochs`` passes over shuffled mini-batches."""
        rng = np.random.default_rng(self.seed)
        d = X.shape[1]
        self.w1_ = rng.normal(0.0, 1.0 / np.sqrt(d), (d, self.hidden))
        self.b1_ = np.zeros(self.hidden)
        self.w2_ = rng.normal(0.0, 1.0 / np.sqrt(self.hidden), (self.hidden, 2))
        self.b2_ = np.zeros(2)
        params = [self.w1_, self.b1_, self.w2_, self.b2_]
        adam = _Adam(params, self.learning_rate)
        onehot = np.eye(2)[np.asarray(y, dtype=np.int64)]
        self.loss_curve_: list[float] = []
        self.steps_ = 0
        for _ in range(self.epochs):
            order = rng.permutation(len(X))
            for start in range(0, len(X), self.batch_size):
                batch = order[start : start + self.batch_size]
                adam.step(self._gradients(X[batch], onehot[batch]))
                self.steps_ += 1
            _, proba = self._forward(X)
            self.loss_curve_.append(float(-np.mean(np.log(proba[onehot == 1] + 1e-12))))
        self.classes_ = np.array([0, 1])
        return self

    def _gradients(self, xb: FloatArray, yb: FloatArray) -> list[FloatArray]:
        h, proba = self._forward(xb)
        dlogits = (proba - yb) / len(xb)
        dw2 = h.T @ dlogits + self.l2 * self.w2_
        dh = (dlogits @ self.w2_.T) * (1.0 - h**2)
        dw1 = xb.T @ dh + self.l2 * self.w1_
        return [dw1, dh.sum(axis=0), dw2, dlogits.sum(axis=0)]

    def predict_proba(self, X: FloatArray) -> FloatArray:
        """Softmax probabilities."""
        return self._forward(np.asarray(X, dtype=np.float64))[1]

    def describe(self, feature_names: tuple[str, ...] = ()) -> str:
        """Size and training history."""
        return (
            f"MLP {self.w1_.shape[0]}-{self.hidden}-2, {self.epochs} epochs x "
            f"batch {self.batch_size} ({self.steps_} steps), final loss "
            f"{self.loss_curve_[-1]:.4f}"
        )


class _Adam:
    """Adam over a list of arrays, updated in place."""

    def __init__(
        self,
        params: list[FloatArray],
        lr: float,
        betas: tuple[float, float] = (0.9, 0.999),
        eps: float = 1e-8,
    ) -> None:
        self.params = params
        self.lr, self.b1, self.b2, self.eps = lr, betas[0], betas[1], eps
        self.m = [np.zeros_like(p) for p in params]
        self.v = [np.zeros_like(p) for p in params]
        self.t = 0

    def step(self, grads: list[FloatArray]) -> None:
        self.t += 1
        correction = np.sqrt(1 - self.b2**self.t) / (1 - self.b1**self.t)
        for param, grad, mean, var in zip(self.params, grads, self.m, self.v, strict=True):
            mean[...] = self.b1 * mean + (1 - self.b1) * grad
            var[...] = self.b2 * var + (1 - self.b2) * grad * grad
            param[...] = param - self.lr * correction * mean / (np.sqrt(var) + self.eps)


def build_model(model_type: str, *, epochs: int, batch_size: int, seed: int) -> _Binary:
    """A fresh, unfitted model of ``model_type`` (one of MODEL_TYPES)."""
    if model_type == "heuristic":
        return HeuristicModel(seed=seed)
    if model_type == "logistic":
        return LogisticModel(seed=seed)
    if model_type == "anomaly":
        return AnomalyModel(seed=seed)
    if model_type == "correlation":
        return CorrelationModel(seed=seed)
    if model_type == "simple_transformer":
        return SimpleTransformerModel(epochs=epochs, batch_size=batch_size, seed=seed)
    raise ValueError(f"unknown model type {model_type!r}; known: {', '.join(MODEL_TYPES)}")
