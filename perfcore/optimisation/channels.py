"""Where alert notifications go: the log, a webhook, or a command run with a fixed argv.

A channel's ``send`` either returns (delivered) or raises :class:`DeliveryError`;
the alert manager keeps failed notifications and retries them with bounded backoff,
so a channel never needs to retry by itself and never blocks longer than its timeout.
"""

from __future__ import annotations

import json
import logging
import subprocess
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Protocol
from urllib.parse import urlsplit

import httpx

from perfcore.errors import ConfigError, ServiceError

__all__ = ["Channel", "CommandChannel", "DeliveryError", "LogChannel", "WebhookChannel"]


class DeliveryError(ServiceError):
    """A channel could not deliver a notification (the manager will retry it)."""


class Channel(Protocol):
    """A destination for notifications."""

    @property
    def name(self) -> str:
        """A short name for statistics."""
        ...

    def send(self, payload: dict[str, Any]) -> None:
        """Deliver one notification or raise DeliveryError."""
        ...


@dataclass(frozen=True)
class LogChannel:
    """Notifications as WARNING (or ERROR when critical) lines in a logger."""

    logger: str = "perfcore.alerts"
    name: str = "log"

    def send(self, payload: dict[str, Any]) -> None:
        """Log the notification's message."""
        level = logging.ERROR if payload.get("severity") == "critical" else logging.WARNING
        logging.getLogger(self.logger).log(
            level,
            "alert %s [%s]: %s",
            payload.get("rule"),
            payload.get("severity"),
            payload.get("message"),
        )


@dataclass(frozen=True)
class WebhookChannel:
    """POST the notification as JSON; any status outside 2xx is a failed delivery."""

    url: str
    timeout_s: float = 2.0
    name: str = "webhook"

    def __post_init__(self) -> None:
        parts = urlsplit(self.url)
        if parts.scheme not in ("http", "https") or not parts.hostname:
            raise ConfigError(f"webhook URL must be http(s)://host/..., got {self.url!r}")
        if not 0 < self.timeout_s <= 60:
            raise ConfigError("webhook timeout must lie in (0, 60] seconds")

    def send(self, payload: dict[str, Any]) -> None:
        """One POST; raises DeliveryError on a connection failure or a non-2xx answer."""
        try:
            response = httpx.post(self.url, json=payload, timeout=self.timeout_s)
        except httpx.HTTPError as exc:
            raise DeliveryError(f"webhook {self.url}: {type(exc).__name__}") from None
        if not 200 <= response.status_code < 300:
            raise DeliveryError(f"webhook {self.url}: HTTP {response.status_code}")


@dataclass(frozen=True)
class CommandChannel:
    """Run ``argv`` (no shell) with the notification as JSON on stdin; exit 0 is delivered."""

    argv: tuple[str, ...]
    timeout_s: float = 5.0
    name: str = "command"

    def __post_init__(self) -> None:
        if not self.argv or not all(isinstance(a, str) and a for a in self.argv):
            raise ConfigError("command hook needs a non-empty argv of non-empty strings")
        if not 0 < self.timeout_s <= 60:
            raise ConfigError("command hook timeout must lie in (0, 60] seconds")

    @classmethod
    def of(cls, argv: Sequence[str], timeout_s: float = 5.0) -> CommandChannel:
        """Build from any sequence of strings."""
        return cls(tuple(argv), timeout_s)

    def send(self, payload: dict[str, Any]) -> None:
        """Run the command once; a non-zero exit, a time-out or a missing program fails."""
        try:
            done = subprocess.run(
                list(self.argv),
                input=json.dumps(payload).encode(),
                capture_output=True,
                timeout=self.timeout_s,
                check=False,
                shell=False,
            )
        except (OSError, subprocess.TimeoutExpired) as exc:
            raise DeliveryError(f"command hook {self.argv[0]}: {type(exc).__name__}") from None
        if done.returncode != 0:
            raise DeliveryError(f"command hook {self.argv[0]}: exit {done.returncode}")
