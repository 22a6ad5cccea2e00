"""``perfcore load`` as a library call: start servers, run every load point, stop, measure.

Each load point is a Locust run (closed loop: users) or a run of perfcore's open-loop
generator (arrival rate). Around each run the servers' /metrics are read twice, so
the server time and the cloud bill belong to that run alone.
"""

from __future__ import annotations

import contextlib
import json
import math
import random
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any, Literal

import httpx

from perfcore._procs import uninterrupted
from perfcore.errors import ConfigError
from perfcore.instrument.disturbance import DisturbanceProbe
from perfcore.load.limits import (
    MAX_CONNECTIONS,
    MAX_DURATION_S,
    MAX_PROCESSES,
    MAX_RATE,
    MAX_USERS,
    TARGETS,
)
from perfcore.load.openloop import OpenLoopConfig, OpenLoopReport, run_open_loop
from perfcore.load.results import LoadMeasurement, Validity, percentiles_from_buckets
from perfcore.load.runner import LocustOutcome, LocustRun, require_loopback, run_locust
from perfcore.serving.app import ServerConfig
from perfcore.serving.cloud import CloudModel
from perfcore.serving.model import ensure_model
from perfcore.serving.process import ServerProcess, start_server
from perfcore.serving.server import ServerSpec

__all__ = ["TARGETS", "LoadReport", "LoadSettings", "run_load"]

_USER_CLASS = {
    "local": "LocalUser",
    "cloud": "CloudUser",
    "cloud-cache": "CachedCloudUser",
    "remote": "CloudUser",
}


@dataclass(frozen=True)
class LoadSettings:
    """Everything one ``perfcore load`` does; no argparse namespace crosses this line."""

    targets: tuple[str, ...] = TARGETS
    users: int = 8
    duration_s: float = 10.0
    max_requests: int | None = None
    rate: float | None = None
    arrival: Literal["constant", "poisson"] = "constant"
    sweep_users: tuple[int, ...] = ()
    sweep_rates: tuple[float, ...] = ()
    processes: int = 1
    shape: str | None = None
    connections: int = 64
    remote_url: str | None = None
    model_dir: str | None = "models/current"
    server: ServerConfig = field(default_factory=ServerConfig)
    cloud: CloudModel = field(default_factory=CloudModel)
    validity: Validity = field(default_factory=Validity)
    workdir: Path = Path("reports/latest/load")
    seed: int = 0

    def __post_init__(self) -> None:
        unknown = set(self.targets) - set(TARGETS)
        if unknown or not self.targets:
            raise ConfigError(f"unknown load target(s) {sorted(unknown)}; choose from {TARGETS}")
        if not all(1 <= u <= MAX_USERS for u in (self.users, *self.sweep_users)):
            raise ConfigError(f"users must lie in 1..{MAX_USERS}")
        rates = (*self.sweep_rates, *(() if self.rate is None else (self.rate,)))
        if not all(math.isfinite(r) and 0 < r <= MAX_RATE for r in rates):
            raise ConfigError(f"arrival rates must lie in (0, {MAX_RATE:g}] requests/s")
        if not (math.isfinite(self.duration_s) and 0 < self.duration_s <= MAX_DURATION_S):
            raise ConfigError(f"duration must lie in (0, {MAX_DURATION_S:g}] seconds")
        if not 1 <= self.processes <= MAX_PROCESSES:
            raise ConfigError(f"processes must lie in 1..{MAX_PROCESSES}")
        if not 1 <= self.connections <= MAX_CONNECTIONS:
            raise ConfigError(f"connections must lie in 1..{MAX_CONNECTIONS}")
        if self.max_requests is not None and self.max_requests < 1:
            raise ConfigError("max_requests must be >= 1")


@dataclass(frozen=True)
class LoadReport:
    """Every measurement, and the problems that make the run a failure (e.g. a dead server)."""

    measurements: tuple[LoadMeasurement, ...]
    problems: tuple[str, ...] = ()


@dataclass(frozen=True)
class _Point:
    target: str
    label: str
    users: int | None
    rate: float | None


def _points(s: LoadSettings, targets: tuple[str, ...]) -> list[_Point]:
    rates = s.sweep_rates or ((s.rate,) if s.rate else ())
    users = s.sweep_users or (s.users,)
    points: list[_Point] = []
    for target in targets:
        if rates:
            if target == "cloud-cache":
                continue  # the cache lives in the Locust user; open loop has none
            points += [
                _Point(target, f"{target}.r{r:g}" if len(rates) > 1 else target, None, r)
                for r in rates
            ]
        else:
            points += [
                _Point(target, f"{target}.u{u}" if len(users) > 1 else target, u, None)
                for u in users
            ]
    return points


def _metrics(url: str) -> dict[str, Any]:
    with contextlib.suppress(httpx.HTTPError, ValueError):
        data: dict[str, Any] = httpx.get(f"{url}/metrics", timeout=5.0).json()
        return data
    return {}


def _server_delta(before: dict[str, Any], after: dict[str, Any]) -> tuple[float | None, float]:
    """(mean server seconds per request, cost) accrued between two /metrics snapshots."""
    if not before or not after:
        return None, 0.0
    count = after["latency_us"]["count"] - before["latency_us"]["count"]
    total = after["latency_us"]["sum"] - before["latency_us"]["sum"]
    cost = after.get("cloud", {}).get("cost", 0.0) - before.get("cloud", {}).get("cost", 0.0)
    return (total / count / 1e6 if count > 0 else None), float(cost)


def _bodies(n_features: int, seed: int, pool: int = 512) -> tuple[bytes, ...]:
    rng = random.Random(seed)
    return tuple(
        json.dumps({"features": [round(rng.gauss(0, 1), 4) for _ in range(n_features)]}).encode()
        for _ in range(pool)
    )


def _from_locust(point: _Point, out: LocustOutcome, s: LoadSettings) -> LoadMeasurement:
    window = out.per_second[1:-1] if len(out.per_second) > 2 else out.per_second
    duration = min(out.elapsed_s, s.duration_s) if out.per_second else out.elapsed_s
    duration = max(len(out.per_second), 1) if len(out.per_second) > 1 else duration
    return LoadMeasurement(
        label=point.label,
        target=point.target,
        mode="closed",
        requests=out.requests,
        ok=out.requests - out.failures,
        errors=out.errors,
        duration_s=float(duration),
        latency_s=percentiles_from_buckets(out.latency_ms, 1e-3),
        window_throughput=tuple(float(w) for w in window),
        cache_hits=out.cache_hits if point.target == "cloud-cache" else None,
        invalid_reason=out.stopped_early or s.validity.judge(out.requests, float(duration)),
        params={"users": point.users, "processes": s.processes, "engine": "locust"},
    )


def _hist_stats(hist: Any) -> dict[str, float]:
    if hist.get_total_count() == 0:
        return {}
    out = {
        name: hist.get_value_at_percentile(p) / 1e6
        for name, p in (("p50", 50), ("p90", 90), ("p95", 95), ("p99", 99), ("p99.9", 99.9))
    }
    return {**out, "avg": hist.get_mean_value() / 1e6, "max": hist.get_max_value() / 1e6}


def _from_open(point: _Point, rep: OpenLoopReport, s: LoadSettings) -> LoadMeasurement:
    windows = [rep.windows[k] for k in sorted(rep.windows)]
    errors = sum(rep.errors.values())
    return LoadMeasurement(
        label=point.label,
        target=point.target,
        mode="open",
        requests=rep.ok + errors,
        ok=rep.ok,
        errors=dict(rep.errors),
        duration_s=s.duration_s,
        latency_s=_hist_stats(rep.corrected),
        uncorrected_s=_hist_stats(rep.uncorrected),
        window_throughput=tuple(float(w.get_total_count()) / 1.0 for w in windows),
        window_p99_s=tuple(w.get_value_at_percentile(99) / 1e6 for w in windows),
        invalid_reason=s.validity.judge(rep.ok + errors, s.duration_s),
        params={
            "rate": point.rate,
            "arrival": s.arrival,
            "connections": s.connections,
            "engine": "perfcore",
            "sent_rate": rep.sent / s.duration_s,
        },
    )


def _measure(
    point: _Point,
    url: str,
    s: LoadSettings,
    *,
    server: ServerProcess | None,
    n_features: int,
    progress: Callable[[str], None] | None,
) -> LoadMeasurement:
    alive = server.alive if server is not None else (lambda: True)
    if point.rate is not None:
        cfg = OpenLoopConfig(
            url=f"{url}/predict",
            bodies=_bodies(n_features, s.seed),
            rate=point.rate,
            arrival=s.arrival,
            duration_s=s.duration_s,
            max_requests=s.max_requests,
            connections=s.connections,
            seed=s.seed,
        )
        tick = (
            (
                lambda p: progress(
                    f"{point.label} {p.elapsed_s:5.1f}/{s.duration_s:.0f} s  "
                    f"{p.sent} sent, {p.ok} ok, {p.errors} errors"
                )
            )
            if progress
            else None
        )
        return _from_open(point, run_open_loop(cfg, progress=tick), s)
    run = LocustRun(
        host=url,
        user_class=_USER_CLASS[point.target],
        users=point.users or 1,
        spawn_rate=max(point.users or 1, 10),
        duration_s=s.duration_s,
        max_requests=s.max_requests,
        processes=s.processes,
        shape=s.shape,
        n_features=n_features,
        seed=s.seed,
        allow_remote=s.remote_url is not None,
    )
    return _from_locust(point, run_locust(run, s.workdir, alive=alive, progress=progress), s)


@contextlib.contextmanager
def _servers(s: LoadSettings, targets: tuple[str, ...]) -> Iterator[dict[str, ServerProcess]]:
    started: dict[str, ServerProcess] = {}
    try:
        base = ServerSpec(model_dir=s.model_dir, config=s.server, cloud=s.cloud, port=0)
        if "local" in targets:
            if s.model_dir is not None:
                # A fresh checkout has no promoted model: train one before serving it.
                ensure_model(Path(s.model_dir))
            started["local"] = start_server(base, s.workdir)
        if {"cloud", "cloud-cache"} & set(targets):
            started["cloud"] = start_server(replace(base, kind="cloud"), s.workdir)
        yield started
    finally:
        with uninterrupted():  # a second Ctrl-C must not leave a server running
            for proc in started.values():
                proc.stop()


def run_load(s: LoadSettings, progress: Callable[[str], None] | None = None) -> LoadReport:
    """Run every load point of ``s`` and return what was measured; stops what it started."""
    if s.remote_url is not None:
        return _run_remote(s, progress)
    measurements: list[LoadMeasurement] = []
    problems: list[str] = []
    with _servers(s, s.targets) as servers:
        for point in _points(s, s.targets):
            server = servers["local" if point.target == "local" else "cloud"]
            require_loopback(server.url)
            before = _metrics(server.url)
            n_features = int(httpx.get(f"{server.url}/health", timeout=5).json()["n_features"])
            probe = DisturbanceProbe()  # the servers are our children: their CPU is ours
            probe.start()
            m = _measure(
                point, server.url, s, server=server, n_features=n_features, progress=progress
            )
            busy = probe.stop().to_dict()
            mean, cost = _server_delta(before, _metrics(server.url) if server.alive() else {})
            per_1k = cost / m.requests * 1000 if point.target != "local" and m.requests else None
            measurements.append(
                replace(m, server_mean_s=mean, cost_per_1k=per_1k, disturbance=busy)
            )
            if not server.alive():
                problems.append(f"the {point.target} server died during {point.label}")
                break
    return LoadReport(tuple(measurements), tuple(problems))


def _run_remote(s: LoadSettings, progress: Callable[[str], None] | None) -> LoadReport:
    assert s.remote_url is not None
    url = s.remote_url.rstrip("/")
    health = httpx.get(f"{url}/health", timeout=10).json()
    point = _Point("remote", "remote", s.users, s.rate)
    m = _measure(
        point, url, s, server=None, n_features=int(health["n_features"]), progress=progress
    )
    return LoadReport((m,))
