"""Cost control: O(1) estimates from a lookup table, daily and monthly limits, minimum ROI.

A retrain's cost is looked up by model type and a power-of-two bucket of the
dataset size (one dict access and one ``int.bit_length``), never measured on the
spot. The table's dollar figures are list prices of a small cloud CPU instance
(about $0.10 per hour) times the time perfcore's own training phases take on such
a size, rounded up; they are estimates to budget with, and docs/retraining.md says
how to replace them.
"""

from __future__ import annotations

import calendar
import contextlib
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from perfcore.errors import InputError
from perfcore.retraining.ledger import append_entry, locked, read_entries
from perfcore.retraining.settings import RetrainingSettings

__all__ = ["CostEstimate", "CostLedger", "SpendDecision", "estimate_cost"]

Clock = Callable[[], float]

# (dollars, seconds) per retrain of up to 1,024 rows; each doubling of the rows doubles both.
_BASE: dict[str, tuple[float, float]] = {
    "heuristic": (0.01, 1.0),
    "logistic": (0.02, 2.0),
    "correlation": (0.01, 1.0),
    "anomaly": (0.10, 20.0),
    "simple_transformer": (0.50, 120.0),
}
_MAX_BUCKET = 30  # 2^30 rows; beyond that the table has no entry
_TABLE: dict[tuple[str, int], tuple[float, float]] = {
    (model, bucket): (dollars * 2 ** max(0, bucket - 10), seconds * 2 ** max(0, bucket - 10))
    for model, (dollars, seconds) in _BASE.items()
    for bucket in range(_MAX_BUCKET + 1)
}
_DAY = 86_400.0


@dataclass(frozen=True)
class CostEstimate:
    """A retrain's estimated dollars and seconds."""

    dollars: float
    seconds: float


def estimate_cost(model_type: str, rows: int) -> CostEstimate:
    """Look up the cost of retraining ``model_type`` on ``rows`` rows (O(1))."""
    if rows < 1:
        raise InputError(f"a retrain needs at least one row, got {rows}")
    bucket = max(10, (rows - 1).bit_length())
    entry = _TABLE.get((model_type, bucket))
    if entry is None:
        raise InputError(f"no cost entry for model type {model_type!r} with {rows} rows")
    return CostEstimate(*entry)


@dataclass(frozen=True)
class SpendDecision:
    """Whether a retrain may spend its estimate, and why not."""

    allowed: bool
    reason: str
    roi: float


class CostLedger:
    """Spending in the current UTC day and month, and the ROI rule.

    With ``path`` (the store's ``cost-ledger.json``) every booking is written there and
    every decision reads it again, so the limits hold across runs and processes; with
    ``book=False`` (a dry run) the file is read but this run's bookings stay in memory.
    """

    def __init__(
        self,
        settings: RetrainingSettings,
        clock: Clock = time.time,
        *,
        path: Path | None = None,
        book: bool = True,
    ) -> None:
        self.settings = settings
        self.clock = clock
        self.path = path
        self.book = book
        # A retrain costs at least a cent, so a month under the limit holds a bounded count.
        self._spent: deque[tuple[float, float]] = deque(maxlen=100_000)

    def _entries(self) -> list[tuple[float, float]]:
        stored = read_entries(self.path) if self.path is not None else []
        return [*stored, *self._spent]

    def _between(self, start: float, end: float) -> float:
        # Bounded on both sides: a replayed stream's clock may lie before entries booked
        # at wall-clock time, and those are not "today" for it.
        return sum(dollars for when, dollars in self._entries() if start <= when < end)

    def spent_today(self) -> float:
        """Dollars spent since 00:00 UTC today."""
        start = _day_start(self.clock())
        return self._between(start, start + _DAY)

    def spent_this_month(self) -> float:
        """Dollars spent since the first of this UTC month."""
        return self._between(*_month_bounds(self.clock()))

    def roi(self, estimate: CostEstimate, expected_gain: float) -> float:
        """(benefit - cost) / cost, the benefit being the accuracy regained over benefit_days."""
        s = self.settings
        benefit = expected_gain * s.predictions_per_day * s.benefit_days * s.value_per_correct
        return (benefit - estimate.dollars) / estimate.dollars

    def decide(self, estimate: CostEstimate, expected_gain: float) -> SpendDecision:
        """May a retrain with this estimate and expected accuracy gain run now?"""
        s = self.settings
        roi = self.roi(estimate, expected_gain)
        today, month = self.spent_today(), self.spent_this_month()
        if today + estimate.dollars > s.daily_limit:
            return SpendDecision(
                False,
                f"daily limit: ${today:.2f} spent + ${estimate.dollars:.2f} > ${s.daily_limit:.2f}",
                roi,
            )
        if month + estimate.dollars > s.monthly_limit:
            return SpendDecision(
                False,
                f"monthly limit: ${month:.2f} spent + "
                f"${estimate.dollars:.2f} > ${s.monthly_limit:.2f}",
                roi,
            )
        if roi < s.min_roi:
            return SpendDecision(False, f"ROI {roi:.0%} below the minimum {s.min_roi:.0%}", roi)
        return SpendDecision(True, f"ROI {roi:.0%}, ${today:.2f} spent today", roi)

    def record(self, estimate: CostEstimate) -> None:
        """Book a retrain's cost now (in the ledger file, when there is one and ``book``)."""
        if self.path is not None and self.book:
            with locked(self.path):
                self._book(estimate)
        else:
            self._book(estimate)

    def try_spend(self, estimate: CostEstimate, expected_gain: float) -> SpendDecision:
        """Decide, and book the estimate when allowed, as one step under the ledger's lock.

        Two runs deciding at once cannot both pass on the same remaining budget.
        """
        persisted = self.path is not None and self.book
        with locked(self.path) if persisted and self.path else contextlib.nullcontext():
            decision = self.decide(estimate, expected_gain)
            if decision.allowed:
                self._book(estimate)
            return decision

    def _book(self, estimate: CostEstimate) -> None:
        now = self.clock()
        if self.path is not None and self.book:
            append_entry(self.path, (now, estimate.dollars), keep_from=_month_bounds(now)[0])
        else:
            self._spent.append((now, estimate.dollars))


def _day_start(now: float) -> float:
    return now - now % _DAY


def _month_bounds(now: float) -> tuple[float, float]:
    """[start, end) of the UTC month holding ``now``, in seconds since the epoch."""
    t = time.gmtime(now)
    start = calendar.timegm((t.tm_year, t.tm_mon, 1, 0, 0, 0))
    year, month = (t.tm_year + 1, 1) if t.tm_mon == 12 else (t.tm_year, t.tm_mon + 1)
    return float(start), float(calendar.timegm((year, month, 1, 0, 0, 0)))
