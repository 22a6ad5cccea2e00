"""Locust load tests of the inference service: local, simulated cloud, cloud behind a cache.

Runs with plain Locust (``locust -f loadtests/locustfile.py --host http://127.0.0.1:8000``)
or under ``perfcore load``, which sets the environment variables below.

User classes (pick one as a positional argument or with ``--class-picker``):
``LocalUser``, ``CloudUser``, ``CachedCloudUser`` (an LLMCache in front of the cloud;
hits are reported as request type ``CACHE``, so backend calls saved = their count).

Environment:
  PERFCORE_SHAPE          constant | step | spike  (unset: Locust's -u/-r/-t decide)
  PERFCORE_USERS          peak users for the shapes (default 8)
  PERFCORE_DURATION_S     shape duration in seconds (default 30)
  PERFCORE_MAX_REQUESTS   stop the run after this many requests (default: no limit)
  PERFCORE_N_FEATURES     features per row (default: asked from the server's /health)
  PERFCORE_SEED           seed of the request rows (default 0)
  PERFCORE_POOL_SIZE      distinct rows, drawn with Zipf-like popularity (default 512)
  PERFCORE_WAIT_S         think time between a user's requests (default 0: closed loop, flat out)
  PERFCORE_ERRORS_FILE    write the failures, by kind, as JSON here when Locust quits
"""

from __future__ import annotations

import itertools
import json
import os
import random
import time
import urllib.request
from collections.abc import Callable
from typing import Any, TypeVar

import gevent
import locust.stats
from locust import FastHttpUser, LoadTestShape, constant, events, task
from locust.env import Environment
from locust.event import EventHook
from locust.runners import WorkerRunner

from perfcore.components.cache import LLMCache


def _env_int(name: str, default: int) -> int:
    return int(os.environ.get(name, default))


# perfcore's progress line reads the stats history; flush it every second, not every ten.
locust.stats.CSV_STATS_FLUSH_INTERVAL_SEC = 1

SHAPE = os.environ.get("PERFCORE_SHAPE", "")
PEAK_USERS = _env_int("PERFCORE_USERS", 8)
DURATION_S = float(os.environ.get("PERFCORE_DURATION_S", "30"))
MAX_REQUESTS = _env_int("PERFCORE_MAX_REQUESTS", 0)
SEED = _env_int("PERFCORE_SEED", 0)
POOL_SIZE = _env_int("PERFCORE_POOL_SIZE", 512)
WAIT_S = float(os.environ.get("PERFCORE_WAIT_S", "0"))


def _n_features(host: str) -> int:
    if "PERFCORE_N_FEATURES" in os.environ:
        return int(os.environ["PERFCORE_N_FEATURES"])
    with urllib.request.urlopen(f"{host}/health", timeout=10) as reply:  # noqa: S310 (our host)
        return int(json.load(reply)["n_features"])


_HEADERS = {"content-type": "application/json"}
if os.environ.get("PERFCORE_REMOTE_API_KEY"):  # a real remote endpoint; the key is never logged
    _HEADERS["authorization"] = f"Bearer {os.environ['PERFCORE_REMOTE_API_KEY']}"


class _Workload:
    """Seeded request bodies: a pool of rows, some far more popular than others."""

    def __init__(self, n_features: int, seed: int) -> None:
        rng = random.Random(seed)
        self.bodies = [
            json.dumps(
                {"features": [round(rng.gauss(0, 1), 4) for _ in range(n_features)]}
            ).encode()
            for _ in range(POOL_SIZE)
        ]
        # Cumulative weights: choices() then bisects instead of summing 512 weights per call.
        self.cum_weights = list(itertools.accumulate(1.0 / (k + 1) for k in range(POOL_SIZE)))
        self.rng = random.Random(seed + 1)

    def next_body(self) -> bytes:
        return self.rng.choices(self.bodies, cum_weights=self.cum_weights)[0]


class _PredictUser(FastHttpUser):
    abstract = True
    wait_time = constant(WAIT_S)
    _user_count = 0

    def on_start(self) -> None:
        _PredictUser._user_count += 1
        self.workload = _Workload(_n_features(str(self.host)), SEED + _PredictUser._user_count)

    def post(self, body: bytes) -> Any:
        # locust annotates data as str or dict; geventhttpclient sends bytes as they are,
        # which spares encoding each body again.
        return self.client.post(
            "/predict",
            data=body,  # type: ignore[arg-type]
            headers=_HEADERS,
        )


class LocalUser(_PredictUser):
    """Single-row predictions against the local server."""

    @task
    def predict(self) -> None:
        self.post(self.workload.next_body())


class CloudUser(_PredictUser):
    """Single-row predictions against the (simulated) cloud endpoint."""

    @task
    def predict(self) -> None:
        self.post(self.workload.next_body())


class CachedCloudUser(_PredictUser):
    """The cloud with an LLMCache in front: a hit never reaches the backend."""

    def on_start(self) -> None:
        super().on_start()
        self.cache = LLMCache(max_entries=POOL_SIZE)

    @task
    def predict(self) -> None:
        body = self.workload.next_body()
        start = time.perf_counter()
        key = body.decode()
        hit = self.cache.get(key)
        if hit is not None:
            self.environment.events.request.fire(
                request_type="CACHE",
                name="/predict",
                response_length=len(hit),
                response_time=(time.perf_counter() - start) * 1000,
                exception=None,
                context={},
            )
            return
        reply = self.post(body)
        if reply.status_code == 200 and reply.text:
            self.cache.put(key, reply.text)


class ConstantShape(LoadTestShape):
    """PERFCORE_USERS users for PERFCORE_DURATION_S seconds."""

    abstract = SHAPE != "constant"

    def tick(self) -> tuple[int, float] | None:
        return (PEAK_USERS, PEAK_USERS) if _run_time(self) < DURATION_S else None


class StepShape(LoadTestShape):
    """Ramp in four equal steps up to PERFCORE_USERS over PERFCORE_DURATION_S seconds."""

    abstract = SHAPE != "step"

    def tick(self) -> tuple[int, float] | None:
        elapsed = _run_time(self)
        if elapsed >= DURATION_S:
            return None
        step = min(3, int(elapsed / (DURATION_S / 4)))
        return max(1, PEAK_USERS * (step + 1) // 4), PEAK_USERS


class SpikeShape(LoadTestShape):
    """A quarter of the users, a spike to all of them in the middle fifth, then back."""

    abstract = SHAPE != "spike"

    def tick(self) -> tuple[int, float] | None:
        elapsed = _run_time(self)
        if elapsed >= DURATION_S:
            return None
        in_spike = 0.4 * DURATION_S <= elapsed < 0.6 * DURATION_S
        return (PEAK_USERS if in_spike else max(1, PEAK_USERS // 4)), PEAK_USERS * 10


def _run_time(shape: LoadTestShape) -> float:
    """Seconds since the shape started (locust leaves get_run_time unannotated)."""
    return float(shape.get_run_time())  # type: ignore[no-untyped-call]


_Listener = TypeVar("_Listener", bound=Callable[..., None])


def _listener(hook: EventHook) -> Callable[[_Listener], _Listener]:
    """``@hook.add_listener`` with its type kept (locust leaves add_listener unannotated)."""

    def register(fn: _Listener) -> _Listener:
        hook.add_listener(fn)  # type: ignore[no-untyped-call]
        return fn

    return register


def _stop_after(environment: Environment, limit: int) -> None:
    while environment.runner is not None and environment.runner.state not in ("stopped", "quit"):
        if environment.stats.total.num_requests >= limit:
            environment.runner.quit()
            return
        gevent.sleep(0.02)


@_listener(events.test_start)
def _bound_requests(environment: Environment, **_: Any) -> None:
    """Stop the whole run (master or single process) after PERFCORE_MAX_REQUESTS requests."""
    if MAX_REQUESTS > 0 and not isinstance(environment.runner, WorkerRunner):
        gevent.spawn(_stop_after, environment, MAX_REQUESTS)


@_listener(events.quit)
def _write_errors(exit_code: int = 0, **_: Any) -> None:
    """Failures by kind for perfcore (Locust's JSON output omits them)."""
    path = os.environ.get("PERFCORE_ERRORS_FILE")
    runner = _RUNNERS[0] if _RUNNERS else None
    if not path or runner is None or isinstance(runner, WorkerRunner):
        return
    errors: dict[str, int] = {}
    for error in runner.stats.errors.values():
        key = str(error.error)
        errors[key] = errors.get(key, 0) + error.occurrences
    with open(path, "w", encoding="utf-8") as handle:
        json.dump(errors, handle)


_RUNNERS: list[Any] = []


@_listener(events.init)
def _remember_runner(environment: Environment, **_: Any) -> None:
    _RUNNERS.append(environment.runner)
