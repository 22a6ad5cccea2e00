"""Builders of results, runs and machines shared by the tests (exposed by tests/conftest.py).

One place for the small fixtures every judging test needs, so a change to the result
model is made once. The numbers are arbitrary but fixed: a test that needs a specific
machine, date or commit passes it.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

from perfcore.results.model import Commit, Machine, Result, ResultSet, RunInfo

__all__ = ["CREATED", "machine", "noisy", "result", "result_set", "run_info"]

CREATED = "2026-01-01T00:00:00+00:00"


def machine(machine_id: str = "m1", cpu: str = "cpu") -> Machine:
    """A two-core test machine named ``machine_id``."""
    return Machine(id=machine_id, cpu=cpu, cores=2, ram_bytes=1, os="linux", python="3.11")


def run_info(machine_id: str = "m1", created: str = CREATED, commit: str = "") -> RunInfo:
    """The run header of a test run on ``machine_id``."""
    return RunInfo(created=created, machine=machine(machine_id), commit=Commit(id=commit))


def result(
    rid: str,
    samples: Sequence[float] | np.ndarray,
    *,
    unit: str = "s",
    better: str = "lower",
    **extra: Any,
) -> Result:
    """One result of ``samples`` (a duration, lower is better, unless told)."""
    return Result(
        id=rid,
        unit=unit,
        better=better,  # type: ignore[arg-type]
        samples=tuple(float(s) for s in samples),
        extra=extra,
    )


def result_set(
    *results: Result, machine_id: str = "m1", created: str = CREATED, commit: str = ""
) -> ResultSet:
    """A run of ``results`` on the test machine ``machine_id``."""
    return ResultSet(run=run_info(machine_id, created, commit), results=results)


def noisy(
    median: float, rng: np.random.Generator | int, n: int = 40, sd: float = 0.01
) -> tuple[float, ...]:
    """``n`` log-normal samples around ``median``, drawn from ``rng`` (or a new generator
    seeded with it: the same every run)."""
    gen = rng if isinstance(rng, np.random.Generator) else np.random.default_rng(rng)
    return tuple(float(v) for v in median * np.exp(gen.normal(0, sd, n)))
