"""The outcome monitor: each accuracy trigger, drift, batch/single agreement, bounded memory."""

from __future__ import annotations

import numpy as np
import pytest
from retrain_helpers import outcomes, small_settings

from perfcore.errors import InputError
from perfcore.retraining import OutcomeMonitor
from perfcore.retraining.drift import holm_reject
from perfcore.retraining.monitor import cusum_path


def _kinds(monitor: OutcomeMonitor, *parts: tuple[np.ndarray, np.ndarray, np.ndarray]) -> list:
    signals = []
    for predictions, labels, x in parts:
        signals += monitor.observe_batch(predictions, labels, x)
    return signals


def test_stationary_stream_raises_no_accuracy_trigger() -> None:
    """50,000 events at the reference accuracy raise no drop, floor or emergency signal."""
    monitor = OutcomeMonitor(small_settings(cusum_boundary=16.0), n_features=3)
    assert _kinds(monitor, outcomes(50_000, 0.8, seed=1)) == []


def test_drop_of_five_percent_triggers_the_cusum() -> None:
    """A 5% relative drop (0.80 to 0.76) after 2,000 events raises a drop signal after it."""
    monitor = OutcomeMonitor(small_settings(), n_features=3)
    signals = _kinds(monitor, outcomes(2000, 0.8, seed=2), outcomes(20_000, 0.76, seed=3))
    drops = [s for s in signals if s.kind == "drop"]
    assert drops
    assert drops[0].event > 2000


def test_accuracy_below_the_floor_triggers() -> None:
    """Windows at 40% accuracy fall significantly below the 0.55 floor."""
    monitor = OutcomeMonitor(small_settings(reference_accuracy=0.6), n_features=3)
    signals = _kinds(monitor, outcomes(1000, 0.40, seed=4))
    assert any(s.kind == "floor" for s in signals)


def test_floor_does_not_trigger_above_the_floor() -> None:
    """Windows at 65% accuracy never trigger the 0.55 floor."""
    monitor = OutcomeMonitor(small_settings(reference_accuracy=0.65), n_features=3)
    assert not any(s.kind == "floor" for s in _kinds(monitor, outcomes(20_000, 0.65, seed=5)))


def test_emergency_three_sigma_below_recent_mean() -> None:
    """A window far below the mean of the recent windows raises an emergency at its end."""
    monitor = OutcomeMonitor(small_settings(), n_features=3)
    signals = _kinds(monitor, outcomes(2000, 0.8, seed=6), outcomes(200, 0.5, seed=7))
    emergencies = [s for s in signals if s.kind == "emergency"]
    assert [s.event for s in emergencies] == [2200]


def test_feature_drift_is_detected_by_ks() -> None:
    """A one-SD shift of one feature is a drift signal within two windows after it."""
    monitor = OutcomeMonitor(small_settings(), n_features=3)
    signals = _kinds(monitor, outcomes(1000, 0.8, seed=8), outcomes(1000, 0.8, seed=9, shift=1.0))
    drifts = [s for s in signals if s.kind == "drift"]
    assert drifts
    assert 1000 < drifts[0].event <= 2000


def test_no_drift_without_a_shift() -> None:
    """Stationary features raise no drift signal over 20,000 events."""
    monitor = OutcomeMonitor(small_settings(), n_features=3)
    assert not any(s.kind == "drift" for s in _kinds(monitor, outcomes(20_000, 0.8, seed=10)))


def test_single_events_give_the_same_signals_as_batches() -> None:
    """observe() one event at a time and observe_batch() agree on every signal."""
    parts = [outcomes(1500, 0.8, seed=11), outcomes(1500, 0.6, seed=12, shift=1.0)]
    batch = OutcomeMonitor(small_settings(), n_features=3)
    single = OutcomeMonitor(small_settings(), n_features=3)
    expected = _kinds(batch, *parts)
    got = []
    for predictions, labels, x in parts:
        for i in range(len(labels)):
            got += single.observe(int(predictions[i]), int(labels[i]), list(x[i]))
    assert [(s.kind, s.event) for s in got] == [(s.kind, s.event) for s in expected]
    assert expected


def test_reference_is_learnt_when_not_given() -> None:
    """Without a reference accuracy the monitor takes the first reference_events' accuracy."""
    monitor = OutcomeMonitor(small_settings(reference_accuracy=None, reference_events=1000))
    monitor.observe_batch(*outcomes(1000, 0.7, seed=13)[:2])
    assert monitor.reference == pytest.approx(0.7, abs=0.05)


def test_memory_is_bounded_by_the_history() -> None:
    """After 30,000 events the history holds exactly ``history`` rows, oldest dropped."""
    monitor = OutcomeMonitor(small_settings(history=2000), n_features=3)
    for seed in range(3):
        monitor.observe_batch(*outcomes(10_000, 0.8, seed=20 + seed))
    rows, labels, correct = monitor.history()
    assert rows is not None
    assert rows.shape == (2000, 3)
    assert len(labels) == len(correct) == 2000
    assert monitor.events == 30_000


def test_features_of_the_wrong_width_are_input_errors() -> None:
    """An event with another number of features is refused."""
    monitor = OutcomeMonitor(small_settings(), n_features=3)
    with pytest.raises(InputError, match="features"):
        monitor.observe(1, 1, [0.0, 1.0])


def test_cusum_closed_form_matches_the_recursion() -> None:
    """The vectorised CUSUM crosses where the Lindley recursion does."""
    rng = np.random.default_rng(0)
    inc = rng.normal(0.05, 1.0, size=5000)
    crossings, end = cusum_path(inc, 0.0, 10.0)
    s, expected = 0.0, []
    for i, x in enumerate(inc):
        s = max(0.0, s + x)
        if s > 10.0:
            expected.append(i)
            s = 0.0
    assert crossings == expected
    assert end == pytest.approx(s)


def test_holm_rejects_step_down() -> None:
    """Holm rejects the smallest p-values while each is under alpha / (m - rank)."""
    p = np.array([0.001, 0.04, 0.012, 0.9])
    assert holm_reject(p, 0.05).tolist() == [True, False, True, False]


def test_ks_matches_scipy_ks_2samp() -> None:
    """The presorted KS gives scipy ks_2samp's asymptotic statistics and p-values."""
    from scipy.stats import ks_2samp

    from perfcore.retraining.drift import ks_two_sample

    rng = np.random.default_rng(3)
    reference = rng.normal(size=(700, 4))
    window = rng.normal(size=(500, 4)) + np.array([0.0, 0.1, 0.3, 0.0])
    window[:50, 3] = np.round(window[:50, 3], 1)  # some ties
    stats, p = ks_two_sample(np.sort(reference.T, axis=1), window)
    expected = ks_2samp(reference, window, axis=0, method="asymp")
    np.testing.assert_allclose(stats, expected.statistic, rtol=1e-12)
    np.testing.assert_allclose(p, expected.pvalue, rtol=1e-9)
