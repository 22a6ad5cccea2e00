"""Dynamic micro-batching: gather single requests for up to N rows or T ms, predict once.

Runs inside the server's event loop without a background task: the first request
of a batch arms a timer; the batch is flushed when it holds ``max_rows`` rows or
when the timer fires, whichever comes first. The model call is synchronous (it is
short), so a flush never interleaves with another. When the batch's model call fails,
each request of it is predicted alone, so one request the model cannot score (a huge
but finite feature that overflows it) fails alone.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, field

import numpy as np
from numpy.typing import NDArray

from perfcore.serving.model import Predictor

__all__ = ["BatchStats", "MicroBatcher"]


@dataclass
class BatchStats:
    """How many model calls the batcher made and how many rows they carried."""

    batches: int = 0
    rows: int = 0


@dataclass
class MicroBatcher:
    """Coalesce concurrent predictions into one ``predict_proba`` call."""

    predictor: Predictor
    max_rows: int
    max_wait_s: float
    stats: BatchStats = field(default_factory=BatchStats)
    _rows: list[NDArray[np.float64]] = field(default_factory=list)
    _waiters: list[asyncio.Future[NDArray[np.float64]]] = field(default_factory=list)
    _pending_rows: int = 0
    _timer: asyncio.TimerHandle | None = None

    async def predict(self, rows: NDArray[np.float64]) -> NDArray[np.float64]:
        """Probabilities for ``rows``, computed in a batch with other waiting requests."""
        loop = asyncio.get_running_loop()
        future: asyncio.Future[NDArray[np.float64]] = loop.create_future()
        self._rows.append(rows)
        self._waiters.append(future)
        self._pending_rows += len(rows)
        if self._pending_rows >= self.max_rows:
            self._flush()
        elif self._timer is None:
            self._timer = loop.call_later(self.max_wait_s, self._flush)
        return await future

    def _flush(self) -> None:
        if self._timer is not None:
            self._timer.cancel()
            self._timer = None
        rows, waiters = self._rows, self._waiters
        self._rows, self._waiters, self._pending_rows = [], [], 0
        if not waiters:
            return
        try:
            probs = self.predictor.predict_proba(np.concatenate(rows))
        except Exception as exc:
            if len(waiters) == 1:
                _settle(waiters[0], exc)
            else:  # one request's rows may be what the model cannot score: find it
                self._one_by_one(rows, waiters)
            return
        self.stats.batches += 1
        self.stats.rows += len(probs)
        start = 0
        for part, waiter in zip(rows, waiters, strict=True):
            end = start + len(part)
            _settle(waiter, probs[start:end])
            start = end

    def _one_by_one(
        self, rows: list[NDArray[np.float64]], waiters: list[asyncio.Future[NDArray[np.float64]]]
    ) -> None:
        """Predict each request of a failed batch alone: only its own failure reaches it."""
        for part, waiter in zip(rows, waiters, strict=True):
            try:
                probs = self.predictor.predict_proba(part)
            except Exception as exc:
                _settle(waiter, exc)
                continue
            self.stats.batches += 1
            self.stats.rows += len(probs)
            _settle(waiter, probs)


def _settle(
    waiter: asyncio.Future[NDArray[np.float64]], outcome: NDArray[np.float64] | Exception
) -> None:
    if waiter.done():  # its client went away
        return
    if isinstance(outcome, Exception):
        waiter.set_exception(outcome)
    else:
        waiter.set_result(outcome)
