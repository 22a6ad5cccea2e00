"""The inference server: a Starlette ASGI app with /predict, /noop, /health and /metrics.

``/predict`` is a raw ASGI endpoint (no Request object, no response classes, and in
front of Starlette's middleware and router) because it is the hot path: at several
thousand requests per second on one shared core, each microsecond of framework work is
a percent of capacity. Bodies are read and answered with orjson. ``/noop`` reads a
body and answers a constant through the same front: the ceiling /predict is compared
with (``docs/performance.md``). Bad input of any kind is
answered 4xx with a JSON ``{"error": ...}`` message; only a model failure is a 5xx.
"""

from __future__ import annotations

import asyncio
import json
import math
import os
import time
from collections.abc import Awaitable, Callable, MutableMapping
from dataclasses import dataclass
from typing import Any, Protocol

import numpy as np
import orjson
from numpy.typing import NDArray
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route
from starlette.types import ASGIApp

from perfcore.serving.batching import MicroBatcher
from perfcore.serving.deadlines import BodyDeadline
from perfcore.serving.limits import BODY_TIMEOUT_S, MAX_BATCH_ROWS, MAX_BATCH_WAIT_MS
from perfcore.serving.metrics import ServerMetrics
from perfcore.serving.model import Predictor
from perfcore.serving.validation import BadRequestError, ParsedRows, parse_rows

__all__ = ["Admission", "ServerConfig", "ServiceModel", "create_app"]

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]
Clock = Callable[[], int]

_JSON_TYPE = (b"content-type", b"application/json")
_NUMPY = orjson.OPT_SERIALIZE_NUMPY  # float64 arrays straight to JSON, no tolist()
_CONSTANT = b'{"ok":true}'
_NON_FINITE = "features too large for the model (non-finite scores)"


@dataclass(frozen=True)
class ServerConfig:
    """Limits and options of one server; micro-batching is off when ``batch_rows`` is 0."""

    max_batch: int = 1024
    max_body_bytes: int = 1 << 20
    batch_rows: int = 0
    batch_wait_ms: float = 1.0
    stall_at_s: float | None = None  # debug: block the event loop once, this long after start
    stall_for_s: float = 1.0
    crash_at_s: float | None = None  # debug: the process exits this long after start
    body_timeout_s: float = BODY_TIMEOUT_S  # a body not complete by then is answered 408

    def __post_init__(self) -> None:
        if self.max_batch < 1 or self.max_body_bytes < 64:
            raise ValueError("max_batch must be >= 1 and max_body_bytes >= 64")
        if not 0 <= self.batch_rows <= MAX_BATCH_ROWS:
            raise ValueError(f"batch_rows must lie in 0..{MAX_BATCH_ROWS}")
        # `not (a <= x <= b)` also refuses NaN: an infinite wait held a request forever.
        if not 0 <= self.batch_wait_ms <= MAX_BATCH_WAIT_MS:
            raise ValueError(f"batch_wait_ms must lie in [0, {MAX_BATCH_WAIT_MS:g}]")
        if not 0 < self.body_timeout_s <= 3600:
            raise ValueError("body_timeout_s must lie in (0, 3600] seconds")
        for name in ("stall_at_s", "stall_for_s", "crash_at_s"):
            value = getattr(self, name)
            if value is not None and not 0 <= value <= 86_400:
                raise ValueError(f"{name} must lie in [0, 86400] seconds")


@dataclass(frozen=True)
class Admission:
    """What a service model decides for one request before the model runs."""

    network_s: float = 0.0  # time on the wire, not counted as server time
    service_s: float = 0.0  # extra time inside the service (cold start)
    reject: tuple[int, str] | None = None  # answer with this status and message instead


class ServiceModel(Protocol):
    """A hook that shapes each request (the cloud simulator implements it)."""

    def admit(self) -> Admission:
        """Decide delays or a rejection for the next request."""
        ...

    def snapshot(self) -> dict[str, Any]:
        """Counters for /metrics."""
        ...


async def _read_body(receive: Receive, limit: int) -> bytes:
    chunks: list[bytes] = []
    size = 0
    while True:
        message = await receive()
        chunk = message.get("body", b"")
        size += len(chunk)
        if size > limit:
            raise BadRequestError(413, f"body exceeds the maximum of {limit} bytes")
        chunks.append(chunk)
        if not message.get("more_body", False):
            return b"".join(chunks) if len(chunks) > 1 else chunk


async def _send_json(send: Send, status: int, payload: bytes) -> None:
    headers = [_JSON_TYPE, (b"content-length", str(len(payload)).encode())]
    await send({"type": "http.response.start", "status": status, "headers": headers})
    await send({"type": "http.response.body", "body": payload})


def _as_list(value: Any) -> Any:
    # orjson hands back what it cannot write itself (a non-contiguous array).
    if isinstance(value, np.ndarray):
        return value.tolist()
    raise TypeError(f"cannot encode {type(value).__name__}")


def _error(message: str) -> bytes:
    return json.dumps({"error": message}).encode()


class _PredictEndpoint:
    """POST /predict as a bare ASGI callable."""

    def __init__(
        self,
        predictor: Predictor,
        config: ServerConfig,
        metrics: ServerMetrics,
        service: ServiceModel | None,
        clock: Clock,
    ) -> None:
        self.predictor = predictor
        self.config = config
        self.metrics = metrics
        self.service = service
        self.clock = clock
        self.batcher = (
            MicroBatcher(predictor, config.batch_rows, config.batch_wait_ms / 1000)
            if config.batch_rows > 0
            else None
        )
        self.deadline = BodyDeadline(config.body_timeout_s)
        # A model's plain-float path for one row, looked up once (None: numpy only).
        self._predict_row: Callable[[list[float]], list[float] | None] | None = getattr(
            predictor, "predict_row", None
        )
        self._started_ns: int | None = None
        self._stalled = config.stall_at_s is None
        self._crash_armed = config.crash_at_s is None

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if not self._crash_armed:
            self._arm_crash()
        admission = self.service.admit() if self.service is not None else None
        if admission is not None and admission.network_s > 0:
            await asyncio.sleep(admission.network_s)
        start = self.clock()
        status, payload = await self._answer(receive, admission, start)
        await _send_json(send, status, payload)
        self.metrics.record(status, self.clock() - start)

    async def _answer(
        self, receive: Receive, admission: Admission | None, start: int
    ) -> tuple[int, bytes]:
        try:
            # A client that stalls mid-body must not hold a request (or, on SIGTERM, the
            # process) open for ever.
            body = await self.deadline.run(_read_body(receive, self.config.max_body_bytes))
            if admission is not None and admission.reject is not None:
                return admission.reject[0], _error(admission.reject[1])
            # n_features is where a reloading predictor looks for a new model; the version
            # read right after it names the model that will answer this request.
            parsed = parse_rows(body, self.predictor.n_features, self.config.max_batch)
            version = self.predictor.version
        except BadRequestError as exc:
            return exc.status, _error(exc.message)
        except TimeoutError:
            return 408, _error(f"body not received within {self.config.body_timeout_s:g} s")
        if admission is not None and admission.service_s > 0:
            await asyncio.sleep(admission.service_s)
        self._maybe_stall(start)
        plain = self._plain_answer(parsed, version)
        return plain if plain is not None else await self._numpy_answer(parsed, version)

    async def _numpy_answer(self, parsed: ParsedRows, version: str) -> tuple[int, bytes]:
        """Rows through the model's predict_proba (and the micro-batcher when it is on)."""
        try:
            probs = await self._infer(parsed.rows)
        except Exception as exc:
            return self._blame(exc)
        if not np.isfinite(probs).all():
            return 422, _error(_NON_FINITE)
        result = probs[0] if parsed.single else probs
        return 200, orjson.dumps(
            {"probabilities": result, "model_version": version}, option=_NUMPY, default=_as_list
        )

    def _plain_answer(self, parsed: ParsedRows, version: str) -> tuple[int, bytes] | None:
        """One parsed row through the model's plain-float path, no numpy; None: no such path.

        The single-row hot path: the array construction, the numpy finite check and the
        numpy encoding each cost more than the 16-term dot product itself.
        """
        if parsed.row is None or self._predict_row is None or self.batcher is not None:
            return None
        try:
            probs = self._predict_row(parsed.row)
        except Exception as exc:
            return self._blame(exc)
        if probs is None:
            return None
        if not all(map(math.isfinite, probs)):
            return 422, _error(_NON_FINITE)
        return 200, orjson.dumps({"probabilities": probs, "model_version": version})

    def _blame(self, exc: Exception) -> tuple[int, bytes]:
        """422 when the model scores a neutral row but not these finite ones (they overflow
        it: 1e308 to a model that sums features); 500 when the model itself is broken."""
        try:
            self.predictor.predict_proba(np.zeros((1, self.predictor.n_features)))
        except Exception:
            return 500, _error(f"model failed: {type(exc).__name__}")
        return 422, _error(f"features outside the range the model can score ({type(exc).__name__})")

    async def _infer(self, rows: NDArray[np.float64]) -> NDArray[np.float64]:
        if self.batcher is not None:
            return await self.batcher.predict(rows)
        return self.predictor.predict_proba(rows)

    def _arm_crash(self) -> None:
        # A debug fault: the server dies mid-run, as an OOM kill would end it.
        self._crash_armed = True
        assert self.config.crash_at_s is not None
        asyncio.get_running_loop().call_later(self.config.crash_at_s, os._exit, 3)

    def _maybe_stall(self, now_ns: int) -> None:
        # A debug fault: one stop-the-world pause, as a GC or a swap storm would cause.
        if self._stalled:
            return
        if self._started_ns is None:
            self._started_ns = now_ns
        assert self.config.stall_at_s is not None
        if now_ns - self._started_ns >= self.config.stall_at_s * 1e9:
            self._stalled = True
            time.sleep(self.config.stall_for_s)


async def _constant(scope: Scope, receive: Receive, send: Send) -> None:
    """POST /noop: read the body, answer a constant; the stack's ceiling for /predict."""
    try:
        await _read_body(receive, 1 << 20)
    except BadRequestError as exc:
        await _send_json(send, exc.status, _error(exc.message))
        return
    await _send_json(send, 200, _CONSTANT)


class _FastFront:
    """POSTs to the hot endpoints go straight to them; everything else through Starlette.

    Starlette's middleware and router cost several microseconds a request, a few percent
    of capacity at thousands of requests a second; the hot endpoints need none of it
    (they answer their own errors), and other methods on their paths still get
    Starlette's 405.
    """

    def __init__(self, hot: dict[str, ASGIApp], app: Starlette) -> None:
        self.hot = hot
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http" and scope["method"] == "POST":
            endpoint = self.hot.get(scope["path"])
            if endpoint is not None:
                await endpoint(scope, receive, send)
                return
        await self.app(scope, receive, send)


def create_app(
    predictor: Predictor,
    config: ServerConfig | None = None,
    *,
    service: ServiceModel | None = None,
    clock: Clock = time.perf_counter_ns,
) -> ASGIApp:
    """The ASGI app serving ``predictor``; ``service`` adds the cloud's behaviour."""
    cfg = config or ServerConfig()
    kind = "cloud" if service is not None else "local"
    metrics = ServerMetrics(model_version=predictor.version, kind=kind)
    predict = _PredictEndpoint(predictor, cfg, metrics, service, clock)

    async def health(_: Request) -> JSONResponse:
        return JSONResponse(
            {
                "status": "ok",
                "kind": kind,
                "model_version": predictor.version,
                "n_features": predictor.n_features,
            }
        )

    async def metrics_view(_: Request) -> JSONResponse:
        data = metrics.snapshot()
        if predict.batcher is not None:
            data["batching"] = {
                "batches": predict.batcher.stats.batches,
                "rows": predict.batcher.stats.rows,
            }
        if service is not None:
            data["cloud"] = service.snapshot()
        return JSONResponse(data)

    routes = [
        Route("/predict", predict, methods=["POST"]),
        Route("/noop", _constant, methods=["POST"]),
        Route("/health", health, methods=["GET"]),
        Route("/metrics", metrics_view, methods=["GET"]),
    ]
    return _FastFront({"/predict": predict, "/noop": _constant}, Starlette(routes=routes))
