"""Adapting analysis objects into the view model, and picking sections out of results."""

from __future__ import annotations

import math
from dataclasses import replace
from pathlib import Path

import numpy as np
from report_fixtures import FakeDecision, FakeSuite, comparison, current_set, history_sets, run_info

from perfcore.analysis.comparison import VERDICTS
from perfcore.analysis.judge import judge
from perfcore.report import build_report_data, render_report
from perfcore.report.build import history_change_points
from perfcore.report.numbers import fmt_p, fmt_value
from perfcore.report.sections import load_view, training_phases
from perfcore.results.model import Result, ResultSet


def _results(level: float, rng: np.random.Generator, ids: list[str]) -> tuple[Result, ...]:
    return tuple(
        Result(
            id=i,
            unit="s",
            better="lower",
            samples=tuple(float(x) for x in rng.normal(level * (k + 1), 0.001, 15)),
        )
        for k, i in enumerate(ids)
    )


def test_real_comparison_renders(tmp_path: Path) -> None:
    """A real judge() result (suite and decision) becomes a report."""
    rng = np.random.default_rng(3)
    ids = ["bench.a", "bench.b", "bench.c"]
    base = ResultSet(run=run_info("a" * 40), results=_results(0.1, rng, ids))
    curr_results = list(_results(0.1, rng, ids[:2]))
    curr_results[0] = replace(
        curr_results[0], samples=tuple(s * 1.5 for s in curr_results[0].samples)
    )
    curr = ResultSet(run=run_info("b" * 40), results=tuple(curr_results))
    suite, decision = judge(base, curr)
    data = build_report_data(suite, current=curr, baseline=base, decision=decision)
    assert [r.id for r in data.rows][:2] == ["bench.a", "bench.c"]
    assert data.rows[0].verdict == "regressed"
    assert data.gate.exit_code == 1
    assert data.gate.ci_label == f"{suite.confidence:.0%} CI"
    assert dict(data.environment)["baseline commit"].startswith("aaaaaaaaaaaa")
    assert render_report(data, tmp_path).html.is_file()


def test_rows_ordered_by_attention_and_nan_dropped() -> None:
    """Rows come regressed first, then by id; non-finite numbers become None."""
    rng = np.random.default_rng(4)
    comps = (
        comparison("z.unchanged", "unchanged", 1.0, 1.0, rng),
        replace(comparison("y.regressed", "regressed", 1.0, 1.3, rng), p_value=math.nan),
        comparison("a.new", "new", 1.0, 1.0, rng),
    )
    data = build_report_data(
        FakeSuite(comps), current=current_set(), decision=FakeDecision(False, 1)
    )
    assert [r.verdict for r in data.rows] == ["regressed", "new", "unchanged"]
    assert data.rows[0].p_value is None
    assert set(data.gate.counts) == set(VERDICTS)


def test_training_phases_in_pipeline_order() -> None:
    """Phases are grouped by model type and ordered as the pipeline runs them."""
    phases = training_phases(current_set().results)
    logistic = [p.phase for p in phases if p.model_type == "logistic"]
    assert logistic == ["data_loading", "preprocessing", "training", "validation"]


def test_load_view_groups_metrics_and_prefers_full_spectrum() -> None:
    """Percentiles form the spectrum (a recorded full spectrum wins); sweeps keep params."""
    extra = Result(
        id="load.local.p50",
        unit="ms",
        better="lower",
        samples=(5.0,),
        extra={"spectrum": [[0, 1.0], [50, 5.0], [99.99, 80.0]]},
    )
    results = [r for r in current_set().results if r.id != "load.local.p50"] + [extra]
    view = load_view(results)
    local = [(p, v) for t, p, v in view.spectrum if t == "local"]
    assert local == [(0.0, 1.0), (50.0, 5.0), (99.99, 80.0)]
    assert {p.params["users"] for p in view.throughput} == {1, 4, 16}
    assert {p.target for p in view.costs} == {"local", "cloud", "cloud_cached"}
    assert view.latency_unit == "ms"


def test_history_change_points_find_the_step() -> None:
    """A 20% step halfway through 20 runs is found and labelled with its commit."""
    runs = history_sets(["bench.x"], 20, np.random.default_rng(5))
    found = history_change_points(runs, ["bench.x"], rng=np.random.default_rng(0))
    (step,) = found["bench.x"]
    assert step.index == 10
    assert step.label == f"{10:040x}"
    assert 0.15 < step.relative_change < 0.25


def test_history_series_carry_change_points() -> None:
    """History series use positions in the series, with change points attached."""
    rng = np.random.default_rng(6)
    runs = history_sets(["bench.x"], 12, rng)
    steps = history_change_points(runs, ["bench.x"], rng=np.random.default_rng(0))
    suite = FakeSuite((comparison("bench.x", "unchanged", 1.0, 1.0, rng),))
    data = build_report_data(
        suite,
        current=current_set(),
        history=runs,
        change_points=steps,
        decision=FakeDecision(True, 0),
    )
    (series,) = data.history
    assert [p.index for p in series.points] == list(range(12))
    assert [c.index for c in series.change_points] == [6]


def test_value_formatting_scales_units() -> None:
    """Times and bytes are shown in a readable scale; p-values keep their precision."""
    assert fmt_value(0.00123, "s") == "1.23 ms"
    assert fmt_value(2.5e-7, "s") == "250 ns"
    assert fmt_value(3 * 1024**2, "bytes") == "3 MiB"
    assert fmt_value(None, "s") == "—"
    assert fmt_value(512.0, "req/s") == "512 req/s"
    assert fmt_p(1e-9) == "<1e-6"
    assert fmt_p(0.5) == "0.500"
