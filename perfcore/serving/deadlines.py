"""A deadline on reading request bodies, without a timer per request.

``asyncio.timeout`` around each body read arms and cancels one event-loop timer per
request, several microseconds each on the hot path. Here a request only notes when
it started reading (a dict insert), and one sweep, armed while any read is open and
repeated a few times per timeout, cancels the reads that overran; the cancelled read
then raises ``TimeoutError`` in its own request.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable
from typing import Any, TypeVar

__all__ = ["BodyDeadline"]

T = TypeVar("T")


class BodyDeadline:
    """Runs reads under a shared deadline of ``timeout_s`` each."""

    def __init__(self, timeout_s: float, clock: Callable[[], float] = time.monotonic) -> None:
        self.timeout_s = timeout_s
        self.clock = clock
        self._open: dict[asyncio.Task[Any], float] = {}
        self._expired: set[asyncio.Task[Any]] = set()
        self._armed_on: asyncio.AbstractEventLoop | None = None

    async def run(self, read: Awaitable[T]) -> T:
        """Await ``read``; ``TimeoutError`` when it is not done within the timeout."""
        task = asyncio.current_task()
        assert task is not None
        self._open[task] = self.clock()
        loop = task.get_loop()
        if self._armed_on is not loop:  # a new loop (tests) or no sweep pending
            self._armed_on = loop
            loop.call_later(self._interval(), self._sweep, loop)
        try:
            return await read
        except asyncio.CancelledError:
            if task not in self._expired:
                raise
            self._expired.discard(task)
            task.uncancel()
            raise TimeoutError from None
        finally:
            self._open.pop(task, None)

    def _interval(self) -> float:
        return min(1.0, self.timeout_s / 4)

    def _sweep(self, loop: asyncio.AbstractEventLoop) -> None:
        now = self.clock()
        for task, started in list(self._open.items()):
            if now - started > self.timeout_s and task.get_loop() is loop:
                del self._open[task]
                self._expired.add(task)
                task.cancel()
        if any(task.get_loop() is loop for task in self._open):
            loop.call_later(self._interval(), self._sweep, loop)
        elif self._armed_on is loop:
            self._armed_on = None  # the next read arms a new sweep
