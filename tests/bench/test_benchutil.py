"""The benchmark helpers: side-by-side ratios and per-operation samples."""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path
from types import ModuleType, SimpleNamespace

import pytest

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def benchutil() -> ModuleType:
    """bench/benchutil.py, loaded from its path (bench/ is not a package)."""
    spec = importlib.util.spec_from_file_location("perfcore_benchutil", ROOT / "bench/benchutil.py")
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # dataclasses resolve annotations through sys.modules
    spec.loader.exec_module(module)
    return module


def test_interleaved_ratios_alternate_order(benchutil: ModuleType) -> None:
    """Sides alternate AB, BA, AB... and each ratio pairs the right slow and fast times."""
    order: list[str] = []
    ratios, slow, fast = benchutil.interleaved_ratios(
        lambda: order.append("slow"), lambda: order.append("fast"), 3
    )
    assert order == ["slow", "fast", "fast", "slow", "slow", "fast"]
    assert len(ratios) == len(slow) == len(fast) == 3
    assert all(r == pytest.approx(s / f) for r, s, f in zip(ratios, slow, fast, strict=True))


def test_record_per_op_divides_round_times(benchutil: ModuleType) -> None:
    """Per-op samples are round times divided by the operations per round."""
    bench = SimpleNamespace(
        stats=SimpleNamespace(stats=SimpleNamespace(data=[2.0, 4.0])), extra_info={}
    )
    benchutil.record_per_op(bench, 1000)
    assert bench.extra_info["perfcore_samples"] == [0.002, 0.004]
    assert (bench.extra_info["perfcore_unit"], bench.extra_info["perfcore_better"]) == (
        "s",
        "lower",
    )


def test_quick_profile_lowers_rounds_only(benchutil: ModuleType) -> None:
    """Quick mode takes the quick round count and at most one warm-up round."""
    full, quick = benchutil.Profile(quick=False), benchutil.Profile(quick=True)
    assert (full.rounds(20, 3), quick.rounds(20, 3)) == (20, 3)
    assert (full.warmup(2), quick.warmup(2)) == (2, 1)


def test_passes_share_the_full_rounds(benchutil: ModuleType) -> None:
    """N passes time ceil(full / N) rounds each, at least one; quick mode is untouched."""
    three = benchutil.Profile(quick=False, passes=3)
    assert (three.rounds(20), three.rounds(30), three.rounds(2)) == (7, 10, 1)
    assert benchutil.Profile(quick=True, passes=3).rounds(20, 3) == 3


def test_record_per_op_ignores_disabled_benchmarks(benchutil: ModuleType) -> None:
    """Under --benchmark-disable nothing was timed, so nothing is recorded."""
    bench = SimpleNamespace(stats=None, extra_info={})
    benchutil.record_per_op(bench, 1000)
    assert bench.extra_info == {}
