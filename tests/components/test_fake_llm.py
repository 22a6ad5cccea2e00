"""FakeLLM: deterministic answers, injected latency, counted calls and cost."""

from __future__ import annotations

import asyncio

import pytest

from perfcore.components import FakeLLM


def test_answers_are_deterministic_and_counted() -> None:
    """The same prompt always gets the same answer; calls and cost add up."""
    slept: list[float] = []
    llm = FakeLLM(latency_s=0.2, cost_per_call=0.5, sleep=slept.append)
    assert llm("hi") == llm("hi") != llm("ho")
    stats = llm.stats()
    assert (stats.calls, stats.cost, slept) == (3, 1.5, [0.2, 0.2, 0.2])
    assert stats.busy_s == pytest.approx(0.6)


def test_async_completion_matches_sync() -> None:
    """acomplete answers like the sync call and is counted too."""
    llm = FakeLLM()
    assert asyncio.run(llm.acomplete("q")) == FakeLLM.answer("q")
    assert llm.stats().calls == 1


def test_negative_latency_is_rejected() -> None:
    """Latency and cost cannot be negative."""
    with pytest.raises(ValueError, match=">= 0"):
        FakeLLM(latency_s=-1)
