"""A deterministic fake LLM backend: fixed latency and cost per call, counted.

The answer is a pure function of the prompt, so cached and uncached paths can be
compared byte for byte; latency comes from an injectable ``sleep`` so tests run
without waiting.
"""

from __future__ import annotations

import asyncio
import hashlib
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass

__all__ = ["FakeLLM", "FakeLLMStats"]


@dataclass(frozen=True)
class FakeLLMStats:
    """How often the fake backend was called and what that would have cost."""

    calls: int
    cost: float
    busy_s: float


class FakeLLM:
    """Answers any prompt after ``latency_s``, charging ``cost_per_call``; thread-safe."""

    def __init__(
        self,
        latency_s: float = 0.0,
        cost_per_call: float = 0.0,
        *,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        if latency_s < 0 or cost_per_call < 0:
            raise ValueError("latency_s and cost_per_call must be >= 0")
        self.latency_s = latency_s
        self.cost_per_call = cost_per_call
        self._sleep = sleep
        self._lock = threading.Lock()
        self._calls = 0

    @staticmethod
    def answer(prompt: str) -> str:
        """The response the backend gives for ``prompt`` (pure, no latency, not counted)."""
        digest = hashlib.sha256(prompt.encode()).hexdigest()[:16]
        return f"answer[{digest}] to: {prompt}"

    def __call__(self, prompt: str) -> str:
        """Complete ``prompt`` synchronously."""
        self._count()
        if self.latency_s:
            self._sleep(self.latency_s)
        return self.answer(prompt)

    async def acomplete(self, prompt: str) -> str:
        """Complete ``prompt`` without blocking the event loop."""
        self._count()
        if self.latency_s:
            await asyncio.sleep(self.latency_s)
        return self.answer(prompt)

    def stats(self) -> FakeLLMStats:
        """Calls so far, their total cost, and the latency they spent."""
        with self._lock:
            calls = self._calls
        return FakeLLMStats(calls, calls * self.cost_per_call, calls * self.latency_s)

    def _count(self) -> None:
        with self._lock:
            self._calls += 1
