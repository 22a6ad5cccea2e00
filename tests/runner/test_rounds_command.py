"""Tests of the gate's benchmark command (perfcore.runner.rounds)."""

from pathlib import Path

import pytest

from perfcore.runner.rounds import ABRounds, _bench_command
from perfcore.runner.suite import PASSES_ENV


@pytest.mark.parametrize(("passes", "expected"), [(3, "3"), (1, "1")])
def test_bench_passes_reach_the_suite_and_an_inherited_value_does_not(
    monkeypatch: pytest.MonkeyPatch, passes: int, expected: str
) -> None:
    """--bench-passes P sets the suite's passes; an inherited value never reaches it."""
    monkeypatch.setenv(PASSES_ENV, "7")
    command = _bench_command(Path("tree"), Path("out.json"), ABRounds(ref="HEAD", passes=passes))
    assert command.env.get(PASSES_ENV) == expected
