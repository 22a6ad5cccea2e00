"""The serving path against its ceiling: /predict and /noop on one server, side by side.

``/noop`` reads the body and answers a constant through the same stack (uvicorn,
httptools, uvloop, the same ASGI front), so /predict over /noop is the share of the
stack's capacity the prediction path keeps; the rest is what parsing, the model and
the answer cost. The generator is perfcore's own open-loop one, in this process, on
the same machine as the server, as the SLO is stated.

Capacity is the highest offered rate of a fixed ladder whose corrected p99 stays at or
under the SLO (20 ms) with at least 97% of the offered requests answered; both
endpoints climb the same ladder, alternating at each step.
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
LADDER = (1_000, 2_000, 3_000, 4_000, 5_000, 6_000, 7_000, 8_000)
STEP_S = 3.0


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
        ok = {path: serving_load(f"{server.url}/{path}", None, 2.0).ok for path in order}
        ratios.append(ok["predict"] / max(ok["noop"], 1))

    benchmark.pedantic(pair, rounds=profile.rounds(6, 2), warmup_rounds=0)
    record_samples(benchmark, ratios, unit="ratio", better="higher")
    benchmark.extra_info["load_before"] = os.getloadavg()


@pytest.mark.once
def test_serving_capacity_at_slo(benchmark: Any, profile: Profile, server: ServerProcess) -> None:
    """Capacity at corrected p99 <= 20 ms, /predict and its /noop ceiling (target 5,000/s)."""
    found: dict[str, list[float]] = {"predict": [], "noop": []}

    def climb() -> None:
        best = {"predict": 0.0, "noop": 0.0}
        for rate in LADDER:
            for path in ("predict", "noop") if rate % 2000 else ("noop", "predict"):
                climbing = best[path] == rate - 1_000 or rate == LADDER[0]
                if climbing and _holds(serving_load(f"{server.url}/{path}", rate, STEP_S), rate):
                    best[path] = rate
        for path, value in best.items():
            found[path].append(value)

    benchmark.pedantic(climb, rounds=profile.rounds(1, 1), warmup_rounds=0)
    ratios = [p / n if n else 0.0 for p, n in zip(found["predict"], found["noop"], strict=True)]
    record_samples(benchmark, found["predict"], unit="req/s", better="higher")
    benchmark.extra_info["noop_capacity"] = found["noop"]
    benchmark.extra_info["predict_over_noop"] = ratios
    benchmark.extra_info["load_after"] = os.getloadavg()
