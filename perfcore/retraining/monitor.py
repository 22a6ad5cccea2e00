"""The outcome monitor: (prediction, label[, features]) events in, trigger signals out.

Accuracy is watched three ways, each with a false-alarm rate set in advance:

* ``drop``: a Bernoulli CUSUM (Page's test) of "accuracy fell from the reference p0
  to p0 * (1 - relative_drop)"; its boundary h bounds the mean run length between
  false alarms on a stationary stream below by e^h (Wald), so h = 16 gives more than
  8.8e6 events.
* ``floor``: every non-overlapping window, an exact one-sided binomial test of
  "accuracy below the floor" at ``floor_alpha``.
* ``emergency``: a window whose accuracy lies ``emergency_sigma`` binomial standard
  deviations below the mean of the recent windows.

``drift`` comes from :class:`perfcore.retraining.drift.FeatureDrift`. Every history
is a preallocated numpy array or a counter, so memory does not grow with the stream.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

from perfcore.errors import InputError
from perfcore.retraining.drift import FeatureDrift
from perfcore.retraining.settings import RetrainingSettings

__all__ = ["OutcomeMonitor", "Signal"]

FloatArray = NDArray[np.float64]


@dataclass(frozen=True)
class Signal:
    """A trigger raised at event ``event`` (1-based count of events seen)."""

    kind: str  # "drop", "floor", "emergency" or "drift"
    event: int
    detail: str


def floor_count(n: int, floor: float, alpha: float) -> int:
    """The largest correct count in ``n`` events that is significantly below ``floor``."""
    from scipy.stats import binom

    k = int(binom.ppf(alpha, n, floor))
    return k if binom.cdf(k, n, floor) <= alpha else k - 1


def cusum_path(increments: FloatArray, start: float, boundary: float) -> tuple[list[int], float]:
    """Offsets where Page's CUSUM crosses ``boundary`` (restarting at 0 after each) and its end.

    Uses the closed form of the Lindley recursion, S_n = C_n - min(0, min_j<=n C_j) with
    C the cumulative sum from ``start``, so a batch costs a few numpy passes.
    """
    crossings: list[int] = []
    offset, s = 0, start
    while offset < len(increments):
        c = s + np.cumsum(increments[offset:])
        path = c - np.minimum(np.minimum.accumulate(c), 0.0)
        over = np.flatnonzero(path > boundary)
        if not len(over):
            return crossings, float(path[-1])
        crossings.append(offset + int(over[0]))
        offset += int(over[0]) + 1
        s = 0.0
    return crossings, s


class OutcomeMonitor:
    """Bounded-memory monitor of a labelled prediction stream."""

    def __init__(self, settings: RetrainingSettings, n_features: int | None = None) -> None:
        self.settings = settings
        self.n_features = n_features
        self.events = 0
        self._s = 0.0
        self._win_n = self._win_k = 0
        self._recent = np.zeros(settings.recent_windows)
        self._recent_fill = 0
        self._k_floor = floor_count(settings.window, settings.accuracy_floor, settings.floor_alpha)
        self._ref_n = self._ref_k = 0
        self.reference: float | None = None
        self._inc = (0.0, 0.0)
        size = settings.history
        self._labels = np.zeros(size, dtype=np.int8)
        self._correct = np.zeros(size, dtype=np.bool_)
        self._rows = np.zeros((size, n_features)) if n_features else None
        self._hist_fill = self._hist_pos = 0
        self.drift = (
            FeatureDrift(
                n_features, settings.drift_reference, settings.drift_window, settings.drift_alpha
            )
            if n_features
            else None
        )
        self.set_reference(settings.reference_accuracy)

    def set_reference(self, accuracy: float | None) -> None:
        """Judge drops against ``accuracy`` (None: learn it from the next reference_events)."""
        self._s = 0.0
        self._ref_n = self._ref_k = 0
        self.reference = None if accuracy is None else min(max(accuracy, 1e-3), 1 - 1e-3)
        if self.reference is not None:
            p0 = self.reference
            p1 = p0 * (1 - self.settings.relative_drop)
            # Log-likelihood ratio of "accuracy p1" against "accuracy p0" per event.
            self._inc = (math.log(p1 / p0), math.log((1 - p1) / (1 - p0)))

    def reset(self, accuracy: float | None) -> None:
        """Start afresh after a promotion or rollback: new reference, new drift reference."""
        self.set_reference(accuracy)
        self._win_n = self._win_k = 0
        self._recent_fill = 0
        if self.drift is not None:
            self.drift.reset()

    def observe(
        self, prediction: int, label: int, features: Sequence[float] | None = None
    ) -> list[Signal]:
        """One event; returns the triggers it completes (usually none).

        A scalar path with the same arithmetic as :meth:`observe_batch`: numpy's per-call
        overhead on one-element arrays would cost more than the work.
        """
        correct = prediction == label
        self.events += 1
        signals: list[Signal] = []
        if self.reference is None:
            self._ref_n += 1
            self._ref_k += correct
            if self._ref_n >= self.settings.reference_events:
                self.set_reference(self._ref_k / self._ref_n)
        else:
            self._s = max(0.0, self._s + self._inc[0 if correct else 1])
            if self._s > self.settings.cusum_boundary:
                self._s = 0.0
                signals.append(self._drop_signal(self.events))
        self._win_n += 1
        self._win_k += correct
        if self._win_n == self.settings.window:
            signals += self._close_window(self.events)
        pos = self._hist_pos
        self._labels[pos] = label
        self._correct[pos] = correct
        self._hist_pos = (pos + 1) % len(self._labels)
        self._hist_fill = min(self._hist_fill + 1, len(self._labels))
        if features is not None:
            signals += self._row(pos, features)
        return signals

    def _row(self, pos: int, features: Sequence[float]) -> list[Signal]:
        if self.drift is None or self._rows is None:
            raise InputError("this monitor was built without features; events must not carry any")
        if len(features) != self.n_features:
            raise InputError(f"expected {self.n_features} features per event, got {len(features)}")
        self._rows[pos] = features
        if not np.isfinite(self._rows[pos]).all():
            raise InputError("features must be finite numbers")
        result = self.drift.add_row(self._rows[pos])
        if result is None or not result.drifted:
            return []
        return [self._drift_signal(self.events, result.drifted)]

    def observe_batch(
        self,
        predictions: NDArray[np.int64],
        labels: NDArray[np.int64],
        features: FloatArray | None = None,
    ) -> list[Signal]:
        """Many events in stream order; the same triggers as one ``observe`` per event."""
        n = len(labels)
        if len(predictions) != n or (features is not None and len(features) != n):
            raise InputError("predictions, labels and features must have the same length")
        correct = np.asarray(predictions) == np.asarray(labels)
        first = self.events
        signals = self._accuracy(correct, first)
        if features is not None:
            signals += self._features(features, first)
        self._remember(labels, correct, features)
        self.events += n
        signals.sort(key=lambda s: s.event)
        return signals

    def _accuracy(self, correct: NDArray[np.bool_], first: int) -> list[Signal]:
        signals: list[Signal] = []
        done = 0
        while done < len(correct):
            take = min(self.settings.window - self._win_n, len(correct) - done)
            if self.reference is None:
                take = min(take, self.settings.reference_events - self._ref_n)
            part = correct[done : done + take]
            signals += self._drop(part, first + done)
            self._win_n += take
            self._win_k += int(part.sum())
            done += take
            if self._win_n == self.settings.window:
                signals += self._close_window(first + done)
        return signals

    def _drop(self, part: NDArray[np.bool_], first: int) -> list[Signal]:
        if self.reference is None:
            self._ref_n += len(part)
            self._ref_k += int(part.sum())
            if self._ref_n >= self.settings.reference_events:
                self.set_reference(self._ref_k / self._ref_n)
            return []
        increments = np.where(part, self._inc[0], self._inc[1])
        crossings, self._s = cusum_path(increments, self._s, self.settings.cusum_boundary)
        return [self._drop_signal(first + i + 1) for i in crossings]

    def _drop_signal(self, event: int) -> Signal:
        assert self.reference is not None
        p1 = self.reference * (1 - self.settings.relative_drop)
        return Signal(
            "drop",
            event,
            f"CUSUM crossed {self.settings.cusum_boundary:g}: "
            f"accuracy below {self.reference:.4f} toward {p1:.4f}",
        )

    def _drift_signal(self, event: int, drifted: tuple[int, ...]) -> Signal:
        assert self.drift is not None
        return Signal(
            "drift",
            event,
            f"features {', '.join(str(i) for i in drifted)} drifted "
            f"(KS, Holm at {self.drift.alpha:g})",
        )

    def _close_window(self, event: int) -> list[Signal]:
        n, k = self._win_n, self._win_k
        self._win_n = self._win_k = 0
        accuracy = k / n
        signals: list[Signal] = []
        if k <= self._k_floor:
            signals.append(
                Signal(
                    "floor",
                    event,
                    f"window accuracy {accuracy:.4f} below the "
                    f"floor {self.settings.accuracy_floor} (binomial test)",
                )
            )
        fill = self._recent_fill
        mean = float(self._recent[:fill].mean()) if fill >= 3 else self.reference
        if mean is not None:
            # The next window's spread about a mean of `fill` windows: sqrt(1 + 1/fill) sigma.
            spread = math.sqrt(1 + 1 / fill) if fill >= 3 else 1.0
            sigma = spread * math.sqrt(max(mean * (1 - mean), 1e-12) / n)
            if accuracy < mean - self.settings.emergency_sigma * sigma:
                signals.append(
                    Signal(
                        "emergency",
                        event,
                        f"window accuracy {accuracy:.4f} is "
                        f"{(mean - accuracy) / sigma:.1f} sigma below the recent "
                        f"mean {mean:.4f}",
                    )
                )
        self._recent = np.roll(self._recent, -1) if fill == len(self._recent) else self._recent
        self._recent[min(fill, len(self._recent) - 1)] = accuracy
        self._recent_fill = min(fill + 1, len(self._recent))
        return signals

    def _features(self, features: FloatArray, first: int) -> list[Signal]:
        if self.drift is None:
            raise InputError("this monitor was built without features; events must not carry any")
        rows = np.asarray(features, dtype=np.float64)
        if not np.isfinite(rows).all():
            raise InputError("features must be finite numbers")
        return [
            self._drift_signal(first + offset + 1, result.drifted)
            for offset, result in self.drift.add(rows)
            if result.drifted
        ]

    def _remember(
        self, labels: NDArray[np.int64], correct: NDArray[np.bool_], features: FloatArray | None
    ) -> None:
        size = len(self._labels)
        n = min(len(labels), size)
        idx = (self._hist_pos + np.arange(n)) % size
        self._labels[idx] = np.asarray(labels)[-n:]
        self._correct[idx] = correct[-n:]
        if self._rows is not None and features is not None:
            self._rows[idx] = features[-n:]
        self._hist_pos = int((self._hist_pos + n) % size)
        self._hist_fill = min(self._hist_fill + n, size)

    def history(self) -> tuple[FloatArray | None, NDArray[np.int8], NDArray[np.bool_]]:
        """The remembered rows, labels and live-model correctness, oldest first."""
        order = (self._hist_pos - self._hist_fill + np.arange(self._hist_fill)) % len(self._labels)
        rows = None if self._rows is None else self._rows[order]
        return rows, self._labels[order], self._correct[order]
