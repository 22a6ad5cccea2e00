"""Feature drift: each feature's recent window against a fixed reference window.

The test is the two-sample Kolmogorov-Smirnov test per feature with scipy's
asymptotic p-value (the reference sorted once), and the features are one family:
Holm's step-down correction keeps the chance of any false drift call in one
evaluation at ``alpha``. Memory is two fixed ``(rows, features)`` arrays, whatever
the length of the stream.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

from perfcore.errors import InputError

__all__ = ["DriftResult", "FeatureDrift", "holm_reject", "ks_two_sample"]

FloatArray = NDArray[np.float64]


@dataclass(frozen=True)
class DriftResult:
    """One evaluation: which features drifted, their KS statistics and p-values."""

    drifted: tuple[int, ...]
    statistics: tuple[float, ...]
    p_values: tuple[float, ...]


def holm_reject(p_values: FloatArray, alpha: float) -> NDArray[np.bool_]:
    """Holm's step-down rejections at family-wise level ``alpha``."""
    m = len(p_values)
    order = np.argsort(p_values)
    limits = alpha / (m - np.arange(m))
    passed = p_values[order] <= limits
    # Holm stops at the first p-value above its limit; everything after is kept.
    stop = m if passed.all() else int(np.argmin(passed))
    reject = np.zeros(m, dtype=bool)
    reject[order[:stop]] = True
    return reject


def ks_two_sample(
    reference_sorted: FloatArray, window: FloatArray
) -> tuple[FloatArray, FloatArray]:
    """Two-sided two-sample KS statistics and asymptotic p-values, one per feature.

    ``reference_sorted`` is (features, rows), each row sorted: the reference is fixed, so
    it is sorted once rather than at every evaluation. The statistic and the p-value
    (``scipy.stats.kstwo.sf(D, round(m n / (m + n)))``) are those of
    ``scipy.stats.ks_2samp(..., method="asymp")``; a test checks the agreement.
    """
    from scipy.stats import kstwo

    n_ref, n_win = reference_sorted.shape[1], len(window)
    ordered = np.sort(window.T, axis=1)
    stats = np.empty(len(ordered))
    for j, (ref, win) in enumerate(zip(reference_sorted, ordered, strict=True)):
        points = np.concatenate((ref, win))
        gap = (
            np.searchsorted(ref, points, side="right") / n_ref
            - np.searchsorted(win, points, side="right") / n_win
        )
        stats[j] = np.abs(gap).max()
    p_values = np.clip(kstwo.sf(stats, round(n_ref * n_win / (n_ref + n_win))), 0.0, 1.0)
    return stats, np.asarray(p_values, dtype=np.float64)


class FeatureDrift:
    """Collects a reference window, then tests every full window of new rows against it."""

    def __init__(
        self, n_features: int, reference_rows: int, window_rows: int, alpha: float
    ) -> None:
        self.n_features = n_features
        self.alpha = alpha
        self._reference = np.empty((reference_rows, n_features))
        self._window = np.empty((window_rows, n_features))
        self._ref_fill = 0
        self._win_fill = 0
        self._ref_sorted: FloatArray | None = None  # features x rows, sorted once

    @property
    def ready(self) -> bool:
        """True once the reference window is full."""
        return self._ref_fill == len(self._reference)

    def reset(self) -> None:
        """Forget the reference (after a promotion the new model's inputs are the reference)."""
        self._ref_fill = 0
        self._win_fill = 0
        self._ref_sorted = None

    def add(self, rows: FloatArray) -> list[tuple[int, DriftResult]]:
        """Add rows; returns (offset of the row that completed a window, result) per evaluation."""
        if rows.ndim != 2 or rows.shape[1] != self.n_features:
            raise InputError(
                f"expected {self.n_features} features per event, got "
                f"{rows.shape[-1] if rows.ndim else 0}"
            )
        results: list[tuple[int, DriftResult]] = []
        done = 0
        while done < len(rows):
            if not self.ready:
                done += self._fill_reference(rows[done:])
                continue
            take = min(len(self._window) - self._win_fill, len(rows) - done)
            self._window[self._win_fill : self._win_fill + take] = rows[done : done + take]
            self._win_fill += take
            done += take
            if self._win_fill == len(self._window):
                results.append((done - 1, self.evaluate()))
                self._win_fill = 0
        return results

    def add_row(self, row: FloatArray) -> DriftResult | None:
        """Add one row; the evaluation it completes, if any."""
        if not self.ready:
            self._reference[self._ref_fill] = row
            self._ref_fill += 1
            return None
        self._window[self._win_fill] = row
        self._win_fill += 1
        if self._win_fill < len(self._window):
            return None
        self._win_fill = 0
        return self._test(self._window)

    def _fill_reference(self, rows: FloatArray) -> int:
        take = min(len(self._reference) - self._ref_fill, len(rows))
        self._reference[self._ref_fill : self._ref_fill + take] = rows[:take]
        self._ref_fill += take
        return take

    def evaluate(self) -> DriftResult:
        """KS test of each feature's full window against the reference, Holm-corrected."""
        return self._test(self._window[: self._win_fill])

    def _test(self, window: FloatArray) -> DriftResult:
        if self._ref_sorted is None:
            self._ref_sorted = np.sort(self._reference.T, axis=1)
        stats, p_values = ks_two_sample(self._ref_sorted, window)
        reject = holm_reject(p_values, self.alpha)
        return DriftResult(
            tuple(int(i) for i in np.flatnonzero(reject)),
            tuple(float(s) for s in stats),
            tuple(float(p) for p in p_values),
        )
