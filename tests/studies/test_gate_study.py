"""studies.gate_study, gate_rules and gate_runs: the reference rules and the honest noise model."""

from pathlib import Path

import numpy as np
import pytest
from builders import result, result_set

from perfcore.analysis import compare
from perfcore.results.model import ResultSet
from studies import gate_rules, gate_runs, gate_study

CTX = gate_rules.Context()


def _run(**medians: float) -> ResultSet:
    results = tuple(result(k, (v * 0.99, v, v * 1.01)) for k, v in medians.items())
    return result_set(*results, machine_id="m")


def test_pytest_benchmark_rule_is_median_five_percent() -> None:
    """median:5% fails at 5.1% slower, not at 4.9% slower nor when faster."""
    base = _run(a=1.0, b=1.0, c=1.0)
    curr = _run(a=1.051, b=1.049, c=0.5)
    assert gate_rules.rule_pytest_benchmark(
        CTX, base, curr, ["a", "b", "c"], gate_rules.Noise()
    ) == {"a"}


def test_asv_rule_needs_the_factor() -> None:
    """asv's rule ignores an 8% slowdown (below 1.1x) however clear, flags 50%."""
    base = ResultSet(
        run=_run(a=1).run,
        results=tuple(result(k, tuple(1 + 0.001 * i for i in range(20))) for k in ("a", "b")),
    )
    curr = gate_rules.slowed(gate_rules.slowed(base, "a", 0.08), "b", 0.5)
    assert gate_rules.rule_asv(CTX, base, curr, ["a", "b"], gate_rules.Noise()) == {"b"}


def test_noise_is_learnt_without_the_judged_runs() -> None:
    """The leave-out noise model does not change when the judged runs change."""
    logs = np.log(np.array([[1.0], [1.0], [1.1], [0.9], [1.05]]))
    honest = gate_rules.leave_out(logs, (0, 1), ["a"])
    logs[0, 0] = logs[1, 0] = np.log(50.0)  # wild values in the judged runs
    assert gate_rules.leave_out(logs, (0, 1), ["a"]) == honest
    assert honest.runs == 3


def test_baseline_draws_never_judge_a_run_against_itself() -> None:
    """In the production layout the current run is never one of the baseline's runs."""
    draws = gate_runs.baseline_draws(10, 6, 40, np.random.default_rng(0))
    assert len(draws) == 40
    for base, (current,) in draws:
        assert len(base) == 6
        assert current not in base


def test_every_ordered_pair_for_one_run_a_side() -> None:
    """K runs give K(K-1) ordered pairs; disjoint draws never share a run."""
    assert len(gate_runs.side_pairs(15, 1, 0, np.random.default_rng(0))) == 210
    for a, b in gate_runs.side_pairs(8, 3, 20, np.random.default_rng(0)):
        assert not set(a) & set(b)


def test_synthetic_study_renders_a_table(capsys: pytest.CaptureFixture[str]) -> None:
    """The script runs end to end on synthetic runs and prints the two tables."""
    assert gate_study.main(["--synthetic", "4", "--slowdowns", "0.1,0.5"]) == 0
    out = capsys.readouterr().out
    assert "| asv 1.1x p<0.002 |" in out
    assert "Smallest slowdown" in out


def test_fresh_rounds_study_judges_both_stages(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """--interleaved --fresh: three kept gate runs make six (first, fresh) pairs, judged
    with and without the second stage, and the tables name both."""
    runs = gate_runs.synthetic_runs(18, seed=3)
    for g in range(3):
        folder = tmp_path / f"gate-{g}"
        folder.mkdir()
        (folder / "interleave").write_text("rounds\n")
        for i in range(3):
            runs[6 * g + 2 * i].save(folder / f"A-{i:02d}.json")
            runs[6 * g + 2 * i + 1].save(folder / f"B-{i:02d}.json")
    dirs = [str(tmp_path / f"gate-{g}") for g in range(3)]
    assert gate_study.main([*dirs, "--interleaved", "3", "--fresh", "3", "--slowdowns", "0.5"]) == 0
    out = capsys.readouterr().out
    assert "6 A/A gates" in out
    assert "| perfcore paired + fresh rounds (gate --against now) |" in out
    assert "| perfcore paired, learnt prior, first rounds alone |" in out


def test_fresh_spread_compares_fresh_rounds_with_the_whole_suite(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """--fresh-spread pools each re-measured benchmark's spread of both kinds of rounds."""
    runs = gate_runs.synthetic_runs(10, seed=4)
    folder = tmp_path / "gate"
    folder.mkdir()
    (folder / "interleave").write_text("rounds\n")
    picked = {runs[0].results[0].id}
    for i in range(3):
        runs[2 * i].save(folder / f"A-{i:02d}.json")
        runs[2 * i + 1].save(folder / f"B-{i:02d}.json")
    for i in range(2):
        runs[6 + 2 * i].only(picked).save(folder / f"A-c{i:02d}.json")
        runs[7 + 2 * i].only(picked).save(folder / f"B-c{i:02d}.json")
    assert gate_study.main([str(folder), str(tmp_path / "none"), "--fresh-spread"]) == 0
    rows = [line for line in capsys.readouterr().out.splitlines() if line.startswith("| synth")]
    assert len(rows) == 1
    assert "(2 df)" in rows[0]
    assert "(1 df)" in rows[0]


def test_without_u_patches_nothing(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """--without-u reaches the rule through an option: perfcore's functions are unchanged."""
    before = dict(vars(compare))
    runs = gate_runs.synthetic_runs(12, seed=3)
    for g in range(2):
        folder = tmp_path / f"gate-{g}"
        folder.mkdir()
        (folder / "interleave").write_text("rounds\n")
        for i in range(3):
            runs[6 * g + 2 * i].save(folder / f"A-{i:02d}.json")
            runs[6 * g + 2 * i + 1].save(folder / f"B-{i:02d}.json")
    dirs = [str(tmp_path / f"gate-{g}") for g in range(2)]
    assert (
        gate_study.main(
            [*dirs, "--interleaved", "3", "--fresh", "3", "--without-u", "--slowdowns", "0.5"]
        )
        == 0
    )
    assert ", U left out |" in capsys.readouterr().out
    assert dict(vars(compare)) == before
