"""ECE against a hand-worked case, and the other validation metrics."""

from __future__ import annotations

import numpy as np
import pytest

from perfcore.training.metrics import compute_metrics, expected_calibration_error


def test_ece_hand_worked_case() -> None:
    """Four predictions in two bins give the ECE worked out by hand.

    Confidences 0.95, 0.95 (bin (0.9, 1.0]: both right -> |1.0 - 0.95| = 0.05) and
    0.6, 0.6 (bin (0.5, 0.6]: one right -> |0.5 - 0.6| = 0.1); ECE = 2/4*0.05 + 2/4*0.1 = 0.075.
    """
    proba = np.array([[0.05, 0.95], [0.95, 0.05], [0.4, 0.6], [0.4, 0.6]])
    y = np.array([1, 0, 1, 0])
    assert expected_calibration_error(proba, y) == pytest.approx(0.075)


def test_ece_zero_for_perfect_calibration() -> None:
    """Confidence 0.8 that is right 80% of the time has zero ECE."""
    proba = np.tile([0.2, 0.8], (5, 1))
    y = np.array([1, 1, 1, 1, 0])
    assert expected_calibration_error(proba, y) == pytest.approx(0.0)


def test_ece_confidence_one_falls_in_last_bin() -> None:
    """A confidence of exactly 1.0 lands in the last bin (not out of range)."""
    proba = np.array([[0.0, 1.0], [1.0, 0.0]])
    assert expected_calibration_error(proba, np.array([1, 1])) == pytest.approx(0.5)


def test_ece_rejects_mismatched_shapes() -> None:
    """Probabilities and labels of different lengths are an error."""
    with pytest.raises(ValueError, match="matching"):
        expected_calibration_error(np.array([[0.5, 0.5]]), np.array([0, 1]))


def test_metrics_precision_recall() -> None:
    """Precision and recall count class 1 as positive."""
    proba = np.array([[0.1, 0.9], [0.2, 0.8], [0.7, 0.3], [0.6, 0.4]])
    metrics = compute_metrics(proba, np.array([1, 0, 1, 0]))
    assert (metrics.accuracy, metrics.precision, metrics.recall) == (0.5, 0.5, 0.5)
    assert metrics.samples == 4
