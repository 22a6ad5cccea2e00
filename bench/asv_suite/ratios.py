"""ASV: the ratios users care about, tracked across commits (each measured side by side)."""

from __future__ import annotations

import shutil
import tempfile
from collections.abc import Callable
from pathlib import Path

from perfcore.components.batch import BatchFileProcessor, process_naive
from perfcore.components.cache import LLMCache
from perfcore.components.llm import FakeLLM
from perfcore.components.validator import ParallelValidator

from ._common import median_speedup, workloads


def track_cache_backend_call_reduction() -> float:
    """Share of backend calls saved after warm-up on a repeated-prompt stream (0-1)."""
    stream = workloads.repeated_prompt_stream(3_000, 1_000, seed=0)
    backend = FakeLLM()
    ask = LLMCache(max_entries=512, semantic=True).wrap(backend)
    for prompt in stream[:500]:
        ask(prompt)
    before = backend.stats().calls
    for prompt in stream[500:]:
        ask(prompt)
    return 1.0 - (backend.stats().calls - before) / 2_500


track_cache_backend_call_reduction.unit = "ratio"  # type: ignore[attr-defined]


def track_validator_speedup() -> float:
    """Serial over threads on 8 sleep-bound validators with 8 workers (ideal 8)."""
    checks = [workloads.sleep_validator(0.05) for _ in range(8)]
    serial = ParallelValidator(checks, mode="serial")
    threads = ParallelValidator(checks, mode="threads", max_workers=8)
    return median_speedup(lambda: serial.run(0), lambda: threads.run(0), 6)


track_validator_speedup.unit = "ratio"  # type: ignore[attr-defined]


def track_batch_speedup() -> float:
    """Naive loop over the batch processor on 2,000 small files, durable writes."""
    folder = Path(tempfile.mkdtemp(prefix="perfcore-asv-"))
    try:
        inputs = workloads.small_files(folder / "in", 2_000)
        out = folder / "out"

        def naive() -> None:
            shutil.rmtree(out, ignore_errors=True)
            process_naive(inputs, out, workloads.upper_transform)

        def batched() -> None:
            shutil.rmtree(out, ignore_errors=True)
            BatchFileProcessor(workloads.upper_transform).process(inputs, out)

        return median_speedup(naive, batched, 2)
    finally:
        shutil.rmtree(folder, ignore_errors=True)


track_batch_speedup.unit = "ratio"  # type: ignore[attr-defined]
track_batch_speedup.timeout = 300  # type: ignore[attr-defined]


def track_optimisation_cycle_speedup() -> float:
    """An optimisation cycle with neither cache nor parallel validation over one with both."""
    prompts = workloads.repeated_prompt_stream(150, 60, seed=11)

    def cycle(optimised: bool) -> Callable[[], object]:
        backend = FakeLLM(latency_s=0.002)
        ask = LLMCache(max_entries=512, semantic=True).wrap(backend) if optimised else backend
        validator = ParallelValidator(
            workloads.mixed_validators(), mode="threads" if optimised else "serial", max_workers=8
        )
        return lambda: validator.run([ask(p) for p in prompts])

    neither, both = cycle(False), cycle(True)
    both()  # warm the cache, as the previous cycle of an optimisation loop would
    return median_speedup(neither, both, 4)


track_optimisation_cycle_speedup.unit = "ratio"  # type: ignore[attr-defined]


def track_processes_speedup_cpu_bound() -> float:
    """Serial over the 2-worker process pool on 8 CPU-bound validators (target >= 1.7)."""
    checks = [workloads.cpu_validator] * 8
    serial = ParallelValidator(checks, mode="serial")
    with ParallelValidator(checks, mode="processes", max_workers=2) as pool:
        pool.run(1)
        return median_speedup(lambda: serial.run(7), lambda: pool.run(7), 4)


track_processes_speedup_cpu_bound.unit = "ratio"  # type: ignore[attr-defined]
track_processes_speedup_cpu_bound.timeout = 300  # type: ignore[attr-defined]


def track_serving_predict_over_noop() -> float:
    """Closed-loop /predict throughput over /noop's on one server (the ceiling ratio)."""
    from perfcore.load.openloop import OpenLoopConfig, run_open_loop
    from perfcore.load.orchestrate import _bodies
    from perfcore.serving.process import start_server
    from perfcore.serving.server import ServerSpec

    folder = Path(tempfile.mkdtemp(prefix="perfcore-asv-"))
    try:
        with start_server(ServerSpec(model_dir=None, port=0), folder) as server:
            ratios = []
            for _ in range(3):
                ok = {
                    path: run_open_loop(
                        OpenLoopConfig(
                            url=f"{server.url}/{path}",
                            bodies=_bodies(16, 0),
                            rate=None,
                            duration_s=2.0,
                            connections=32,
                        )
                    ).ok
                    for path in ("predict", "noop")
                }
                ratios.append(ok["predict"] / max(ok["noop"], 1))
        return sorted(ratios)[1]
    finally:
        shutil.rmtree(folder, ignore_errors=True)


track_serving_predict_over_noop.unit = "ratio"  # type: ignore[attr-defined]
track_serving_predict_over_noop.timeout = 120  # type: ignore[attr-defined]
