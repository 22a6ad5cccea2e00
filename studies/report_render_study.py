"""How long the report takes to render at scale, and how big the HTML gets.

Renders 500 synthetic results (20 samples a side, every verdict represented) with a
50-run history per result and a change point in one series in ten, then prints the
time of each stage and the size of index.html. Targets: render (build_report_data +
render_report) <= 2 s, index.html <= 5 MB.

    .venv/bin/python -m studies.report_render_study [--results 500] [--runs 50] [--repeat 3]

Not a timed test: the figures depend on the machine; read them, don't assert them.
"""

from __future__ import annotations

import argparse
import tempfile
import time
from pathlib import Path

import numpy as np

from perfcore.analysis.compare import compare_suites, decide_gate
from perfcore.report import build_report_data, render_report
from perfcore.report.build import history_change_points
from perfcore.results.model import Commit, Machine, Result, ResultSet, RunInfo

MACHINE = Machine(
    id="study", cpu="synthetic", cores=2, ram_bytes=8 << 30, os="Linux", python="3.11"
)


def _run(commit: int, created: str, results: list[Result]) -> ResultSet:
    info = RunInfo(created=created, machine=MACHINE, commit=Commit(id=f"{commit:040x}"))
    return ResultSet(run=info, results=tuple(results))


def _side(rng: np.random.Generator, n: int, shift: float) -> list[Result]:
    out = []
    for i in range(n):
        base = 0.001 * (1 + i % 50)
        factor = shift if i % 25 == 0 else 1.0  # a 4% slice regresses
        out.append(
            Result(
                id=f"bench.group{i // 50}.case{i:03d}",
                unit="s",
                better="lower",
                samples=tuple(rng.normal(base * factor, base * 0.03, 20).tolist()),
            )
        )
    return out


def _history(rng: np.random.Generator, n: int, runs: int) -> list[ResultSet]:
    out = []
    for k in range(runs):
        results = []
        for i in range(n):
            base = 0.001 * (1 + i % 50) * (1.2 if i % 10 == 0 and k >= runs // 2 else 1.0)
            results.append(
                Result(
                    id=f"bench.group{i // 50}.case{i:03d}",
                    unit="s",
                    better="lower",
                    samples=tuple(rng.normal(base, base * 0.03, 5).tolist()),
                )
            )
        created = f"2024-01-01T00:{k // 60:02d}:{k % 60:02d}+00:00"
        out.append(_run(k, created, results))
    return out


def main() -> None:
    """Print each stage's time and the report's size."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--results", type=int, default=500)
    parser.add_argument("--runs", type=int, default=50)
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    rng = np.random.default_rng(0)
    baseline = _run(10**6, "2024-02-01T00:00:00+00:00", _side(rng, args.results, 1.0))
    current = _run(10**6 + 1, "2024-02-02T00:00:00+00:00", _side(rng, args.results, 1.3))
    history = _history(rng, args.results, args.runs)

    t0 = time.perf_counter()
    suite = compare_suites(baseline, current)
    decision = decide_gate(suite, allow_missing=False)
    t1 = time.perf_counter()
    steps = history_change_points(
        history, [c.id for c in suite.comparisons], rng=np.random.default_rng(0)
    )
    t2 = time.perf_counter()
    print(f"compare_suites + decide_gate ({args.results} results): {t1 - t0:.3f} s")
    print(
        f"change points ({args.results} series x {args.runs} runs, {len(steps)} with steps): "
        f"{t2 - t1:.3f} s"
    )
    with tempfile.TemporaryDirectory() as tmp:
        times = []
        for _ in range(args.repeat):
            start = time.perf_counter()
            data = build_report_data(
                suite,
                current=current,
                baseline=baseline,
                decision=decision,
                history=history,
                change_points=steps,
            )
            paths = render_report(data, Path(tmp))
            times.append(time.perf_counter() - start)
        size = paths.html.stat().st_size
        print(
            f"render (build_report_data + render_report), best of {args.repeat}: "
            f"{min(times):.3f} s (all: {', '.join(f'{t:.3f}' for t in times)})  target <= 2 s"
        )
        print(f"index.html: {size / 1e6:.2f} MB ({size} bytes)  target <= 5 MB")
        others = {p.name: p.stat().st_size for p in (paths.markdown, paths.verdict, paths.junit)}
        print("other files: " + ", ".join(f"{k} {v / 1e3:.0f} kB" for k, v in others.items()))


if __name__ == "__main__":
    main()
