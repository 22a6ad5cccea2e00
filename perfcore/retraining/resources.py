"""Resource checks before a retrain: memory available and CPU busy, from psutil."""

from __future__ import annotations

from dataclasses import dataclass

__all__ = ["Resources", "system_resources"]


@dataclass(frozen=True)
class Resources:
    """What the machine has free right now."""

    available_mb: float
    cpu_percent: float


def system_resources() -> Resources:
    """Available memory and CPU use since the previous call (psutil)."""
    import psutil

    return Resources(psutil.virtual_memory().available / 1e6, psutil.cpu_percent(interval=None))
