"""``perfcore tune`` as a library call: the tuner of perfcore.optimisation, wired to real load.

:class:`ServerTarget` is the tuner's :class:`~perfcore.optimisation.tuning.LoadTarget`:
``apply`` (re)starts the server processes with a configuration (workers share one
listening socket on a free loopback port), ``run`` offers one open-loop step at a
rate with perfcore's generator and reports the corrected p99, the achieved rate,
the request and error counts. ``kind="cloud"`` serves through the simulated cloud
endpoint (its network delay, errors and rate limit) instead. Every step is bounded
in time and count; the servers are stopped when the target is closed, whatever
happened.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from types import TracebackType
from typing import Literal

import httpx

from perfcore.errors import ConfigError
from perfcore.load.openloop import OpenLoopConfig, run_open_loop
from perfcore.load.orchestrate import _bodies
from perfcore.load.runner import require_loopback
from perfcore.optimisation.alertmanager import AlertManager
from perfcore.optimisation.capacity import StepResult
from perfcore.optimisation.profiles import ServerSettings
from perfcore.serving.app import ServerConfig
from perfcore.serving.process import ServerProcess, start_workers
from perfcore.serving.server import ServerSpec

__all__ = ["ServerTarget", "StepSettings"]


@dataclass(frozen=True)
class StepSettings:
    """How each load step runs."""

    duration_s: float = 3.0
    connections: int = 32
    timeout_s: float = 2.0
    seed: int = 0
    max_rate: float = 20_000.0  # no step offers more than this, whatever the search asks

    def __post_init__(self) -> None:
        if not 0.5 <= self.duration_s <= 120 or not 1 <= self.connections <= 1024:
            raise ConfigError("step duration must lie in [0.5, 120] s and connections in 1..1024")


class ServerTarget:
    """Server processes on loopback, reconfigured by ``apply`` and loaded by ``run``."""

    def __init__(
        self,
        model_dir: str | None,
        workdir: Path,
        steps: StepSettings,
        *,
        alerts: AlertManager | None = None,
        kind: Literal["local", "cloud"] = "local",
        progress: Callable[[str], None] | None = None,
    ) -> None:
        self.kind: Literal["local", "cloud"] = kind
        self.model_dir = model_dir
        self.workdir = workdir
        self.steps = steps
        self.alerts = alerts
        self.progress = progress
        self.live: ServerSettings | None = None
        self.restarts = 0
        self._procs: list[ServerProcess] = []
        self._bodies: tuple[bytes, ...] = ()

    def __enter__(self) -> ServerTarget:
        return self

    def __exit__(
        self, kind: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.close()

    def close(self) -> None:
        """Stop every server process this target started."""
        for proc in self._procs:
            proc.stop()
        self._procs = []
        self.live = None

    def apply(self, settings: ServerSettings) -> None:
        """Restart the servers with ``settings`` unless they already run it."""
        if settings == self.live and all(p.alive() for p in self._procs):
            return
        self.close()
        config = ServerConfig(batch_rows=settings.batch_rows, batch_wait_ms=settings.batch_wait_ms)
        spec = ServerSpec(
            kind=self.kind,
            model_dir=self.model_dir,
            config=config,
            port=0,
            precision=settings.precision,
        )
        self._procs = start_workers(spec, self.workdir, settings.workers)
        require_loopback(self._procs[0].url)
        self.live = settings
        self.restarts += 1
        if not self._bodies:
            health = httpx.get(f"{self._procs[0].url}/health", timeout=5).json()
            self._bodies = _bodies(int(health["n_features"]), self.steps.seed)

    def run(self, rate: float) -> StepResult:
        """One open-loop step at ``rate`` requests/s against the live configuration."""
        if not self._procs or self.live is None:
            raise ConfigError("no configuration applied before a load step")
        rate = min(rate, self.steps.max_rate)
        s = self.steps
        cfg = OpenLoopConfig(
            url=f"{self._procs[0].url}/predict",
            bodies=self._bodies,
            rate=rate,
            duration_s=s.duration_s,
            max_requests=int(rate * s.duration_s) + 1,
            connections=s.connections,
            timeout_s=s.timeout_s,
            seed=s.seed,
        )
        rep = run_open_loop(cfg)
        errors = sum(rep.errors.values())
        hist = rep.corrected
        p99 = hist.get_value_at_percentile(99) / 1e6 if hist.get_total_count() else None
        p50 = hist.get_value_at_percentile(50) / 1e6 if hist.get_total_count() else None
        achieved = rep.sent / max(rep.send_span_s + 1.0 / rate, 1e-9)
        step = StepResult(rate, achieved, rep.sent, errors, p99, p50)
        if self.alerts is not None:
            self.alerts.observe_load(p99, errors / max(rep.sent, 1), rep.ok / s.duration_s)
        if self.progress is not None:
            self.progress(
                f"  {self.live.label():<24} {rate:8.0f}/s  p99 "
                f"{'-' if p99 is None else f'{p99 * 1e3:.1f} ms':>9}  "
                f"achieved {achieved:.0f}/s  errors {errors}"
            )
        if not all(p.alive() for p in self._procs):
            self.close()  # a dead worker: the next apply starts fresh ones
        return step
