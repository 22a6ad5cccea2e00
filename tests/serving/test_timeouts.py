"""A client that stalls mid-body is answered 408 instead of holding its request open."""

import asyncio
import json

from perfcore.serving.app import ServerConfig, create_app
from perfcore.serving.model import synthetic_predictor


def test_stalled_body_is_answered_408() -> None:
    """Half a body and then silence: 408 after the body timeout, not a hang."""
    app = create_app(synthetic_predictor(n_features=4), ServerConfig(body_timeout_s=0.2))
    sent: list[dict] = []
    messages = [{"type": "http.request", "body": b'{"features": [', "more_body": True}]

    async def receive() -> dict:
        if messages:
            return messages.pop()
        await asyncio.sleep(3600)  # the rest of the body never comes
        raise AssertionError("unreachable")

    async def send(message: dict) -> None:
        sent.append(message)

    scope = {
        "type": "http",
        "method": "POST",
        "path": "/predict",
        "headers": [],
        "query_string": b"",
        "root_path": "",
    }
    asyncio.run(asyncio.wait_for(app(scope, receive, send), timeout=30))
    assert sent[0]["status"] == 408
    assert "body not received" in json.loads(sent[1]["body"])["error"]
