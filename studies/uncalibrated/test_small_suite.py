"""A small pytest-benchmark suite for the uncalibrated-gate study (not part of perfcore's suite).

Six short workloads whose cost is linear in their size, so ``PERFCORE_STUDY_SLOWDOWN``
(a factor, default 1) scales the work of the benchmarks named in
``PERFCORE_STUDY_SLOWED`` (comma-separated names, default all) by that factor: a
known, injected slowdown for measuring power.
"""

from __future__ import annotations

import hashlib
import os
from collections.abc import Callable
from typing import Any

import numpy as np
import pytest

_FACTOR = float(os.environ.get("PERFCORE_STUDY_SLOWDOWN", "1"))
_SLOWED = {n for n in os.environ.get("PERFCORE_STUDY_SLOWED", "").split(",") if n}


def _size(name: str, base: int) -> int:
    slowed = not _SLOWED or name in _SLOWED
    return round(base * (_FACTOR if slowed else 1.0))


def _sum_range(n: int) -> int:
    return sum(range(n))


def _listcomp(n: int) -> int:
    return len([i * 2 for i in range(n)])


def _dict_fill(n: int) -> int:
    return len({i: i for i in range(n)})


def _join(n: int) -> int:
    return len(",".join(map(str, range(n))))


def _sha256(n: int) -> str:
    return hashlib.sha256(b"x" * n).hexdigest()


_ARRAY = np.random.default_rng(0).random(400_000)


def _numpy_sum(n: int) -> float:
    return float(_ARRAY[:n].sum())


CASES: dict[str, tuple[Callable[[int], object], int]] = {
    "sum_range": (_sum_range, 20_000),
    "listcomp": (_listcomp, 20_000),
    "dict_fill": (_dict_fill, 10_000),
    "join": (_join, 10_000),
    "sha256": (_sha256, 400_000),
    "numpy_sum": (_numpy_sum, 300_000),
}


@pytest.mark.parametrize("name", sorted(CASES))
def test_case(benchmark: Any, name: str) -> None:
    """Time one workload at its (possibly slowed) size."""
    func, base = CASES[name]
    benchmark(func, _size(name, base))
