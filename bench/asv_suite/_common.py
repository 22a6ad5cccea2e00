"""Shared workloads for the ASV suite: the pytest-benchmark suite's own ``bench/workloads.py``.

ASV imports this folder as a package of its own, so the workloads module is
loaded from its file path (no change to ``sys.path``): both suites measure the
same work.
"""

from __future__ import annotations

import importlib.util
import sys
import time
from collections.abc import Callable
from pathlib import Path
from types import ModuleType
from typing import Any

_NAME = "perfcore_bench_workloads"


def _load_workloads() -> ModuleType:
    if _NAME in sys.modules:
        return sys.modules[_NAME]
    path = Path(__file__).resolve().parents[1] / "workloads.py"
    spec = importlib.util.spec_from_file_location(_NAME, path)
    if spec is None or spec.loader is None:
        raise ImportError(f"cannot load the shared workloads from {path}")
    module = importlib.util.module_from_spec(spec)
    sys.modules[_NAME] = module
    spec.loader.exec_module(module)
    return module


workloads = _load_workloads()


def timed(fn: Callable[[], Any]) -> float:
    """Seconds one call of ``fn`` takes."""
    start = time.perf_counter()
    fn()
    return time.perf_counter() - start


def median_speedup(slow: Callable[[], Any], fast: Callable[[], Any], pairs: int) -> float:
    """Median of slow/fast over ``pairs`` rounds, alternating which side runs first."""
    ratios = []
    for i in range(pairs):
        if i % 2 == 0:
            a = timed(slow)
            b = timed(fast)
        else:
            b = timed(fast)
            a = timed(slow)
        ratios.append(a / b)
    ratios.sort()
    return ratios[len(ratios) // 2]
