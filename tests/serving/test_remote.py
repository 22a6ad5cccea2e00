"""The remote client sends the key from the environment, never shows it, and can be cached."""

import json

import httpx
import pytest

from perfcore.errors import ConfigError
from perfcore.serving.remote import API_KEY_ENV, CachedRemoteClient, RemoteClient


def _transport(seen: list[httpx.Request]) -> httpx.MockTransport:
    def handle(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        return httpx.Response(200, json={"probabilities": [0.25, 0.75]})

    return httpx.MockTransport(handle)


def test_key_is_sent_but_never_in_repr(monkeypatch: pytest.MonkeyPatch) -> None:
    """The bearer key from the env var reaches the server and never the client's repr."""
    monkeypatch.setenv(API_KEY_ENV, "s3cret-key")
    seen: list[httpx.Request] = []
    client = RemoteClient("https://example.invalid", transport=_transport(seen))
    reply = client.predict([[1.0, 2.0]])
    assert reply.status == 200
    assert seen[0].headers["authorization"] == "Bearer s3cret-key"
    assert "s3cret" not in repr(client)


def test_cache_in_front_saves_backend_calls(monkeypatch: pytest.MonkeyPatch) -> None:
    """Repeated bodies are answered from the LLMCache; the backend sees each body once."""
    monkeypatch.delenv(API_KEY_ENV, raising=False)
    seen: list[httpx.Request] = []
    cached = CachedRemoteClient(RemoteClient("http://remote.invalid", transport=_transport(seen)))
    body = json.dumps({"features": [1.0, 2.0]}).encode()
    replies = [cached.post(body) for _ in range(5)]
    assert len(seen) == 1
    assert [r.cached for r in replies] == [False, True, True, True, True]
    assert cached.backend_calls_saved() == 4


def test_url_must_be_http() -> None:
    """A URL without http(s) is a configuration error."""
    with pytest.raises(ConfigError):
        RemoteClient("ftp://x")
