"""Where a /predict request's CPU goes: py-spy on the server under perfcore's open-loop load.

``python bench/serving_profile.py [--rate 2000] [--seconds 8] [--path /predict]``
starts a server (synthetic model) on loopback, samples it with ``py-spy record -f raw``
(``pip install py-spy``; it needs ptrace rights) while the generator offers ``rate``
requests/s, and prints the share of the server's busy samples per stage. Bounded: one
run of ``seconds``; the server is stopped by its PID. Used for ``docs/performance.md``.
"""

from __future__ import annotations

import argparse
import collections
import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

from perfcore.load.openloop import OpenLoopConfig, run_open_loop
from perfcore.load.orchestrate import _bodies
from perfcore.serving.process import start_server
from perfcore.serving.server import ServerSpec

# (substring of a frame, stage): the first that matches a sample's stack names it.
STAGES = (
    ("parse_rows", "parse + validate body"),
    ("predict_proba", "model"),
    ("_send_json", "answer: ASGI sends, uvicorn, socket writes"),
    ("json/encoder", "encode answer (json)"),
    ("ServerMetrics.record", "metrics.record"),
    ("_read_body", "read body"),
    ("_PredictEndpoint", "endpoint, other"),
    ("starlette", "Starlette middleware + router"),
    ("proxy_headers", "uvicorn ProxyHeadersMiddleware"),
    ("httptools_impl", "uvicorn protocol"),
)


def stages(raw: Path) -> tuple[int, collections.Counter[str]]:
    """Busy samples in all, and per stage, from a py-spy raw (collapsed) file."""
    total, counts = 0, collections.Counter[str]()
    for line in raw.read_text().splitlines():
        stack, n = line.rsplit(" ", 1)
        total += int(n)
        stage = next((name for key, name in STAGES if key in stack), "event loop, other")
        counts[stage] += int(n)
    return total, counts


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--rate", type=float, default=2000.0)
    ap.add_argument("--seconds", type=float, default=8.0)
    ap.add_argument("--path", default="/predict")
    args = ap.parse_args()
    beside = Path(sys.executable).with_name("py-spy")  # installed in this venv
    spy = str(beside) if beside.exists() else shutil.which("py-spy")
    if spy is None:
        raise SystemExit("py-spy not found: pip install py-spy")
    work = Path(tempfile.mkdtemp(prefix="perfcore-profile-"))
    raw = work / "profile.txt"
    print("load before", os.getloadavg())
    with start_server(ServerSpec(model_dir=None, port=0), work) as server:
        sampler = subprocess.Popen(
            [
                spy,
                "record",
                "-p",
                str(server.pid),
                "-d",
                str(int(args.seconds)),
                "-r",
                "200",
                "-f",
                "raw",
                "-o",
                str(raw),
                "--nonblocking",
            ],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        report = run_open_loop(
            OpenLoopConfig(
                url=server.url + args.path,
                bodies=_bodies(16, 0),
                rate=args.rate,
                duration_s=args.seconds,
                connections=32,
            )
        )
        sampler.wait(timeout=60)
    print(
        f"ok {report.ok}, errors {dict(report.errors)}, corrected p99 "
        f"{report.corrected.get_value_at_percentile(99) / 1000:.1f} ms, load after "
        f"{os.getloadavg()}"
    )
    total, counts = stages(raw)
    print(f"{total} busy samples")
    for stage, n in counts.most_common():
        print(f"{100 * n / total:5.1f}%  {stage}")
    shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
