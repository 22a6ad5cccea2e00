"""The ``profiled`` decorator: wall time, CPU time and call count per function.

Profiling is decided when a function is decorated: with profiling disabled (the
default, unless ``PERFCORE_PROFILE=1`` is set in the environment), ``profiled``
returns the function itself, so a disabled profile costs nothing at call time. Call
:func:`enable_profiling` before the decorated modules are imported to profile them.

CPU time is the calling thread's (``time.thread_time_ns``), so work done by other
threads during the call is not charged to it. Statistics go to a
:class:`ProfileRegistry` (the module's default one unless another is given).
"""

from __future__ import annotations

import functools
import os
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import ParamSpec, TypeVar, overload

__all__ = [
    "ProfileRegistry",
    "ProfileStats",
    "default_registry",
    "disable_profiling",
    "enable_profiling",
    "profiled",
    "profiling_enabled",
]

P = ParamSpec("P")
R = TypeVar("R")
Clock = Callable[[], int]

_enabled = os.environ.get("PERFCORE_PROFILE", "") not in ("", "0")


@dataclass(frozen=True)
class ProfileStats:
    """Totals for one profiled function."""

    name: str
    calls: int
    wall_s: float
    cpu_s: float

    @property
    def mean_wall_s(self) -> float:
        """Wall time per call (0.0 before the first call)."""
        return self.wall_s / self.calls if self.calls else 0.0


class ProfileRegistry:
    """Thread-safe totals per function name; clocks are injectable nanosecond counters."""

    def __init__(
        self, wall: Clock = time.perf_counter_ns, cpu: Clock = time.thread_time_ns
    ) -> None:
        self.wall = wall
        self.cpu = cpu
        self._lock = threading.Lock()
        self._totals: dict[str, list[int]] = {}

    def record(self, name: str, wall_ns: int, cpu_ns: int) -> None:
        """Add one call of ``name``."""
        with self._lock:
            totals = self._totals.setdefault(name, [0, 0, 0])
            totals[0] += 1
            totals[1] += wall_ns
            totals[2] += cpu_ns

    def stats(self) -> tuple[ProfileStats, ...]:
        """Snapshot of every function's totals, by name."""
        with self._lock:
            items = sorted((k, list(v)) for k, v in self._totals.items())
        return tuple(ProfileStats(k, c, w / 1e9, u / 1e9) for k, (c, w, u) in items)

    def reset(self) -> None:
        """Forget every total."""
        with self._lock:
            self._totals.clear()


default_registry = ProfileRegistry()


def enable_profiling() -> None:
    """Profile functions decorated from now on."""
    global _enabled  # noqa: PLW0603 - one process-wide switch, read once per decoration
    _enabled = True


def disable_profiling() -> None:
    """Leave functions decorated from now on unwrapped."""
    global _enabled  # noqa: PLW0603 - see enable_profiling
    _enabled = False


def profiling_enabled() -> bool:
    """Whether ``profiled`` wraps functions right now."""
    return _enabled


@overload
def profiled(func: Callable[P, R], /) -> Callable[P, R]: ...


@overload
def profiled(
    *, name: str | None = None, registry: ProfileRegistry | None = None, force: bool = False
) -> Callable[[Callable[P, R]], Callable[P, R]]: ...


def profiled(
    func: Callable[P, R] | None = None,
    /,
    *,
    name: str | None = None,
    registry: ProfileRegistry | None = None,
    force: bool = False,
) -> Callable[P, R] | Callable[[Callable[P, R]], Callable[P, R]]:
    """Record wall time, CPU time and calls of the function; a no-op unless enabled or forced."""

    def decorate(target: Callable[P, R]) -> Callable[P, R]:
        if not (force or _enabled):
            return target
        return _wrap(target, name or target.__qualname__, registry or default_registry)

    return decorate(func) if func is not None else decorate


def _wrap(target: Callable[P, R], label: str, registry: ProfileRegistry) -> Callable[P, R]:
    wall, cpu, record = registry.wall, registry.cpu, registry.record

    @functools.wraps(target)
    def wrapper(*args: P.args, **kwargs: P.kwargs) -> R:
        wall0, cpu0 = wall(), cpu()
        try:
            return target(*args, **kwargs)
        finally:
            record(label, wall() - wall0, cpu() - cpu0)

    return wrapper
