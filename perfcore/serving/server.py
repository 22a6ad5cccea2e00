"""Run a server (local or simulated cloud) under uvicorn from a typed, JSON-able spec."""

from __future__ import annotations

import importlib.util
import json
import socket
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any, Literal

from perfcore.errors import InputError, ServiceError
from perfcore.serving.app import ServerConfig, create_app
from perfcore.serving.cloud import CloudModel, CloudSimulator
from perfcore.serving.limits import SHUTDOWN_TIMEOUT_S
from perfcore.serving.model import Predictor, load_predictor, synthetic_predictor

__all__ = ["ServerSpec", "build_app", "listen", "run_server"]

Kind = Literal["local", "cloud"]


@dataclass(frozen=True)
class ServerSpec:
    """Everything a server process needs; ``model_dir=None`` serves a small synthetic model."""

    kind: Kind = "local"
    model_dir: str | None = "models/current"
    config: ServerConfig = field(default_factory=ServerConfig)
    cloud: CloudModel = field(default_factory=CloudModel)
    host: str = "127.0.0.1"
    port: int = 8000
    fast_path: bool = True  # False: every prediction goes through sklearn's predict_proba
    reload_ms: int = 500  # follow a promotion or rollback in model_dir (0: load once)
    precision: str = "float64"  # a perfcore.optimisation precision variant of the model

    def to_json(self) -> str:
        """One-line JSON, for a child process's argv."""
        return json.dumps(asdict(self))

    @classmethod
    def from_json(cls, text: str) -> ServerSpec:
        """Inverse of :meth:`to_json`; unknown keys are errors."""
        try:
            data: dict[str, Any] = json.loads(text)
            return cls(
                **{
                    **data,
                    "config": ServerConfig(**data.get("config", {})),
                    "cloud": CloudModel(**data.get("cloud", {})),
                }
            )
        except (TypeError, ValueError) as exc:
            raise InputError(f"invalid server spec: {exc}") from None


def _predictor(spec: ServerSpec) -> Predictor:
    if spec.model_dir is None:
        predictor = synthetic_predictor(fast=spec.fast_path)
    elif spec.reload_ms > 0 and spec.precision == "float64":
        # A precision variant is gated once, at start: it is not swapped under reload.
        from perfcore.serving.reload import ReloadingPredictor

        return ReloadingPredictor(
            Path(spec.model_dir), fast=spec.fast_path, interval_s=spec.reload_ms / 1000
        )
    else:
        predictor = load_predictor(Path(spec.model_dir), fast=spec.fast_path)
    if spec.precision == "float64":
        return predictor
    # The one hook to choose the predictor: the caller (perfcore serve, perfcore tune)
    # has already run the variant through the promotion gate.
    from perfcore.serving.precision import make_variant

    return make_variant(predictor, spec.precision)


def build_app(spec: ServerSpec) -> Any:
    """The ASGI app a spec describes."""
    service = CloudSimulator(spec.cloud) if spec.kind == "cloud" else None
    return create_app(_predictor(spec), spec.config, service=service)


def _fast_options() -> tuple[str, str]:
    # httptools and uvloop roughly double uvicorn's request rate when present.
    has = importlib.util.find_spec
    return ("uvloop" if has("uvloop") else "asyncio", "httptools" if has("httptools") else "h11")


def listen(host: str, port: int) -> socket.socket:
    """A listening TCP socket bound to ``host:port`` (port 0: the kernel picks a free one)."""
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    try:
        sock.bind((host, port))
    except OSError as exc:
        sock.close()
        raise ServiceError(f"cannot bind {host}:{port}: {exc.strerror}") from None
    sock.listen(4096)
    return sock


def run_server(
    spec: ServerSpec, *, fd: int | None = None, announce: Callable[[int], None] | None = None
) -> None:
    """Serve until SIGTERM/SIGINT; ``fd`` is an already-bound listening socket to adopt.

    The model is loaded and the port bound before ``announce(port)`` is called, so
    nothing says "serving" for a server that cannot serve.
    """
    import uvicorn

    app = build_app(spec)
    sock = socket.socket(fileno=fd) if fd is not None else listen(spec.host, spec.port)
    loop, http = _fast_options()
    # timeout_graceful_shutdown: on SIGTERM, a request whose client stalls mid-body is
    # cancelled after this long instead of keeping the process alive.
    config = uvicorn.Config(
        app,
        host=spec.host,
        port=spec.port,
        lifespan="off",
        log_level="warning",
        access_log=False,
        backlog=4096,
        loop=loop,
        http=http,
        timeout_graceful_shutdown=SHUTDOWN_TIMEOUT_S,
        # Loopback only: no proxy in front to trust, no banner to send.
        proxy_headers=False,
        server_header=False,
    )
    server = uvicorn.Server(config)
    if announce is not None:
        announce(int(sock.getsockname()[1]))
    server.run(sockets=[sock])
