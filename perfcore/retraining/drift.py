"""Feature drift: each feature's recent window against a fixed reference window.

The test is scipy's two-sample Kolmogorov-Smirnov test per feature (asymptotic
p-value), and the features are one family: Holm's step-down correction keeps the
chance of any false drift call in one evaluation at ``alpha``. Memory is two
fixed ``(rows, features)`` arrays, whatever the length of the stream.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

from perfcore.errors import InputError

__all__ = ["DriftResult", "FeatureDrift", "holm_reject"]

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


class FeatureDrift:
    """Collects a reference window, then tests every full window of new rows against it."""

    def __init__(self, n_features: int, reference_rows: int, window_rows: int,
                 alpha: float) -> None:
        self.n_features = n_features
        self.alpha = alpha
        self._reference = np.empty((reference_rows, n_features))
        self._window = np.empty((window_rows, n_features))
        self._ref_fill = 0
        self._win_fill = 0

    @property
    def ready(self) -> bool:
        """True once the reference window is full."""
        return self._ref_fill == len(self._reference)

    def reset(self) -> None:
        """Forget the reference (after a promotion the new model's inputs are the reference)."""
        self._ref_fill = 0
        self._win_fill = 0

    def add(self, rows: FloatArray) -> list[tuple[int, DriftResult]]:
        """Add rows; returns (offset of the row that completed a window, result) per evaluation."""
        if rows.ndim != 2 or rows.shape[1] != self.n_features:
            raise InputError(f"expected {self.n_features} features per event, got "
                             f"{rows.shape[-1] if rows.ndim else 0}")
        results: list[tuple[int, DriftResult]] = []
        done = 0
        while done < len(rows):
            if not self.ready:
                done += self._fill_reference(rows[done:])
                continue
            take = min(len(self._window) - self._win_fill, len(rows) - done)
            self._window[self._win_fill:self._win_fill + take] = rows[done:done + take]
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
        self._reference[self._ref_fill:self._ref_fill + take] = rows[:take]
        self._ref_fill += take
        return take

    def evaluate(self) -> DriftResult:
        """KS test of each feature's full window against the reference, Holm-corrected."""
        return self._test(self._window[:self._win_fill])

    def _test(self, window: FloatArray) -> DriftResult:
        from scipy.stats import ks_2samp

        test = ks_2samp(self._reference, window, axis=0, method="asymp")
        p_values = np.asarray(test.pvalue, dtype=np.float64).reshape(-1)
        stats = np.asarray(test.statistic, dtype=np.float64).reshape(-1)
        reject = holm_reject(p_values, self.alpha)
        return DriftResult(tuple(int(i) for i in np.flatnonzero(reject)),
                           tuple(float(s) for s in stats), tuple(float(p) for p in p_values))
