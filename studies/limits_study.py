"""The serving path at its SLO, five runs: ``python -m studies.limits_study``.

For the figures of ``docs/performance.md`` (issue 21). One server (synthetic logistic
model, no micro-batching, uvicorn with httptools and uvloop) on 127.0.0.1, perfcore's
open-loop generator in this process on the same machine, as the SLO is stated. Each
run measures, for /predict and for /noop (the same stack answering a constant: the
ceiling), alternating the order at every step:

1. closed loop, 32 connections, ``--closed-s`` seconds each: requests/s, the ratio, and
   the CPU a request cost the server (user, system) and the generator (psutil's
   counters around each load);
2. capacity: the highest rate of the ladder 1,000, 2,000, ... ``--top`` requests/s
   whose corrected p99 stays at or under 20 ms with at least 97% of the offered
   requests answered, ``--step-s`` seconds a step; a path stops climbing at its first
   failed step.

Bounded: at most ``runs * (2 * closed_s + 2 * top/1000 * step_s)`` seconds of load
(about 3.5 minutes with the defaults, plus start-up). Prints one line per run and
writes ``reports/latest/limits_study.json`` with the load average before and after.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import psutil

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "bench"))

from workloads import serving_load

from perfcore.load.openloop import OpenLoopReport
from perfcore.serving.process import start_server
from perfcore.serving.server import ServerSpec

ROOT = Path(__file__).resolve().parents[1]
SLO_MS = 20.0
PATHS = ("predict", "noop")


def _holds(report: OpenLoopReport, rate: float, seconds: float) -> tuple[bool, float]:
    p99_ms = report.corrected.get_value_at_percentile(99) / 1000
    return p99_ms <= SLO_MS and report.ok >= 0.97 * rate * seconds, p99_ms


def _cpu_s(process: psutil.Process) -> tuple[float, float]:
    times = process.cpu_times()
    return times.user, times.system


def _closed(url: str, server_pid: int, seconds: float, flip: bool) -> dict[str, Any]:
    """Closed-loop rate per path, and the CPU microseconds a request cost each side."""
    server, here = psutil.Process(server_pid), psutil.Process()
    out: dict[str, Any] = {}
    for path in PATHS[::-1] if flip else PATHS:
        (su, ss), (cu, cs) = _cpu_s(server), _cpu_s(here)
        ok = serving_load(f"{url}/{path}", None, seconds).ok
        (su2, ss2), (cu2, cs2) = _cpu_s(server), _cpu_s(here)
        per = 1e6 / max(ok, 1)
        out[path] = {
            "rps": round(ok / seconds),
            "server_user_us": round((su2 - su) * per, 1),
            "server_sys_us": round((ss2 - ss) * per, 1),
            "generator_us": round((cu2 - cu + cs2 - cs) * per, 1),
        }
    return out


def _capacity(url: str, top: int, seconds: float) -> dict[str, Any]:
    best = dict.fromkeys(PATHS, 0)
    p99: dict[str, list[float]] = {path: [] for path in PATHS}
    for step, rate in enumerate(range(1000, top + 1, 1000)):
        for path in PATHS[::-1] if step % 2 else PATHS:
            if best[path] != rate - 1000:  # stopped at an earlier step
                continue
            ok, ms = _holds(serving_load(f"{url}/{path}", rate, seconds), rate, seconds)
            p99[path].append(round(ms, 2))
            if ok:
                best[path] = rate
    return {"capacity": best, "p99_ms_per_step": p99}


def _one_run(url: str, pid: int, args: argparse.Namespace, index: int) -> dict[str, Any]:
    closed = _closed(url, pid, args.closed_s, flip=index % 2 == 1)
    cap = _capacity(url, args.top, args.step_s)
    best = cap["capacity"]
    return {
        "closed": closed,
        "closed_ratio": round(closed["predict"]["rps"] / max(closed["noop"]["rps"], 1), 3),
        **cap,
        "capacity_ratio": round(best["predict"] / best["noop"], 3) if best["noop"] else None,
        "loadavg": os.getloadavg()[0],
    }


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--runs", type=int, default=5)
    ap.add_argument("--closed-s", type=float, default=2.0)
    ap.add_argument("--step-s", type=float, default=2.0)
    ap.add_argument("--top", type=int, default=8000, help="the ladder's last rate")
    args = ap.parse_args()
    if not (1 <= args.runs <= 20 and 0.5 <= args.closed_s <= 10 and 0.5 <= args.step_s <= 10):
        ap.error("runs must lie in 1..20, --closed-s and --step-s in [0.5, 10]")
    if not 1000 <= args.top <= 20_000:
        ap.error("--top must lie in 1000..20000")
    started, load_before = time.monotonic(), os.getloadavg()
    runs: list[dict[str, Any]] = []
    with start_server(ServerSpec(model_dir=None, port=0), Path(tempfile.mkdtemp())) as server:
        serving_load(f"{server.url}/noop", None, 1.0)  # warm-up, not recorded
        for index in range(args.runs):
            runs.append(_one_run(server.url, server.pid, args, index))
            print(f"run {index + 1}: {json.dumps(runs[-1])}", flush=True)
    summary = {
        "median_closed_ratio": statistics.median(r["closed_ratio"] for r in runs),
        "predict_capacity": [r["capacity"]["predict"] for r in runs],
        "noop_capacity": [r["capacity"]["noop"] for r in runs],
        "runs_at_5000": sum(r["capacity"]["predict"] >= 5000 for r in runs),
    }
    out = {
        "load_before": load_before,
        "load_after": os.getloadavg(),
        "cpus": os.cpu_count(),
        "seconds": round(time.monotonic() - started, 1),
        "runs": runs,
        "summary": summary,
    }
    print(json.dumps(summary))
    target = ROOT / "reports" / "latest" / "limits_study.json"
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_text(json.dumps(out, indent=1))
    after = os.getloadavg()[0]
    print(f"wrote {target} ({out['seconds']} s; load {load_before[0]:.1f} -> {after:.1f})")


if __name__ == "__main__":
    main()
