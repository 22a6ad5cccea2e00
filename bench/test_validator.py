"""ParallelValidator: threads against serial on sleep-bound checks, processes on CPU-bound ones.

The speedups are measured side by side (serial and parallel alternate inside each
round), so drift of the shared machine hits both alike. Targets (see docs/benchmarks.md):
threads reach >= 0.9 of the ideal 8x on 8 sleep-bound validators with 8 workers, and
processes reach >= 1.7x on CPU-bound validators on 2 cores. The ceiling test measures
what two processes get from this machine at all (the same work in two calls), so a
shortfall can be told apart: the pool's transport or the machine.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from typing import Any

import pytest
from benchutil import Profile, collected, interleaved_ratios, record_samples
from workloads import cpu_validator, cpu_validators_4, sleep_validator

from perfcore.components.validator import ParallelValidator, ValidationReport

SLEEP_S = 0.05
VALIDATORS = 8
WORKERS = 8
CPU_VALIDATORS = 8


def _sleepers(mode: str) -> ParallelValidator:
    return ParallelValidator(
        [sleep_validator(SLEEP_S) for _ in range(VALIDATORS)],
        mode=mode,  # type: ignore[arg-type]
        max_workers=WORKERS,
    )


@pytest.mark.parametrize("mode", ["serial", "threads"])
def test_sleep_bound(benchmark: Any, profile: Profile, mode: str) -> None:
    """Time to run 8 validators that each wait 50 ms, serially or on 8 threads."""
    validator = _sleepers(mode)
    report = benchmark.pedantic(
        validator.run, args=(0,), rounds=profile.rounds(8, 2), warmup_rounds=profile.warmup(1)
    )
    assert report.ok


@pytest.mark.once
def test_threads_speedup_sleep_bound(benchmark: Any, profile: Profile) -> None:
    """Speedup serial/threads on the sleep-bound set, measured side by side (ideal 8)."""
    serial, threads = _sleepers("serial"), _sleepers("threads")
    ratios: list[float] = []

    def pair() -> None:
        got, _, _ = interleaved_ratios(lambda: serial.run(0), lambda: threads.run(0), 2)
        ratios.extend(got)

    benchmark.pedantic(pair, rounds=profile.rounds(5, 1), warmup_rounds=0)
    record_samples(benchmark, ratios, unit="ratio", better="higher")
    benchmark.extra_info["ideal"] = float(min(VALIDATORS, WORKERS))


@pytest.fixture(scope="module")
def cpu_pools() -> Iterator[dict[str, ParallelValidator]]:
    """Serial and process-pool validators over the CPU-bound set; pools closed at the end."""
    checks = [cpu_validator] * CPU_VALIDATORS
    pools = {
        "serial": ParallelValidator(checks, mode="serial"),
        "processes": ParallelValidator(checks, mode="processes", max_workers=os.cpu_count() or 1),
        # The same work as two calls, one per worker: two processes computing with
        # as little transport as there can be, the machine's own ceiling.
        "bare": ParallelValidator([cpu_validators_4] * 2, mode="processes", max_workers=2),
    }
    pools["processes"].run(1)  # start the workers outside any timing
    pools["bare"].run(1)
    yield pools
    for pool in pools.values():
        pool.close()


@pytest.mark.parametrize("mode", ["serial", "processes"])
def test_cpu_bound(
    benchmark: Any, profile: Profile, cpu_pools: dict[str, ParallelValidator], mode: str
) -> None:
    """Time to run 8 CPU-bound validators serially or on one process per core."""
    report = benchmark.pedantic(
        cpu_pools[mode].run,
        args=(7,),
        rounds=profile.rounds(10, 2),
        warmup_rounds=profile.warmup(1),
    )
    assert report.ok


@pytest.mark.once
def test_processes_speedup_cpu_bound(
    benchmark: Any, profile: Profile, cpu_pools: dict[str, ParallelValidator]
) -> None:
    """Speedup serial/processes on the CPU-bound set, side by side (ideal: the core count)."""
    serial, processes = cpu_pools["serial"], cpu_pools["processes"]
    ratios: list[float] = []
    # The speedup's two factors (studies/pool_study.py): how much slower a call runs in
    # the pool than alone, and the share of workers * wall time the workers were busy.
    per_call: list[float] = []
    busy: list[float] = []

    def pair() -> None:
        reports: dict[str, ValidationReport] = {}
        got, _, t_pool = interleaved_ratios(
            lambda: reports.setdefault("serial", serial.run(7)),
            lambda: reports.setdefault("pool", processes.run(7)),
            1,
        )
        ratios.extend(got)
        pooled = [r.elapsed_s for r in reports["pool"].results]
        per_call.append(_mean_call(reports["serial"]) / _mean_call(reports["pool"]))
        busy.append(sum(pooled) / (processes.max_workers * t_pool[0]))

    benchmark.pedantic(pair, setup=collected(), rounds=profile.rounds(10, 1), warmup_rounds=0)
    record_samples(benchmark, ratios, unit="ratio", better="higher")
    benchmark.extra_info["ideal"] = float(os.cpu_count() or 1)
    benchmark.extra_info["serial_call_over_pool_call"] = per_call
    benchmark.extra_info["pool_busy_share"] = busy


def _mean_call(report: ValidationReport) -> float:
    return sum(r.elapsed_s for r in report.results) / len(report.results)


@pytest.mark.once
def test_processes_ceiling_cpu_bound(
    benchmark: Any, profile: Profile, cpu_pools: dict[str, ParallelValidator]
) -> None:
    """Serial over two bare worker processes doing the same work: what 2 cores give here.

    Measured alongside the pool (serial, pool, bare in turn, order rotating), so the
    pool's efficiency (its speedup over this ceiling) is in ``extra_info``.
    """
    if os.cpu_count() != 2:
        pytest.skip("the bare ceiling splits the work in two: a 2-core measure")
    serial, pool, bare = cpu_pools["serial"], cpu_pools["processes"], cpu_pools["bare"]
    ceiling: list[float] = []
    efficiency: list[float] = []

    def triple() -> None:
        got, t_serial, _ = interleaved_ratios(lambda: serial.run(7), lambda: bare.run(7), 1)
        _, _, t_pool = interleaved_ratios(lambda: bare.run(7), lambda: pool.run(7), 1)
        ceiling.extend(got)
        efficiency.append((t_serial[0] / t_pool[0]) / got[0])

    benchmark.pedantic(triple, setup=collected(), rounds=profile.rounds(5, 1), warmup_rounds=0)
    record_samples(benchmark, ceiling, unit="ratio", better="higher")
    benchmark.extra_info["pool_speedup_over_ceiling"] = efficiency
