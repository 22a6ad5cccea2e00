"""Tests of the gate's benchmark command (perfcore._cli._ab_rounds)."""

from pathlib import Path

import pytest

from perfcore._cli._ab_rounds import PASSES_ENV, ABRounds, _bench_command


@pytest.mark.parametrize(("passes", "expected"), [(3, "3"), (1, None)])
def test_bench_passes_reach_the_suite_and_nothing_else_does(
    monkeypatch: pytest.MonkeyPatch, passes: int, expected: str | None
) -> None:
    """--bench-passes P sets the suite's passes; without it an inherited value is dropped."""
    monkeypatch.setenv(PASSES_ENV, "7")
    _, env = _bench_command(Path("tree"), Path("out.json"), ABRounds(ref="HEAD", passes=passes))
    assert env.get(PASSES_ENV) == expected
