"""Server profiles: named server settings, built in or from ``[tool.perfcore.profiles]``.

Three are built in (``latency``, ``throughput``, ``balanced``); a project adds its own
as tables under ``[tool.perfcore.profiles]``, each optionally ``extends = "NAME"`` of
another (built in or custom), inheriting every key it does not set. Everything is
validated before any profile is used: an unknown key, an unknown parent, a cycle or a
bad value is a :class:`~perfcore.errors.ConfigError` (exit 2, one line).
"""

from __future__ import annotations

import os
import re
from collections.abc import Mapping
from dataclasses import asdict, dataclass, field
from typing import Any

from perfcore.errors import ConfigError
from perfcore.optimisation.precision import PRECISIONS

__all__ = [
    "BUILTIN_PROFILES",
    "Profile",
    "ServerSettings",
    "detect_system",
    "profile_toml",
    "recommend_profile",
    "resolve_profiles",
]

_NAME = re.compile(r"^[a-z][a-z0-9_-]{0,39}$")


@dataclass(frozen=True)
class ServerSettings:
    """The server configuration a profile sets and the tuner searches over."""

    workers: int = 1
    batch_rows: int = 0
    batch_wait_ms: float = 1.0
    precision: str = "float64"

    def __post_init__(self) -> None:
        if (
            isinstance(self.workers, bool)
            or not isinstance(self.workers, int)
            or not 1 <= self.workers <= 64
        ):
            raise ConfigError(f"workers must be a whole number in 1..64, got {self.workers!r}")
        if (
            isinstance(self.batch_rows, bool)
            or not isinstance(self.batch_rows, int)
            or not 0 <= self.batch_rows <= 4096
        ):
            raise ConfigError(
                f"batch_rows must be a whole number in 0..4096, got {self.batch_rows!r}"
            )
        if (
            isinstance(self.batch_wait_ms, bool)
            or not isinstance(self.batch_wait_ms, int | float)
            or not 0 <= self.batch_wait_ms <= 1000
        ):
            raise ConfigError(
                f"batch_wait_ms must be a number in 0..1000, got {self.batch_wait_ms!r}"
            )
        if self.precision not in PRECISIONS:
            raise ConfigError(
                f"precision must be one of {', '.join(PRECISIONS)}, got {self.precision!r}"
            )

    def label(self) -> str:
        """A short label such as ``w2 b16/2ms float32``."""
        batching = f"b{self.batch_rows}/{self.batch_wait_ms:g}ms" if self.batch_rows else "b0"
        return f"w{self.workers} {batching} {self.precision}"


@dataclass(frozen=True)
class Profile:
    """A named, fully resolved set of server settings."""

    name: str
    settings: ServerSettings
    description: str = ""
    chain: tuple[str, ...] = field(default=())  # this profile, its parent, ... up to a built-in


_SETTING_KEYS = ("workers", "batch_rows", "batch_wait_ms", "precision")
_KEYS = frozenset({*_SETTING_KEYS, "extends", "description"})

BUILTIN_PROFILES: dict[str, dict[str, Any]] = {
    # No batching: a request is answered as soon as it is parsed.
    "latency": {
        "description": "lowest latency: no micro-batching, full precision",
        "workers": 1,
        "batch_rows": 0,
        "batch_wait_ms": 0.0,
        "precision": "float64",
    },
    # Small batches that wait at most 1 ms: little added latency, fewer model calls.
    "balanced": {
        "description": "short micro-batches (8 rows, 1 ms), float32",
        "workers": 1,
        "batch_rows": 8,
        "batch_wait_ms": 1.0,
        "precision": "float32",
    },
    # Larger batches on two workers: the most requests per second at some latency cost.
    "throughput": {
        "description": "larger micro-batches (32 rows, 2 ms), two workers, float32",
        "workers": 2,
        "batch_rows": 32,
        "batch_wait_ms": 2.0,
        "precision": "float32",
    },
}


def _check_table(name: str, table: Any) -> dict[str, Any]:
    if not _NAME.match(name):
        raise ConfigError(
            f"[tool.perfcore.profiles]: bad profile name {name!r} "
            "(lower-case letters, digits, - and _, starting with a letter)"
        )
    if name in BUILTIN_PROFILES:
        raise ConfigError(
            f"[tool.perfcore.profiles.{name}]: {name!r} is built in; "
            f"make a new profile with extends = {name!r}"
        )
    if not isinstance(table, Mapping):
        raise ConfigError(f"[tool.perfcore.profiles]: {name} must be a table")
    unknown = sorted(set(table) - _KEYS)
    if unknown:
        raise ConfigError(
            f"[tool.perfcore.profiles.{name}]: unknown key(s) {', '.join(unknown)}"
            f"; known: {', '.join(sorted(_KEYS))}"
        )
    if "extends" in table and not isinstance(table["extends"], str):
        raise ConfigError(f"[tool.perfcore.profiles.{name}]: extends must be a profile name")
    return dict(table)


def _resolve_one(name: str, tables: Mapping[str, Mapping[str, Any]]) -> Profile:
    chain: list[str] = []
    current: str | None = name
    while current is not None:
        if current in chain:
            raise ConfigError(
                f"[tool.perfcore.profiles]: extends cycle {' -> '.join([*chain, current])}"
            )
        if current not in tables:
            raise ConfigError(
                f"[tool.perfcore.profiles.{chain[-1]}]: extends unknown profile {current!r}"
            )
        chain.append(current)
        parent = tables[current].get("extends")
        current = str(parent) if parent is not None else None
    merged: dict[str, Any] = {}
    for link in reversed(chain):
        merged.update({k: v for k, v in tables[link].items() if k != "extends"})
    try:
        settings = ServerSettings(**{k: merged[k] for k in _SETTING_KEYS if k in merged})
    except ConfigError as exc:
        raise ConfigError(f"[tool.perfcore.profiles.{name}]: {exc}") from None
    return Profile(name, settings, _description(name, chain, tables), tuple(chain))


def _description(name: str, chain: list[str], tables: Mapping[str, Mapping[str, Any]]) -> str:
    own = tables[name]
    if "description" in own or len(chain) == 1:
        return str(own.get("description", ""))
    # An inherited description would describe the parent's settings, not the changed ones.
    changed = ", ".join(f"{k} = {own[k]}" for k in sorted(own) if k in _SETTING_KEYS)
    return f"{chain[1]}" + (f" with {changed}" if changed else "")


def resolve_profiles(raw: Mapping[str, Any]) -> dict[str, Profile]:
    """The built-in profiles plus ``raw`` (the ``[tool.perfcore.profiles]`` table), resolved."""
    if not isinstance(raw, Mapping):
        raise ConfigError("[tool.perfcore.profiles] must be a table of tables")
    tables: dict[str, Mapping[str, Any]] = dict(BUILTIN_PROFILES)
    for name, table in raw.items():
        tables[name] = _check_table(str(name), table)
    return {name: _resolve_one(name, tables) for name in tables}


def detect_system() -> tuple[int, int]:
    """(usable CPU cores, total memory in bytes) of this machine."""
    import psutil

    try:
        cores = len(os.sched_getaffinity(0))
    except AttributeError:  # not Linux
        cores = os.cpu_count() or 1
    return cores, int(psutil.virtual_memory().total)


def recommend_profile(cores: int, memory_bytes: int) -> str:
    """The built-in profile that suits a machine of this size.

    Two workers need two cores of their own besides the load, and batches only pay
    when the model call is shared by several waiting requests: a small machine
    answers fastest unbatched.
    """
    if cores >= 4 and memory_bytes >= 4 << 30:
        return "throughput"
    if cores >= 2 and memory_bytes >= 1 << 30:
        return "balanced"
    return "latency"


def profile_toml(name: str, settings: ServerSettings, description: str = "") -> str:
    """A ``[tool.perfcore.profiles.NAME]`` table for pyproject.toml."""
    if not _NAME.match(name):
        raise ConfigError(f"bad profile name {name!r}")
    lines = [f"[tool.perfcore.profiles.{name}]"]
    if description:
        lines.append(f"description = {_toml_str(description)}")
    for key, value in asdict(settings).items():
        lines.append(f"{key} = {_toml_str(value) if isinstance(value, str) else value}")
    return "\n".join(lines) + "\n"


def _toml_str(text: str) -> str:
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"') + '"'
