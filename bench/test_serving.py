"""The serving path against its ceiling: /predict and /noop on one server, side by side.

``/noop`` reads the body and answers a constant through the same stack (uvicorn,
httptools, uvloop, the same ASGI front), so /predict over /noop is the share of the
stack's capacity the prediction path keeps; the rest is what parsing, the model and
the answer cost. The generator is perfcore's own open-loop one, in this process, on
the same machine as the server, as the SLO is stated.

Capacity is the highest offered rate of a fixed ladder whose corrected p99 stays at or
under the SLO (20 ms) with at least 97% of the offered requests answered, found by
bisection of the ladder (three or four steps of 2 s per endpoint instead of climbing
all ten); both endpoints search the same ladder, alternating at each step, after a short
warm-up at the lowest rate.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from benchutil import Profile, record_samples
from workloads import serving_load

from perfcore.load.openloop import OpenLoopReport
from perfcore.serving.process import ServerProcess, start_server
from perfcore.serving.server import ServerSpec

SLO_MS = 20.0
LADDER = tuple(range(1_000, 10_001, 1_000))
STEP_S = 2.0
WARMUP_S = 0.5
CLOSED_S = 1.5  # one closed-loop leg of the /predict-over-/noop pair
PATHS = ("predict", "noop")


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ServerProcess]:
    """One server (synthetic logistic model, no micro-batching) for the module."""
    work: Path = tmp_path_factory.mktemp("serving")
    with start_server(ServerSpec(model_dir=None, port=0), work) as proc:
        yield proc


def _holds(report: OpenLoopReport, rate: float) -> bool:
    p99_ms = report.corrected.get_value_at_percentile(99) / 1000
    return p99_ms <= SLO_MS and report.ok >= 0.97 * rate * STEP_S


@pytest.mark.once
def test_serving_closed_loop_predict_over_noop(
    benchmark: Any, profile: Profile, server: ServerProcess
) -> None:
    """Closed-loop /predict throughput over /noop's, alternating (the ceiling ratio)."""
    ratios: list[float] = []

    def pair() -> None:
        order = ("predict", "noop") if len(ratios) % 2 == 0 else ("noop", "predict")
        ok = {path: serving_load(f"{server.url}/{path}", None, CLOSED_S).ok for path in order}
        ratios.append(ok["predict"] / max(ok["noop"], 1))

    benchmark.pedantic(pair, rounds=profile.rounds(4, 2), warmup_rounds=0)
    record_samples(benchmark, ratios, unit="ratio", better="higher")
    benchmark.extra_info["load_before"] = os.getloadavg()


def _capacity(url: str) -> dict[str, float]:
    """Each path's capacity on :data:`LADDER`, by bisection, the paths taking turns.

    ``held[path]`` is the index of the highest rate that held (-1: none yet),
    ``failed[path]`` of the lowest that did not (the ladder's length: none yet).
    """
    for path in PATHS:
        serving_load(f"{url}/{path}", LADDER[0], WARMUP_S)
    held = dict.fromkeys(PATHS, -1)
    failed = dict.fromkeys(PATHS, len(LADDER))
    turn = 0
    while any(failed[p] - held[p] > 1 for p in PATHS):
        for path in PATHS if turn % 2 == 0 else PATHS[::-1]:
            if failed[path] - held[path] > 1:
                step = (held[path] + failed[path] + 1) // 2
                rate = LADDER[step]
                if _holds(serving_load(f"{url}/{path}", rate, STEP_S), rate):
                    held[path] = step
                else:
                    failed[path] = step
        turn += 1
    return {path: float(LADDER[held[path]]) if held[path] >= 0 else 0.0 for path in PATHS}


@pytest.mark.once
def test_serving_capacity_at_slo(benchmark: Any, profile: Profile, server: ServerProcess) -> None:
    """Capacity at corrected p99 <= 20 ms, /predict and its /noop ceiling (target 5,000/s)."""
    found: dict[str, list[float]] = {path: [] for path in PATHS}

    def search() -> None:
        for path, value in _capacity(server.url).items():
            found[path].append(value)

    benchmark.pedantic(search, rounds=profile.rounds(1, 1), warmup_rounds=0)
    ratios = [p / n if n else 0.0 for p, n in zip(found["predict"], found["noop"], strict=True)]
    record_samples(benchmark, found["predict"], unit="req/s", better="higher")
    benchmark.extra_info["noop_capacity"] = found["noop"]
    benchmark.extra_info["predict_over_noop"] = ratios
    benchmark.extra_info["load_after"] = os.getloadavg()
