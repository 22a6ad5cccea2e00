"""Run a server (local or simulated cloud) under uvicorn from a typed, JSON-able spec."""

from __future__ import annotations

import importlib.util
import json
import socket
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any, Literal

from perfcore.errors import InputError
from perfcore.serving.app import ServerConfig, create_app
from perfcore.serving.cloud import CloudModel, CloudSimulator
from perfcore.serving.model import Predictor, load_predictor, synthetic_predictor

__all__ = ["ServerSpec", "build_app", "run_server"]

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

    def to_json(self) -> str:
        """One-line JSON, for a child process's argv."""
        return json.dumps(asdict(self))

    @classmethod
    def from_json(cls, text: str) -> ServerSpec:
        """Inverse of :meth:`to_json`; unknown keys are errors."""
        try:
            data: dict[str, Any] = json.loads(text)
            return cls(**{**data, "config": ServerConfig(**data.get("config", {})),
                          "cloud": CloudModel(**data.get("cloud", {}))})
        except (TypeError, ValueError) as exc:
            raise InputError(f"invalid server spec: {exc}") from None


def _predictor(spec: ServerSpec) -> Predictor:
    if spec.model_dir is None:
        return synthetic_predictor(fast=spec.fast_path)
    return load_predictor(Path(spec.model_dir), fast=spec.fast_path)


def build_app(spec: ServerSpec) -> Any:
    """The ASGI app a spec describes."""
    service = CloudSimulator(spec.cloud) if spec.kind == "cloud" else None
    return create_app(_predictor(spec), spec.config, service=service)


def _fast_options() -> tuple[str, str]:
    # httptools and uvloop roughly double uvicorn's request rate when present.
    has = importlib.util.find_spec
    return ("uvloop" if has("uvloop") else "asyncio", "httptools" if has("httptools") else "h11")


def run_server(spec: ServerSpec, *, fd: int | None = None) -> None:
    """Serve until SIGTERM/SIGINT; ``fd`` is an already-bound listening socket to adopt."""
    import uvicorn

    app = build_app(spec)
    loop, http = _fast_options()
    config = uvicorn.Config(app, host=spec.host, port=spec.port, lifespan="off",
                            log_level="warning", access_log=False, backlog=4096,
                            loop=loop, http=http,
                            # Loopback only: no proxy in front to trust, no banner to send.
                            proxy_headers=False, server_header=False)
    server = uvicorn.Server(config)
    sockets = [socket.socket(fileno=fd)] if fd is not None else None
    server.run(sockets=sockets)
