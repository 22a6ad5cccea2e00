"""studies.gate_sequential and gate_sequential_replay: the sequential rule simulated, replayed."""

from pathlib import Path

import numpy as np
import pytest

from perfcore.analysis.sequential import SequentialDesign
from studies import gate_runs, gate_sequential, gate_sequential_replay

SUITE = gate_sequential.Suite(
    ids=("a", "b", "c", "d"),
    sd=np.array([0.01, 0.02, 0.03, 0.04]),
    prior_df=np.full(4, 40.0),
    thresholds=np.full(4, 0.05),
)


def test_simulated_no_change_gates_rarely_alarm_and_stop_early() -> None:
    """No-change gates: few alarms, and the quietest result stops at the first look."""
    design = SequentialDesign(alpha=0.01, family=4)
    rng = np.random.default_rng(1)
    played = gate_sequential.play(SUITE, np.zeros(4), rng, gates=2000, alpha=0.01, design=design)
    assert played.regressed.any(axis=1).mean() <= 0.02
    assert np.median(played.rounds[:, 0]) == 2


def test_simulated_large_slowdown_is_caught() -> None:
    """A 30% slowdown of one result is confirmed in nearly every simulated gate."""
    design = SequentialDesign(alpha=0.01, family=4)
    rng = np.random.default_rng(2)
    shift = np.array([0.0, np.log(1.3), 0.0, 0.0])
    played = gate_sequential.play(SUITE, shift, rng, gates=500, alpha=0.01, design=design)
    assert played.regressed[:, 1].mean() >= 0.95
    assert played.regressed[:, [0, 2, 3]].sum() <= 5


def test_fixed_rule_runs_every_result_every_round() -> None:
    """Without a design every result takes the fixed five rounds."""
    rng = np.random.default_rng(3)
    played = gate_sequential.play(SUITE, np.zeros(4), rng, gates=10, alpha=0.01, design=None)
    assert (played.rounds == 5).all()


def _kept(tmp_path: Path, gates: int, rounds: int) -> list[str]:
    runs = gate_runs.synthetic_runs(2 * gates * rounds, seed=5)
    dirs = []
    for g in range(gates):
        folder = tmp_path / f"gate-{g}"
        folder.mkdir()
        (folder / "interleave").write_text("rounds\n")
        for i in range(rounds):
            runs[2 * (g * rounds + i)].save(folder / f"A-{i:02d}.json")
            runs[2 * (g * rounds + i) + 1].save(folder / f"B-{i:02d}.json")
        dirs.append(str(folder))
    return dirs


def test_replay_decides_every_result_of_kept_gates(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """Kept A/A gates replay to a decision (or the cap) for every result, counted."""
    dirs = _kept(tmp_path, gates=3, rounds=4)
    assert gate_sequential_replay.main([*dirs, "--max-rounds", "4", "--fresh", "2"]) == 0
    out = capsys.readouterr().out
    assert "3 kept A/A gates, 8 benchmarks" in out
    counts = out.split("rounds needed (")[1].split(")")[0]
    assert sum(int(part.split(": ")[1]) for part in counts.split(", ")) == 3 * 8
