"""ResourceMonitor: a background sampler of CPU, memory, disk, network and GPU use.

One daemon thread takes a :class:`Sample` every ``interval_s`` into a bounded buffer.
Per sample it reads the watched process once (``psutil.Process.oneshot``), the system
CPU times, and the system disk and network counters; CPU percentages are computed
from deltas the monitor keeps itself, so other users of ``psutil.cpu_percent`` do not
disturb them. The thread measures its own CPU time (``time.thread_time``), so the
monitor can say what it costs (:attr:`MonitorSummary.overhead`).

GPU utilisation and memory come from NVML (``pynvml``) when it imports, else from one
long-running ``nvidia-smi -lms`` process when that command exists (never one process
per sample), else they are ``None``.

Alert rules fire when a metric stays past a threshold for ``for_samples`` samples in
a row, then keep quiet for ``cooldown_s``; alerts go to the log and to callbacks.
Richer alerting (rate of change, z-score, channels, escalation) is
:class:`perfcore.optimisation.AlertManager`, fed every sample through
:meth:`ResourceMonitor.add_sample_callback`.
"""

from __future__ import annotations

import logging
import math
import threading
import time
from collections import deque
from collections.abc import Callable, Iterable
from dataclasses import dataclass, fields
from types import TracebackType

import psutil

from perfcore.instrument._gpu import GpuProbe, open_gpu_probe

__all__ = ["Alert", "AlertRule", "MetricSummary", "MonitorSummary", "ResourceMonitor", "Sample"]

_log = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class Sample:
    """One reading; counters are cumulative since boot, GPU fields None without a GPU."""

    t: float
    process_cpu_percent: float
    system_cpu_percent: float
    rss_bytes: int
    disk_read_bytes: int
    disk_write_bytes: int
    net_sent_bytes: int
    net_recv_bytes: int
    gpu_util_percent: float | None
    gpu_memory_bytes: int | None


METRICS = tuple(f.name for f in fields(Sample) if f.name != "t")


@dataclass(frozen=True)
class AlertRule:
    """Fire when ``metric`` is past ``threshold`` for ``for_samples`` samples in a row."""

    metric: str
    threshold: float
    above: bool = True
    for_samples: int = 3
    cooldown_s: float = 60.0

    def __post_init__(self) -> None:
        if self.metric not in METRICS:
            raise ValueError(f"unknown metric {self.metric!r}; one of {', '.join(METRICS)}")
        if self.for_samples < 1 or self.cooldown_s < 0:
            raise ValueError("for_samples must be >= 1 and cooldown_s >= 0")

    def breached(self, value: float) -> bool:
        """Whether ``value`` is past the threshold in this rule's direction."""
        return value > self.threshold if self.above else value < self.threshold


@dataclass(frozen=True)
class Alert:
    """A rule that fired, with the value that made it fire."""

    rule: AlertRule
    value: float
    t: float

    def message(self) -> str:
        """One line for the log."""
        side = ">" if self.rule.above else "<"
        return (
            f"{self.rule.metric} = {self.value:g} {side} {self.rule.threshold:g} "
            f"for {self.rule.for_samples} samples"
        )


@dataclass(frozen=True)
class MetricSummary:
    """Mean and peak of one metric over the kept samples."""

    mean: float
    peak: float


@dataclass(frozen=True)
class MonitorSummary:
    """Means and peaks per metric, and what the sampler itself cost."""

    samples: int
    duration_s: float
    metrics: dict[str, MetricSummary]
    sampler_cpu_s: float

    @property
    def overhead(self) -> float:
        """Sampler CPU time over wall time: the fraction of one core the monitor used."""
        return self.sampler_cpu_s / self.duration_s if self.duration_s > 0 else 0.0


class ResourceMonitor:
    """Samples resource use in a background thread; use it as a context manager."""

    def __init__(
        self,
        interval_s: float = 1.0,
        *,
        max_samples: int = 3600,
        rules: Iterable[AlertRule] = (),
        callbacks: Iterable[Callable[[Alert], None]] = (),
        pid: int | None = None,
        gpu: bool | None = None,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        if interval_s <= 0 or max_samples < 1:
            raise ValueError("interval_s must be > 0 and max_samples >= 1")
        self.interval_s = interval_s
        self.rules = tuple(rules)
        self._callbacks = list(callbacks)
        self._sample_callbacks: list[Callable[[Sample], None]] = []
        self._clock = clock
        self._process = psutil.Process(pid)
        self._gpu_wanted = gpu
        self._gpu: GpuProbe | None = None
        self._samples: deque[Sample] = deque(maxlen=max_samples)
        self._alerts: list[Alert] = []
        self._streaks = [0] * len(self.rules)
        self._last_fired = [-math.inf] * len(self.rules)
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._sampler_cpu_s = 0.0
        self._span = (0.0, 0.0)
        times = self._process.cpu_times()
        self._last_cpu = (self._clock(), times.user + times.system, *_system_cpu())

    def start(self) -> ResourceMonitor:
        """Start sampling in a daemon thread."""
        if self._thread is not None:
            raise RuntimeError("monitor already started")
        if self._gpu_wanted is not False:
            self._gpu = open_gpu_probe(self.interval_s)
        self._stop.clear()
        times = self._process.cpu_times()
        self._last_cpu = (self._clock(), times.user + times.system, *_system_cpu())
        self._span = (self._clock(), self._clock())
        self._thread = threading.Thread(target=self._loop, name="perfcore-monitor", daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        """Stop sampling and wait for the thread; idempotent."""
        self._stop.set()
        if self._thread is not None:
            self._thread.join()
            self._thread = None
            self._span = (self._span[0], self._clock())
        if self._gpu is not None:
            self._gpu.close()
            self._gpu = None

    def __enter__(self) -> ResourceMonitor:
        return self.start()

    def __exit__(
        self, kind: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.stop()

    def add_callback(self, callback: Callable[[Alert], None]) -> None:
        """Call ``callback`` with every alert from now on."""
        self._callbacks.append(callback)

    def add_sample_callback(self, callback: Callable[[Sample], None]) -> None:
        """Call ``callback`` with every sample from now on (an alert manager's feed)."""
        self._sample_callbacks.append(callback)

    def sample(self) -> Sample:
        """Take one sample now, store it and evaluate the alert rules."""
        now = self._clock()
        proc = self._process
        with proc.oneshot():
            times = proc.cpu_times()
            rss = proc.memory_info().rss
        last_t, last_proc, last_busy, last_total = self._last_cpu
        busy, total = _system_cpu()
        proc_cpu = times.user + times.system
        wall = now - last_t
        self._last_cpu = (now, proc_cpu, busy, total)
        disk = psutil.disk_io_counters()
        net = psutil.net_io_counters()
        gpu_util, gpu_mem = self._gpu.read() if self._gpu is not None else (None, None)
        record = Sample(
            t=now,
            process_cpu_percent=100.0 * (proc_cpu - last_proc) / wall if wall > 0 else 0.0,
            system_cpu_percent=_percent(busy - last_busy, total - last_total),
            rss_bytes=rss,
            disk_read_bytes=disk.read_bytes if disk is not None else 0,
            disk_write_bytes=disk.write_bytes if disk is not None else 0,
            net_sent_bytes=net.bytes_sent,
            net_recv_bytes=net.bytes_recv,
            gpu_util_percent=gpu_util,
            gpu_memory_bytes=gpu_mem,
        )
        with self._lock:
            self._samples.append(record)
        self._check_rules(record)
        for callback in list(self._sample_callbacks):
            try:
                callback(record)
            except Exception:  # a broken listener must not stop the sampler
                _log.exception("resource sample callback failed")
        return record

    def samples(self) -> tuple[Sample, ...]:
        """The kept samples, oldest first."""
        with self._lock:
            return tuple(self._samples)

    def alerts(self) -> tuple[Alert, ...]:
        """Every alert fired so far."""
        with self._lock:
            return tuple(self._alerts)

    @property
    def sampler_cpu_s(self) -> float:
        """CPU seconds the sampling thread has used."""
        return self._sampler_cpu_s

    def summary(self) -> MonitorSummary:
        """Mean and peak of each metric that has values, and the sampler's own cost."""
        kept = self.samples()
        metrics: dict[str, MetricSummary] = {}
        for name in METRICS:
            values = [v for v in (getattr(s, name) for s in kept) if v is not None]
            if values:
                metrics[name] = MetricSummary(sum(values) / len(values), max(values))
        end = self._clock() if self._thread is not None else self._span[1]
        return MonitorSummary(len(kept), end - self._span[0], metrics, self._sampler_cpu_s)

    def _loop(self) -> None:
        cpu0 = time.thread_time()
        due = self._clock()
        while not self._stop.is_set():
            try:
                self.sample()
            except psutil.Error as exc:  # the watched process ended: nothing more to see
                _log.warning("resource monitor stopped: %s", exc)
                break
            self._sampler_cpu_s = time.thread_time() - cpu0
            due += self.interval_s
            self._stop.wait(max(0.0, due - self._clock()))
        self._sampler_cpu_s = time.thread_time() - cpu0

    def _check_rules(self, record: Sample) -> None:
        for i, rule in enumerate(self.rules):
            value = getattr(record, rule.metric)
            if value is None or not rule.breached(value):
                self._streaks[i] = 0
                continue
            self._streaks[i] += 1
            if self._streaks[i] < rule.for_samples:
                continue
            if record.t - self._last_fired[i] < rule.cooldown_s:
                continue
            self._last_fired[i] = record.t
            self._fire(Alert(rule, float(value), record.t))

    def _fire(self, alert: Alert) -> None:
        with self._lock:
            self._alerts.append(alert)
        _log.warning("resource alert: %s", alert.message())
        for callback in list(self._callbacks):
            try:
                callback(alert)
            except Exception:  # a broken callback must not stop the sampler
                _log.exception("resource alert callback failed")


def _system_cpu() -> tuple[float, float]:
    """Busy and total CPU seconds of the whole machine, all cores."""
    system = psutil.cpu_times()
    total = sum(system)
    return total - system.idle - getattr(system, "iowait", 0.0), total


def _percent(part: float, whole: float) -> float:
    return 100.0 * part / whole if whole > 0 else 0.0
