"""Round-by-round interleaving of two benchmark processes (gate --interleave rounds)."""

from __future__ import annotations

import itertools
import os
import sys
from pathlib import Path

import numpy as np
import pytest

from perfcore.runner.turns import TurnScheduler, install_plugin, run_in_turns


def _drive(
    scheduler: TurnScheduler, plan: dict[str, list[str]], collected: bool = True
) -> list[str]:
    """Simulate workers that stop before each listed round (nodeid per round)."""
    position = dict.fromkeys(plan, 0)
    order = []
    for name, steps in plan.items():
        scheduler.ready(name, "__start__")
        if collected:
            scheduler.collected(name, list(dict.fromkeys(steps)))
    while (chosen := scheduler.next()) is not None:
        order.append(chosen)
        steps = plan[chosen]
        if position[chosen] == len(steps):
            scheduler.finished(chosen)
            order[-1] += "$"
            continue
        scheduler.ready(chosen, steps[position[chosen]])
        position[chosen] += 1
    return order


def _rounds(order: list[str], plan: dict[str, list[str]]) -> list[tuple[str, str]]:
    """(worker, nodeid) of every timed turn, in the order they ran."""
    seen = dict.fromkeys(plan, -1)
    out = []
    for step in order:
        name = step.rstrip("$")
        if seen[name] >= 0:  # the first turn runs start-up, the rest a round each
            out.append((name, plan[name][seen[name]]))
        seen[name] += 1
    return out


def test_rounds_of_one_benchmark_alternate_abba() -> None:
    """Inside a benchmark the sides alternate A B B A ..., neither always first."""
    plan = {"A": ["x"] * 4, "B": ["x"] * 4}
    timed = [name for name, _ in _rounds(_drive(TurnScheduler(["A", "B"]), plan), plan)]
    assert len(timed) == 8
    pairs = [timed[i : i + 2] for i in range(0, 8, 2)]
    assert all(sorted(p) == ["A", "B"] for p in pairs), timed
    assert {p[0] for p in pairs} == {"A", "B"}, "each side goes first in some pairs"


def test_a_worker_behind_catches_up_first() -> None:
    """A worker still in an earlier benchmark runs before the other moves further."""
    plan = {"A": ["x", "y", "y"], "B": ["x", "x", "x", "y", "y"]}
    timed = _rounds(_drive(TurnScheduler(["A", "B"]), plan, collected=False), plan)
    first_y = timed.index(next(t for t in timed if t[1] == "y"))
    assert [t for t in timed[:first_y] if t[0] == "B"] == [("B", "x")] * 3


def test_benchmarks_one_side_has_first_do_not_unpair_the_later_ones() -> None:
    """B has benchmarks of its own first: A waits at y for B, and y's rounds alternate."""
    plan = {"A": ["x"] + ["y"] * 4, "B": ["b1", "b2", "b3", "x", "y", "y", "y", "y"]}
    timed = _rounds(_drive(TurnScheduler(["A", "B"]), plan), plan)
    y = [name for name, bench in timed if bench == "y"]
    assert all(sorted(y[i : i + 2]) == ["A", "B"] for i in range(0, 8, 2)), timed


def test_benchmarks_of_one_side_only_do_not_stall_the_other() -> None:
    """A benchmark only REF has runs alone, then both go on together."""
    plan = {"A": ["old", "old", "z", "z"], "B": ["z", "z"]}
    timed = _rounds(_drive(TurnScheduler(["A", "B"]), plan), plan)
    assert sorted(timed) == sorted([(n, b) for n, steps in plan.items() for b in steps])
    z = [name for name, bench in timed if bench == "z"]
    assert sorted(z[:2]) == ["A", "B"], "once both reach z they alternate"


def test_the_survivor_runs_on_when_one_worker_exits() -> None:
    """When one worker has finished, the other gets every turn until it finishes."""
    plan = {"A": ["x"], "B": ["x", "x", "x"]}
    order = _drive(TurnScheduler(["A", "B"]), plan)
    assert order[-1] == "B$"
    assert order.count("A$") == 1


_TRACED = """
import os, time

def _mark(tag):
    with open(os.environ["TRACE"], "a") as f:
        f.write(f"{os.environ['SIDE']} {tag} {time.monotonic_ns()}\\n")

def _round():
    _mark("start")
    time.sleep(0.002)
    _mark("end")

def test_first(benchmark):
    benchmark.pedantic(_round, rounds=4, warmup_rounds=1)

def test_second(benchmark):
    benchmark.pedantic(_round, rounds=3)
"""


@pytest.mark.slow
def test_two_real_workers_take_turns_without_overlap(tmp_path: Path) -> None:
    """Two pytest-benchmark processes never time a round at once, and alternate."""
    (tmp_path / "bench").mkdir()
    (tmp_path / "bench" / "test_traced.py").write_text(_TRACED)
    trace = tmp_path / "trace.txt"
    plugin = install_plugin(tmp_path)
    specs = {}
    for side in "AB":
        env = {**os.environ, "SIDE": side, "TRACE": str(trace), "PYTHONPATH": str(plugin)}
        argv = [
            sys.executable,
            "-m",
            "pytest",
            "-p",
            "perfcore_turns",
            "bench",
            "-q",
            "-p",
            "no:cacheprovider",
            "-o",
            "addopts=",
        ]
        specs[side] = (argv, tmp_path, env, tmp_path / f"{side}.log")
    assert run_in_turns(specs, timeout_s=120) == {"A": 0, "B": 0}
    marks = [line.split() for line in trace.read_text().splitlines()]
    assert len(marks) == 2 * 2 * (5 + 3)
    spans = [(marks[i][0], int(marks[i][2]), int(marks[i + 1][2])) for i in range(0, len(marks), 2)]
    assert all(marks[i][0] == marks[i + 1][0] for i in range(0, len(marks), 2))
    assert all(a[2] <= b[1] for a, b in itertools.pairwise(spans)), "no overlap"
    sides = [s for s, _, _ in spans]
    assert all(sorted(sides[i : i + 2]) == ["A", "B"] for i in range(0, len(sides), 2))


def test_a_worker_that_fails_is_reported_not_waited_for(tmp_path: Path) -> None:
    """A worker that dies at start-up is seen as finished; the other still runs."""
    plugin = install_plugin(tmp_path)
    env = {**os.environ, "PYTHONPATH": str(plugin)}
    bad = [sys.executable, "-c", "raise SystemExit(3)"]
    good = [sys.executable, "-c", "print('ok')"]
    status = run_in_turns(
        {
            "A": (bad, tmp_path, env, tmp_path / "a.log"),
            "B": (good, tmp_path, env, tmp_path / "b.log"),
        },
        timeout_s=60,
    )
    assert status == {"A": 3, "B": 0}


def test_kept_rounds_in_turns_are_judged_sample_by_sample(tmp_path: Path) -> None:
    """A kept folder marked 'rounds' reads back with extra.turns, pairing its samples."""
    import json

    from perfcore.analysis.compare import round_differences
    from perfcore.runner.rounds import read_kept_rounds

    def bench_json(samples: list[float]) -> str:
        return json.dumps(
            {
                "machine_info": {},
                "commit_info": {},
                "datetime": "2026-01-01",
                "version": "5.1.0",
                "benchmarks": [
                    {
                        "name": "test_x",
                        "fullname": "bench/test_k.py::test_x",
                        "group": None,
                        "params": None,
                        "param": None,
                        "extra_info": {},
                        "options": {},
                        "stats": {
                            "data": samples,
                            "min": min(samples),
                            "max": max(samples),
                            "mean": 1.0,
                            "median": 1.0,
                            "rounds": len(samples),
                        },
                    }
                ],
            }
        )

    # The host's speed at each turn: pairs share it, but the host sped down between A's
    # third sample and B's, so B's median lands on the slow speed and A's on the fast.
    host_a = [1.0, 1.0, 1.0, 1.7, 1.7]
    host_b = [1.0, 1.0, 1.7, 1.7, 1.7]
    for i in range(3):
        (tmp_path / f"A-{i:02d}.json").write_text(bench_json(host_a))
        (tmp_path / f"B-{i:02d}.json").write_text(bench_json([1.1 * x for x in host_b]))
    (tmp_path / "interleave").write_text("rounds\n")
    ref, work = read_kept_rounds(tmp_path)
    (b,), (c,) = ref.results, work.results
    assert b.extra["turns"] is True
    diffs = round_differences(b, c)
    assert diffs is not None
    assert np.allclose(diffs, np.log(1.1))
    (tmp_path / "interleave").unlink()
    ref, work = read_kept_rounds(tmp_path)
    assert "turns" not in ref.results[0].extra


_HASHED = """
import os

def test_hash(benchmark):
    with open(os.environ["TRACE"], "a") as f:
        f.write(f"{hash('perfcore')}\\n")
    benchmark.pedantic(lambda: None, rounds=2)
"""


@pytest.mark.slow
def test_both_sides_of_a_round_share_a_hash_seed(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """In turns, REF and the working tree hash strings alike; the next round differently."""
    import subprocess

    from perfcore.runner.rounds import ABRounds, run_ab_rounds

    repo = tmp_path / "repo"
    (repo / "bench").mkdir(parents=True)
    (repo / "bench" / "test_hash.py").write_text(_HASHED)
    for args in (["init", "-q"], ["add", "."], ["commit", "-qm", "one"]):
        subprocess.run(
            ["git", "-c", "user.name=t", "-c", "user.email=t@t", *args],
            cwd=repo,
            check=True,
            capture_output=True,
            timeout=60,
        )
    trace = tmp_path / "trace.txt"
    monkeypatch.setenv("TRACE", str(trace))
    monkeypatch.delenv("PYTHONHASHSEED", raising=False)
    plan = ABRounds(ref="HEAD", rounds=2, bench_args=("-o", "addopts="), hash_seed=11)
    run_ab_rounds(plan, repo)
    hashes = trace.read_text().split()
    assert len(hashes) == 4
    assert hashes[0] == hashes[1], "one seed for both sides of round 0"
    assert hashes[2] == hashes[3], "one seed for both sides of round 1"
    assert hashes[0] != hashes[2], "another seed for the next round"
