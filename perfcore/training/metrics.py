"""Validation metrics of a binary classifier, including expected calibration error.

ECE uses 10 equal-width bins over the *predicted class's* probability (the
confidence, in [0.5, 1] for two classes). Bin ``k`` holds confidences in
``(k/10, (k+1)/10]`` (the first bin also holds 0). ECE is the sample-weighted mean
over bins of ``|accuracy in bin - mean confidence in bin|``.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

__all__ = ["Metrics", "compute_metrics", "expected_calibration_error"]

ECE_BINS = 10


def expected_calibration_error(
    proba: npt.ArrayLike, y: npt.ArrayLike, bins: int = ECE_BINS
) -> float:
    """ECE of class probabilities ``proba`` (n x k) against integer labels ``y``."""
    p = np.asarray(proba, dtype=np.float64)
    labels = np.asarray(y)
    if p.ndim != 2 or p.shape[0] != labels.shape[0] or p.shape[0] == 0:
        raise ValueError("proba must be a non-empty (n, classes) array matching y")
    confidence = p.max(axis=1)
    correct = (p.argmax(axis=1) == labels).astype(np.float64)
    index = np.clip(np.ceil(confidence * bins).astype(np.int64) - 1, 0, bins - 1)
    counts = np.bincount(index, minlength=bins)
    conf_sum = np.bincount(index, weights=confidence, minlength=bins)
    acc_sum = np.bincount(index, weights=correct, minlength=bins)
    used = counts > 0
    gaps = np.abs(acc_sum[used] - conf_sum[used])  # n_b * |acc_b - conf_b|
    return float(gaps.sum() / p.shape[0])


@dataclass(frozen=True)
class Metrics:
    """How a model did on the held-out validation split."""

    accuracy: float
    precision: float
    recall: float
    f1: float
    ece: float
    roc_auc: float | None  # None when the split holds one class only
    samples: int

    def to_dict(self) -> dict[str, float | int | None]:
        """JSON-ready form."""
        return {
            "accuracy": self.accuracy,
            "precision": self.precision,
            "recall": self.recall,
            "f1": self.f1,
            "ece": self.ece,
            "roc_auc": self.roc_auc,
            "samples": self.samples,
        }


def compute_metrics(proba: npt.ArrayLike, y: npt.ArrayLike) -> Metrics:
    """Accuracy, precision, recall, F1 (positive class 1), ECE and ROC AUC."""
    from sklearn.metrics import roc_auc_score

    p = np.asarray(proba, dtype=np.float64)
    labels = np.asarray(y)
    predicted = p.argmax(axis=1)
    tp = int(np.sum((predicted == 1) & (labels == 1)))
    fp = int(np.sum((predicted == 1) & (labels == 0)))
    fn = int(np.sum((predicted == 0) & (labels == 1)))
    precision = tp / (tp + fp) if tp + fp else 0.0
    recall = tp / (tp + fn) if tp + fn else 0.0
    f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
    both = np.unique(labels).size == 2
    auc = float(roc_auc_score(labels, p[:, 1])) if both else None
    return Metrics(
        accuracy=float(np.mean(predicted == labels)),
        precision=precision,
        recall=recall,
        f1=f1,
        ece=expected_calibration_error(p, labels),
        roc_auc=auc,
        samples=int(labels.shape[0]),
    )
