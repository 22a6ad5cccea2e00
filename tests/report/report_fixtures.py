"""Fakes shaped like the analysis objects, and seeded report data, for tests/report."""

from __future__ import annotations

import statistics
from dataclasses import dataclass

import numpy as np

from perfcore.analysis.claims import ClaimVerdict
from perfcore.report import ReportData, build_report_data
from perfcore.results.claims_file import Claim
from perfcore.results.model import Commit, Machine, Result, ResultSet, RunInfo

XSS = "<script>alert(1)</script>"
MACHINE = Machine(
    id="abc123def456",
    cpu="Test CPU",
    cores=2,
    ram_bytes=8 * 1024**3,
    os="Linux Test",
    python="3.12",
)


@dataclass(frozen=True)
class FakeComparison:
    """Shaped like perfcore.analysis.compare.Comparison."""

    id: str
    unit: str
    better: str
    baseline_samples: tuple[float, ...]
    current_samples: tuple[float, ...]
    verdict: str
    baseline_median: float | None = None
    current_median: float | None = None
    ratio: float | None = None
    ci_low: float | None = None
    ci_high: float | None = None
    p_value: float | None = None
    p_adjusted: float | None = None
    threshold: float | None = 0.05
    mdc: float | None = 0.04


@dataclass(frozen=True)
class FakeSuite:
    """Shaped like SuiteComparison."""

    comparisons: tuple[FakeComparison, ...]
    alpha: float = 0.01
    method: str = "fake-test"
    confidence: float = 0.99

    def counts(self) -> dict[str, int]:
        out: dict[str, int] = {}
        for c in self.comparisons:
            out[c.verdict] = out.get(c.verdict, 0) + 1
        return out


@dataclass(frozen=True)
class FakeDecision:
    """Shaped like GateDecision."""

    passed: bool
    exit_code: int
    reasons: tuple[str, ...] = ()


@dataclass(frozen=True)
class FakeChangePoint:
    """Shaped like a detected change point."""

    index: int
    label: str
    before_mean: float
    after_mean: float
    relative_change: float


def comparison(
    rid: str,
    verdict: str,
    base: float,
    factor: float,
    rng: np.random.Generator,
    n: int = 20,
    unit: str = "s",
) -> FakeComparison:
    """A comparison with seeded samples around ``base`` and ``base * factor``."""
    b = tuple(float(x) for x in rng.normal(base, base * 0.03, n)) if verdict != "new" else ()
    c = (
        tuple(float(x) for x in rng.normal(base * factor, base * 0.03, n))
        if verdict != "missing"
        else ()
    )
    bm = statistics.median(b) if b else None
    cm = statistics.median(c) if c else None
    ratio = cm / bm if bm and cm else None
    return FakeComparison(
        id=rid,
        unit=unit,
        better="lower",
        baseline_samples=b,
        current_samples=c,
        verdict=verdict,
        baseline_median=bm,
        current_median=cm,
        ratio=ratio,
        ci_low=ratio * 0.97 if ratio else None,
        ci_high=ratio * 1.03 if ratio else None,
        p_value=0.0001 if verdict in ("regressed", "improved") else (0.4 if ratio else None),
        p_adjusted=0.001 if verdict in ("regressed", "improved") else (0.9 if ratio else None),
    )


def run_info(commit: str, created: str = "2024-05-01T12:00:00+00:00") -> RunInfo:
    """A run on the fixed test machine."""
    return RunInfo(created=created, machine=MACHINE, commit=Commit(id=commit, branch="main"))


def current_set() -> ResultSet:
    """A current run with training phases and load results (local vs cloud)."""
    results = [
        Result(id=f"training.{m}.{p}", unit="s", better="lower", samples=(s, s * 1.02))
        for m, base in (("logistic", 0.2), ("forest", 1.1))
        for p, s in zip(
            ("data_loading", "preprocessing", "training", "validation"),
            (base * 0.3, base * 0.5, base * 2.0, base * 0.4),
            strict=True,
        )
    ]
    for target, scale in (("local", 1.0), ("cloud", 3.5), ("cloud_cached", 1.6)):
        for pct, mult in (("p50", 1.0), ("p90", 1.8), ("p95", 2.3), ("p99", 4.0), ("p99.9", 7.5)):
            results.append(
                Result(
                    id=f"load.{target}.{pct}",
                    unit="ms",
                    better="lower",
                    samples=(5.0 * scale * mult,),
                )
            )
        results.append(
            Result(id=f"load.{target}.error_rate", unit="%", better="lower", samples=(0.1 * scale,))
        )
        results.append(
            Result(
                id=f"load.{target}.cost_per_1k", unit="USD", better="lower", samples=(0.02 * scale,)
            )
        )
        for users in (1, 4, 16):
            results.append(
                Result(
                    id=f"load.{target}.throughput[users={users}]",
                    unit="req/s",
                    better="higher",
                    samples=(200.0 * users**0.5 / scale,),
                    params={"users": users},
                )
            )
    return ResultSet(run=run_info("c0ffee" * 6), results=tuple(results))


def history_sets(ids: list[str], runs: int, rng: np.random.Generator) -> list[ResultSet]:
    """``runs`` past runs of ``ids`` with a 20% step halfway through."""
    out = []
    for k in range(runs):
        level = 1.0 if k < runs // 2 else 1.2
        results = tuple(
            Result(
                id=rid,
                unit="s",
                better="lower",
                samples=tuple(float(x) for x in rng.normal(level, 0.02, 5)),
            )
            for rid in ids
        )
        out.append(
            ResultSet(
                run=run_info(f"{k:040x}", f"2024-04-{k % 28 + 1:02d}T00:00:00+00:00"),
                results=results,
            )
        )
    return out


def make_data(
    n_extra: int = 0, history_runs: int = 10, passed: bool = False, seed: int = 7
) -> ReportData:
    """A full report: every verdict, an XSS name, history with a step, claims, load."""
    rng = np.random.default_rng(seed)
    comps = [
        comparison("bench.cache.lookup", "regressed", 0.002, 1.25, rng),
        comparison(XSS, "unchanged", 0.01, 1.0, rng),
        comparison("bench.validator.run", "improved", 0.5, 0.8, rng),
        comparison("bench.batch.process", "noisy", 0.1, 1.05, rng),
        comparison("bench.new.thing", "new", 0.1, 1.0, rng),
        comparison("bench.gone.thing", "missing", 0.1, 1.0, rng),
    ]
    comps += [
        comparison(f"bench.synthetic.r{i:03d}", "unchanged", 0.01 * (i + 1), 1.0, rng)
        for i in range(n_extra)
    ]
    suite = FakeSuite(comparisons=tuple(comps))
    decision = (
        FakeDecision(True, 0)
        if passed
        else FakeDecision(False, 1, ("1 result regressed: bench.cache.lookup",))
    )
    ids = [c.id for c in comps]
    history = history_sets(ids, history_runs, rng)
    steps = {"bench.cache.lookup": [FakeChangePoint(history_runs // 2, "f" * 40, 1.0, 1.2, 0.2)]}
    claims = [
        ClaimVerdict(
            Claim(
                "cache-speedup",
                "The LLM cache answers 10x faster than a miss",
                "bench.cache.speedup",
                "x",
                min=10.0,
            ),
            "confirmed",
            12.3,
        ),
        ClaimVerdict(
            Claim("cloud-p99", "Cloud p99 under 50 ms", "load.cloud.p99", "ms", max=50.0),
            "refuted",
            70.0,
            "above the claimed range",
        ),
        ClaimVerdict(
            Claim("gpu", "GPU training is 3x faster", "training.gpu", "x", min=3.0),
            "not measured",
            None,
            "no result 'training.gpu'",
        ),
    ]
    return build_report_data(
        suite,
        current=current_set(),
        decision=decision,
        history=history,
        change_points=steps,
        claims=claims,
        generated="2024-05-01T12:00:00+00:00",
    )
