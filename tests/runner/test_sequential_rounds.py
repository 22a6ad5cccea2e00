"""Tests of gate --against's sequential rounds loop (perfcore.runner.sequential_rounds)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import pytest

from perfcore.analysis.verdict_rule import compare_suites
from perfcore.config import Settings
from perfcore.results.model import Machine, Result, ResultSet, RunInfo
from perfcore.runner import sequential_rounds as seq
from perfcore.runner.rounds import ABRounds

MACHINE = Machine(id="m", cpu="", cores=2, ram_bytes=0, os="", python="")
# id -> (per-round noise SD, slowdown of the working tree)
BENCHES = {"quiet": (0.002, 1.0), "slow": (0.002, 1.5), "noisy": (0.3, 1.0)}


def _fake_rounds(monkeypatch: pytest.MonkeyPatch) -> list[dict[str, tuple[str, ...]]]:
    """Replace the benchmark runs by generated rounds; returns the node ids each round ran."""
    rng = np.random.default_rng(7)
    selected: list[dict[str, tuple[str, ...]]] = []

    def one_round(plan: ABRounds, _trees: Any, _scratch: Any, i: int, sides: Any, **_: Any) -> None:
        nodes = dict(plan.select) or {s: tuple(f"bench/t.py::{b}" for b in BENCHES) for s in "AB"}
        selected.append(nodes)
        level = float(np.exp(rng.normal(0, 0.05)))  # the round's machine speed, both sides
        for side in "AB":
            results = []
            for node in nodes[side]:
                name = node.rpartition("::")[2]
                sd, slow = BENCHES[name]
                factor = level * (slow if side == "B" else 1.0)
                samples = factor * np.exp(rng.normal(0, sd, 9))
                extra = {"node": node}
                results.append(Result(name, "s", "lower", tuple(samples.tolist()), extra=extra))
            run = RunInfo(created=f"round-{i}", machine=MACHINE)
            sides[side].append(ResultSet(run=run, results=tuple(results)))

    monkeypatch.setattr(seq, "one_round", one_round)
    return selected


def _run(monkeypatch: pytest.MonkeyPatch, max_rounds: int = 5) -> tuple[Any, list[Any]]:
    selected = _fake_rounds(monkeypatch)
    look = seq.make_look(
        lambda r, w, level: compare_suites(r, w, paired=True, settings=Settings(alpha=level)),
        0.01,
        min_rounds=2,
        max_rounds=max_rounds,
    )
    plan = ABRounds(ref="HEAD", rounds=max_rounds, max_rounds=max_rounds)
    run = seq.sequential_rounds(plan, {}, Path("."), runner=None, look=look)  # type: ignore[arg-type]
    return run, selected


def test_decided_results_stop_being_measured(monkeypatch: pytest.MonkeyPatch) -> None:
    """Once decided, a result's node is left out of the next rounds, on both sides."""
    run, selected = _run(monkeypatch)
    assert run.decided["quiet"] == ("unchanged", 2)
    how, when = run.decided["slow"]
    assert how == "slower"
    assert len(selected[2]["A"]) == 2
    only_noisy = {"A": ("bench/t.py::noisy",), "B": ("bench/t.py::noisy",)}
    assert all(s == only_noisy for s in selected[when:])


def test_the_undecided_run_to_the_cap(monkeypatch: pytest.MonkeyPatch) -> None:
    """A result too noisy to decide runs every round up to the cap and is marked capped."""
    run, selected = _run(monkeypatch, max_rounds=4)
    assert len(selected) == 4
    assert run.decided["noisy"] == (seq.CAPPED, 4)
    noisy = {r.id: r for r in run.working.results}["noisy"]
    assert len(set(noisy.extra["rounds"])) == 4


def test_fresh_stage_gets_slower_and_capped_picks_only(monkeypatch: pytest.MonkeyPatch) -> None:
    """The screen keeps 'slower' decisions and, at the cap, only what is still undecided."""
    run, _ = _run(monkeypatch, max_rounds=4)
    screen = run.screen(lambda _r, _w: ["quiet", "noisy"])
    assert screen is not None
    assert screen(run.reference, run.working) == ["noisy", "slow"]


def test_progress_and_verdict_lines_count_the_decisions(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """Each look prints what is decided and running; the note says the rounds each needed."""
    run, _ = _run(monkeypatch, max_rounds=4)
    out = capsys.readouterr().out
    assert "gate: round 2: 2 decided (1 unchanged, 1 beyond (slower)), 1 still running" in out
    assert "1 undecided at the cap" in out
    assert seq.rounds_note(run.decided) == (
        "rounds needed: 2 after 2, 1 after 4 (1 undecided at the cap)"
    )
