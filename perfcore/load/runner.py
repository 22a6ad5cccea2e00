"""Run Locust headless as a child process, bounded in time and requests, on loopback only.

Locust is never imported here: gevent monkey-patches the standard library when it is
imported, which would change the behaviour of perfcore's own process. The child is
bounded three ways: Locust's ``-t``, a request count enforced by the locustfile, and
a hard wall-clock limit after which perfcore terminates (then kills) it.
"""

from __future__ import annotations

import contextlib
import ipaddress
import json
import os
import re
import socket
import subprocess
import sys
import time
from collections import Counter
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from perfcore._procs import stop_tree, uninterrupted
from perfcore.errors import ConfigError, InputError, ServiceError
from perfcore.load.limits import MAX_DURATION_S, MAX_PROCESSES

__all__ = ["LocustOutcome", "LocustRun", "require_loopback", "run_locust"]

LOCUSTFILE = Path(__file__).resolve().parents[2] / "loadtests" / "locustfile.py"


def require_loopback(url: str) -> None:
    """Refuse a target that is not on this machine's loopback interface."""
    host = urlsplit(url).hostname or ""
    try:
        addresses = {info[4][0] for info in socket.getaddrinfo(host, None)}
    except socket.gaierror:
        raise ConfigError(f"cannot resolve load target host {host!r}") from None
    if not addresses or not all(ipaddress.ip_address(a).is_loopback for a in addresses):
        raise ConfigError(
            f"load targets must be on loopback (127.0.0.1), got {url!r}; "
            "use --remote-url to load a real remote endpoint on purpose"
        )


@dataclass(frozen=True)
class LocustRun:
    """One headless Locust run (closed loop: each user waits for its reply)."""

    host: str
    user_class: str = "LocalUser"
    users: int = 8
    spawn_rate: float = 100.0
    duration_s: float = 10.0
    max_requests: int | None = None
    processes: int = 1
    shape: str | None = None
    n_features: int | None = None
    seed: int = 0
    locustfile: Path = LOCUSTFILE
    allow_remote: bool = False
    extra_env: Mapping[str, str] = field(default_factory=dict)

    def __post_init__(self) -> None:
        if not (
            self.users >= 1
            and 1 <= self.processes <= MAX_PROCESSES
            and 0 < self.duration_s <= MAX_DURATION_S
            and self.spawn_rate > 0
        ):
            raise ConfigError(
                f"users must be >= 1, processes in 1..{MAX_PROCESSES}, duration "
                f"in (0, {MAX_DURATION_S:g}] s and spawn rate > 0"
            )
        if not self.locustfile.is_file():
            raise InputError(f"locustfile not found: {self.locustfile}")


@dataclass(frozen=True)
class LocustOutcome:
    """What Locust measured: counts, latency buckets (ms -> count) and per-second counts."""

    requests: int
    failures: int
    errors: Mapping[str, int]
    latency_ms: Mapping[int, int]  # Locust's rounded buckets, all request types
    per_second: tuple[int, ...]
    elapsed_s: float
    cache_hits: int
    exit_code: int
    stopped_early: str = ""  # why perfcore stopped the run, if it did


def _argv(run: LocustRun, prefix: Path) -> list[str]:
    argv = [
        sys.executable,
        "-m",
        "locust",
        "-f",
        str(run.locustfile),
        "--headless",
        "--host",
        run.host,
        "-u",
        str(run.users),
        "-r",
        str(run.spawn_rate),
        "-t",
        f"{max(1, round(run.duration_s))}s",
        "--stop-timeout",
        "2",
        "--csv",
        str(prefix),
        "--json-file",
        str(prefix),
        "--only-summary",
        "--exit-code-on-error",
        "1",
        "--loglevel",
        "WARNING",
    ]
    if run.processes > 1:
        argv += ["--processes", str(run.processes)]
    return [*argv, run.user_class]


def _env(run: LocustRun, errors_file: Path) -> dict[str, str]:
    env = dict(
        os.environ,
        PERFCORE_SEED=str(run.seed),
        PERFCORE_ERRORS_FILE=str(errors_file),
        PERFCORE_USERS=str(run.users),
        PERFCORE_DURATION_S=str(run.duration_s),
    )
    env.pop("PERFCORE_SHAPE", None)
    if run.shape:
        env["PERFCORE_SHAPE"] = run.shape
    if run.max_requests:
        env["PERFCORE_MAX_REQUESTS"] = str(run.max_requests)
    if run.n_features:
        env["PERFCORE_N_FEATURES"] = str(run.n_features)
    return {**env, **run.extra_env}


def _progress_line(prefix: Path) -> tuple[int, int] | None:
    with contextlib.suppress(OSError, ValueError, IndexError):
        lines = Path(f"{prefix}_stats_history.csv").read_text().strip().splitlines()
        header, last = lines[0].split(","), lines[-1].split(",")
        return (
            int(last[header.index("Total Request Count")]),
            int(last[header.index("Total Failure Count")]),
        )
    return None


def _supervise(
    popen: subprocess.Popen[bytes],
    run: LocustRun,
    prefix: Path,
    alive: Callable[[], bool],
    progress: Callable[[str], None] | None,
) -> str:
    start = time.monotonic()
    hard_limit = run.duration_s + 30.0
    while popen.poll() is None:
        time.sleep(0.25)
        elapsed = time.monotonic() - start
        if elapsed > hard_limit:
            _stop(popen)
            return f"hard time limit of {hard_limit:.0f} s reached"
        if not alive():
            time.sleep(1.0)  # let the failures against the dead server be counted
            _stop(popen)
            return "a server under test died during the run"
        if progress is not None:
            counts = _progress_line(prefix)
            done = f"{counts[0]} requests, {counts[1]} failures" if counts else "starting"
            progress(f"{run.user_class} {elapsed:5.1f}/{run.duration_s:.0f} s  {done}")
    return ""


def _stop(popen: subprocess.Popen[bytes], grace_s: float = 10.0) -> None:
    # The whole group: with --processes, Locust's workers are the master's children.
    stop_tree(popen, grace_s)


def run_locust(
    run: LocustRun,
    workdir: Path,
    *,
    alive: Callable[[], bool] = lambda: True,
    progress: Callable[[str], None] | None = None,
) -> LocustOutcome:
    """Run Locust to completion and parse what it wrote; never hangs (hard limit)."""
    if not run.allow_remote:
        require_loopback(run.host)
    workdir.mkdir(parents=True, exist_ok=True)
    prefix = workdir / f"locust-{run.user_class}-u{run.users}"
    errors_file = Path(f"{prefix}_errors.json")
    for stale in (Path(f"{prefix}.json"), errors_file):
        stale.unlink(missing_ok=True)
    started = time.monotonic()
    with open(f"{prefix}.log", "wb") as log:
        popen = subprocess.Popen(
            _argv(run, prefix),
            stdout=log,
            stderr=subprocess.STDOUT,
            env=_env(run, errors_file),
            start_new_session=True,
        )
        try:
            stopped = _supervise(popen, run, prefix, alive, progress)
        finally:
            with uninterrupted():
                _stop(popen)
    return _parse(prefix, errors_file, popen.returncode, time.monotonic() - started, stopped)


_HTTP_CODE = re.compile(r"\b([1-5]\d\d)\b")


def error_kind(message: str) -> str:
    """A short kind for a Locust error string: ``http_503``, ``ConnectionRefusedError``, ..."""
    name = message.split("(", 1)[0].strip()
    if "HTTPError" in name or "CatchResponseError" in name:
        code = _HTTP_CODE.search(message)
        return f"http_{code.group(1)}" if code else name
    return name or "unknown"


def _parse(
    prefix: Path, errors_file: Path, exit_code: int, elapsed_s: float, stopped: str
) -> LocustOutcome:
    try:
        entries: list[dict[str, Any]] = json.loads(Path(f"{prefix}.json").read_text())
    except (OSError, ValueError):
        tail = Path(f"{prefix}.log").read_text(errors="replace")[-600:]
        raise ServiceError(f"Locust wrote no results (exit {exit_code}): {tail}") from None
    latency: Counter[int] = Counter()
    per_second: Counter[int] = Counter()
    for entry in entries:
        latency.update({int(k): int(v) for k, v in entry["response_times"].items()})
        per_second.update({int(k): int(v) for k, v in entry["num_reqs_per_sec"].items()})
    errors: Counter[str] = Counter()
    with contextlib.suppress(OSError, ValueError):
        for message, count in json.loads(errors_file.read_text()).items():
            errors[error_kind(message)] += int(count)
    seconds = sorted(per_second)
    return LocustOutcome(
        requests=sum(int(e["num_requests"]) for e in entries),
        failures=sum(int(e["num_failures"]) for e in entries),
        errors=dict(errors),
        latency_ms=dict(latency),
        per_second=tuple(per_second[s] for s in range(seconds[0], seconds[-1] + 1))
        if seconds
        else (),
        elapsed_s=elapsed_s,
        cache_hits=sum(int(e["num_requests"]) for e in entries if e["method"] == "CACHE"),
        exit_code=exit_code,
        stopped_early=stopped,
    )
