"""The figures of docs/serving-and-load.md, re-runnable: ``python -m studies.load_study``.

Measures, on this machine (``--pin``: server on CPU 0, load generators on CPU 1;
other users of the machine still add noise, so each figure is the median of
``--repeats`` runs):

1. maximum single-row throughput: wrk vs perfcore's generator (closed loop) vs Locust,
   at the same concurrency; the ratio perfcore/wrk and Locust/wrk;
2. open loop at a rate below capacity: achieved rate and corrected p99;
3. micro-batching: closed-loop throughput with and without it;
4. a 1 s stall: open-loop corrected p99 vs uncorrected p99 vs Locust's closed-loop p99.

Needs ``wrk`` (Debian: ``apt-get install -y wrk``); without it the wrk rows are skipped.
Writes ``reports/latest/load_study.json``.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import shutil
import statistics
import subprocess
import tempfile
from collections.abc import Callable
from functools import partial
from pathlib import Path
from typing import Any

import httpx

from perfcore.load.openloop import OpenLoopConfig, run_open_loop
from perfcore.load.orchestrate import _bodies
from perfcore.load.results import percentiles_from_buckets
from perfcore.load.runner import LocustRun, run_locust
from perfcore.serving.app import ServerConfig
from perfcore.serving.model import ensure_model
from perfcore.serving.process import ServerProcess, start_server
from perfcore.serving.server import ServerSpec

ROOT = Path(__file__).resolve().parents[1]
LUA = Path(__file__).with_name("load_study.lua")  # wrk's request script
# One measurement or summary, JSON-ready (figures keyed by name).
Figures = dict[str, Any]


def _wrk(
    url: str, connections: int, seconds: int, n_features: int, work: Path, *, pin: bool
) -> Figures:
    body = json.dumps({"features": [0.1] * n_features})
    script = work / "predict.lua"
    script.write_text(
        LUA.read_text().replace(LUA.read_text().splitlines()[-1], f"wrk.body = '{body}'")
    )
    taskset = ["taskset", "-c", "1"] if pin else []
    out = subprocess.run(
        [
            *taskset,
            "wrk",
            "-t1",
            f"-c{connections}",
            f"-d{seconds}s",
            "--latency",
            "-s",
            str(script),
            f"{url}/predict",
        ],
        capture_output=True,
        text=True,
        timeout=seconds + 30,
        check=True,
    ).stdout
    found = re.search(r"Requests/sec:\s+([\d.]+)", out)
    if found is None:
        raise RuntimeError(f"wrk printed no request rate:\n{out}")
    rps = float(found.group(1))
    non2xx = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
    return {"rps": rps, "non_2xx": int(non2xx.group(1)) if non2xx else 0}


def _perfcore(
    url: str, n_features: int, *, rate: float | None, connections: int, seconds: float
) -> Figures:
    rep = run_open_loop(
        OpenLoopConfig(
            url=f"{url}/predict",
            bodies=_bodies(n_features, 0),
            rate=rate,
            duration_s=seconds,
            connections=connections,
        )
    )
    return {
        "rps": rep.ok / seconds,
        "sent_rate": rep.sent / seconds,
        "errors": sum(rep.errors.values()),
        "p99_corrected_ms": rep.corrected.get_value_at_percentile(99) / 1000,
        "p99_uncorrected_ms": rep.uncorrected.get_value_at_percentile(99) / 1000,
        "max_corrected_ms": rep.corrected.get_max_value() / 1000,
    }


def _locust(url: str, users: int, seconds: float, work: Path, processes: int = 1) -> Figures:
    out = run_locust(
        LocustRun(host=url, users=users, spawn_rate=users, duration_s=seconds, processes=processes),
        work,
    )
    window = out.per_second[1:-1] or out.per_second
    stats = percentiles_from_buckets(out.latency_ms, 1.0)
    return {
        "rps": statistics.median(window) if window else 0.0,
        "p99_ms": stats.get("p99", 0.0),
        "failures": out.failures,
    }


def _median(runs: list[Figures], key: str) -> float:
    return float(statistics.median(r[key] for r in runs))


def _repeat(n: int, fn: Callable[[], Figures]) -> list[Figures]:
    return [fn() for _ in range(n)]


def _server(spec: ServerSpec, work: Path, cpu: int | None) -> ServerProcess:
    return start_server(spec, work, cpu=cpu)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--repeats", type=int, default=3)
    ap.add_argument("--seconds", type=int, default=5)
    ap.add_argument("--connections", type=int, default=32)
    ap.add_argument("--rate", type=float, default=5000)
    ap.add_argument(
        "--pin",
        action="store_true",
        help="server on CPU 0, generators on CPU 1 (default: the OS schedules)",
    )
    args = ap.parse_args()
    cpu = 0 if args.pin else None  # the server's CPU; this process and wrk take CPU 1
    if args.pin:
        os.sched_setaffinity(0, {1})
    work = Path(tempfile.mkdtemp(prefix="perfcore-load-study-"))
    model_dir = work / "models" / "current"
    ensure_model(model_dir)
    spec = ServerSpec(model_dir=str(model_dir), port=0)
    out: Figures = {
        "load_before": os.getloadavg(),
        "cpus": os.cpu_count(),
        "repeats": args.repeats,
        "seconds": args.seconds,
    }
    s, c, r = args.seconds, args.connections, args.repeats
    with _server(spec, work, cpu) as server:
        n = int(httpx.get(f"{server.url}/health").json()["n_features"])
        if shutil.which("wrk"):
            out["wrk"] = _repeat(r, partial(_wrk, server.url, c, s, n, work, pin=args.pin))
        out["perfcore_closed"] = _repeat(
            r, lambda: _perfcore(server.url, n, rate=None, connections=c, seconds=s)
        )
        out["locust_closed"] = _repeat(r, lambda: _locust(server.url, c, s, work))
        out["open_loop"] = _repeat(
            r, lambda: _perfcore(server.url, n, rate=args.rate, connections=64, seconds=s)
        )
    for fast in (True, False):  # the numpy fast path, and sklearn's predict_proba per call
        for rows in (0, 16):
            batching = ServerConfig(batch_rows=rows, batch_wait_ms=0.5)
            variant = ServerSpec(model_dir=str(model_dir), port=0, fast_path=fast, config=batching)
            with _server(variant, work, cpu) as server:
                out[f"closed64_fast{int(fast)}_batch{rows}"] = _repeat(
                    r, partial(_perfcore, server.url, n, rate=None, connections=64, seconds=s)
                )
    stall = ServerConfig(stall_at_s=2.0, stall_for_s=1.0)
    stalled = ServerSpec(model_dir=str(model_dir), port=0, config=stall)
    with _server(stalled, work, cpu) as server:
        out["stall_open"] = _perfcore(server.url, n, rate=1000, connections=16, seconds=6)
    with _server(stalled, work, cpu) as server:
        out["stall_locust"] = _locust(server.url, 8, 6, work)
    out["load_after"] = os.getloadavg()
    summary = _summary(out)
    out["summary"] = summary
    target = ROOT / "reports" / "latest" / "load_study.json"
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_text(json.dumps(out, indent=2) + "\n")
    print(json.dumps(summary, indent=2))


def _summary(out: Figures) -> Figures:
    wrk = _median(out["wrk"], "rps") if "wrk" in out else None
    perf = _median(out["perfcore_closed"], "rps")
    loc = _median(out["locust_closed"], "rps")
    return {
        "wrk_rps": wrk,
        "perfcore_closed_rps": perf,
        "locust_closed_rps": loc,
        "perfcore_over_wrk": perf / wrk if wrk else None,
        "locust_over_wrk": loc / wrk if wrk else None,
        "open_loop_achieved_rps": _median(out["open_loop"], "rps"),
        "open_loop_sent_rps": _median(out["open_loop"], "sent_rate"),
        "open_loop_p99_corrected_ms": _median(out["open_loop"], "p99_corrected_ms"),
        **{
            f"batching_multiplier_{name}": _median(out[f"closed64_{key}_batch16"], "rps")
            / _median(out[f"closed64_{key}_batch0"], "rps")
            for name, key in (("fast_path", "fast1"), ("sklearn", "fast0"))
        },
        **{k: _median(v, "rps") for k, v in out.items() if k.startswith("closed64_")},
        "stall_open_p99_corrected_ms": out["stall_open"]["p99_corrected_ms"],
        "stall_open_p99_uncorrected_ms": out["stall_open"]["p99_uncorrected_ms"],
        "stall_locust_p99_ms": out["stall_locust"]["p99_ms"],
    }


if __name__ == "__main__":
    main()
