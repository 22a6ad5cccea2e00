"""A client for a real remote inference endpoint, and the same client behind an LLMCache.

The endpoint speaks the local server's API (``POST /predict``). Its key is read from
an environment variable at construction and sent as a bearer token; it is never
logged, never part of ``repr`` and never written to results.
"""

from __future__ import annotations

import json
import os
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import httpx

from perfcore.components.cache import LLMCache
from perfcore.errors import ConfigError, ServiceError

__all__ = ["API_KEY_ENV", "CachedRemoteClient", "RemoteClient", "RemoteReply"]

API_KEY_ENV = "PERFCORE_REMOTE_API_KEY"


@dataclass(frozen=True)
class RemoteReply:
    """One answer: HTTP status, parsed JSON body (None if not JSON), and whether it was cached."""

    status: int
    body: Any
    cached: bool = False


@dataclass
class RemoteClient:
    """``POST {url}/predict`` with a bearer key taken from ``key_env``."""

    url: str
    key_env: str = API_KEY_ENV
    timeout_s: float = 10.0
    transport: httpx.BaseTransport | None = field(default=None, repr=False)
    _client: httpx.Client = field(init=False, repr=False)

    def __post_init__(self) -> None:
        if not self.url.startswith(("http://", "https://")):
            raise ConfigError(f"remote URL must start with http:// or https://, got {self.url!r}")
        headers = {"content-type": "application/json"}
        key = os.environ.get(self.key_env)
        if key:
            headers["authorization"] = f"Bearer {key}"
        self._client = httpx.Client(
            base_url=self.url.rstrip("/"),
            headers=headers,
            timeout=self.timeout_s,
            transport=self.transport,
        )

    def post(self, body: bytes) -> RemoteReply:
        """Send one raw JSON body to /predict."""
        try:
            response = self._client.post("/predict", content=body)
        except httpx.HTTPError as exc:
            raise ServiceError(f"remote endpoint {self.url}: {type(exc).__name__}") from None
        try:
            parsed = response.json()
        except ValueError:
            parsed = None
        return RemoteReply(status=response.status_code, body=parsed)

    def predict(self, rows: Sequence[Sequence[float]]) -> RemoteReply:
        """Probabilities for ``rows`` (a batch request)."""
        return self.post(json.dumps({"instances": [list(r) for r in rows]}).encode())

    def close(self) -> None:
        """Release the connection pool."""
        self._client.close()


@dataclass
class CachedRemoteClient:
    """A :class:`RemoteClient` with an :class:`LLMCache` in front; only 200 answers are kept."""

    remote: RemoteClient
    cache: LLMCache = field(default_factory=lambda: LLMCache(max_entries=10_000))

    def post(self, body: bytes) -> RemoteReply:
        """A cached answer when the same body was answered before, else the remote's."""
        key = body.decode("utf-8", errors="replace")
        hit = self.cache.get(key)
        if hit is not None:
            return RemoteReply(status=200, body=json.loads(hit), cached=True)
        reply = self.remote.post(body)
        if reply.status == 200 and reply.body is not None:
            self.cache.put(key, json.dumps(reply.body))
        return reply

    def backend_calls_saved(self) -> int:
        """Requests answered from the cache instead of the remote."""
        return int(self.cache.stats().backend_calls_saved)
