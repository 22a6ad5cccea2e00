"""How busy the machine was while something was timed: foreign CPU, steal and frequency.

A :class:`DisturbanceProbe` is read before and after a measured stretch (one benchmark,
one pass, one round). From the system-wide CPU times and the CPU times of the
measuring process tree it derives, in cores averaged over the stretch:

* ``own_cores``: CPU used by this process and its children (a pool of workers counts);
* ``foreign_cores``: CPU used by every other process (system busy time minus ours and
  the kernel's);
* ``kernel_cores``: the kernel's own work, interrupts and kernel threads (on Linux, the
  children of ``kthreadd``): block-device writeback, journalling and loopback network
  that the measured work itself causes. An idle machine read 0.15-0.2 cores of it during
  the batch benchmark's fsyncs, which as foreign load made its slowdowns "disturbed";
* ``steal_cores``: time the hypervisor gave this guest's CPUs to someone else;
* ``freq_mhz``: the mean current CPU frequency at the two reads, where readable.

No thread and no sampling loop: two reads of ``/proc`` cost well under a millisecond,
so a probe can wrap every benchmark. Children that exited and were waited for are
counted through ``cpu_times().children_*``; children still alive are read directly.
"""

from __future__ import annotations

import math
import os
import time
from collections.abc import Callable, Mapping
from dataclasses import asdict, dataclass
from typing import Any

import psutil

__all__ = ["Disturbance", "DisturbanceProbe", "explainable_slowdown", "starved", "wait_for_quiet"]

# psutil's system-wide fields that are not work: idle, and waiting for I/O (not CPU use).
_NOT_BUSY = frozenset({"idle", "iowait", "guest", "guest_nice"})
# A foreign process on another core still slows a timed one: shared caches, memory
# bandwidth and a lower turbo frequency. Up to this fraction per core of foreign load
# is taken as explainable interference (see docs/disturbance.md for the measurement).
INTERFERENCE_PER_CORE = 0.15
# The resolution of the CPU counters, per core: two ticks of USER_HZ (100 Hz).
TICK_SLACK_S = 0.02
# Foreign CPU below this (cores) makes a reading quiet: its own CPU is the work's demand.
QUIET_CORES = 0.25


@dataclass(frozen=True)
class Disturbance:
    """What the machine did during one measured stretch (cores are averages over it)."""

    wall_s: float
    own_cores: float
    foreign_cores: float
    steal_cores: float
    cores: int
    freq_mhz: float | None
    kernel_cores: float = 0.0

    @property
    def foreign_share(self) -> float:
        """Foreign CPU as a fraction of the whole machine (0: quiet, 1: every core busy)."""
        return self.foreign_cores / self.cores if self.cores else 0.0

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready form (rounded: these are coarse readings)."""
        return {k: (round(v, 4) if isinstance(v, float) else v) for k, v in asdict(self).items()}

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Disturbance:
        """Read :meth:`to_dict`'s form back; raises ValueError/TypeError on bad values."""
        freq = data.get("freq_mhz")
        return cls(
            wall_s=float(data["wall_s"]),
            own_cores=float(data["own_cores"]),
            foreign_cores=float(data["foreign_cores"]),
            steal_cores=float(data["steal_cores"]),
            cores=int(data["cores"]),
            freq_mhz=None if freq is None else float(freq),
            kernel_cores=float(data.get("kernel_cores", 0.0)),
        )


def _busy_seconds(times: Any) -> tuple[float, float]:
    """(busy, steal) CPU seconds summed over the machine from ``psutil.cpu_times()``."""
    fields = times._asdict()
    busy = sum(v for k, v in fields.items() if k not in _NOT_BUSY)
    return float(busy), float(fields.get("steal", 0.0))


KTHREADD_PID = 2  # Linux: the parent of every kernel thread


def _kernel_seconds() -> float:
    """CPU seconds of interrupts and of kernel threads (Linux; elsewhere interrupts only)."""
    times = psutil.cpu_times()._asdict()
    total = float(times.get("irq", 0.0) + times.get("softirq", 0.0))
    for proc in psutil.process_iter(["ppid", "cpu_times"]):
        info = proc.info
        if info.get("ppid") == KTHREADD_PID and info.get("cpu_times") is not None:
            total += info["cpu_times"].user + info["cpu_times"].system
    return total


def _tree_seconds(process: psutil.Process) -> float:
    """CPU seconds of ``process``, its waited-for children and its live descendants."""
    own = process.cpu_times()
    total = own.user + own.system + own.children_user + own.children_system
    for child in process.children(recursive=True):
        try:
            times = child.cpu_times()
        except (psutil.NoSuchProcess, psutil.AccessDenied):
            continue  # gone since listed: counted through children_* once waited for
        total += times.user + times.system
    return float(total)


def _freq_mhz() -> float | None:
    try:
        freq = psutil.cpu_freq()
    except (OSError, NotImplementedError, RuntimeError):
        return None
    return float(freq.current) if freq is not None and freq.current > 0 else None


# (clock, busy, steal, own tree, kernel seconds, frequency): one read of the counters.
_Reading = tuple[float, float, float, float, float, float | None]


class DisturbanceProbe:
    """Read before and after a stretch of work; :meth:`stop` says what else ran meanwhile."""

    def __init__(
        self,
        *,
        pid: int | None = None,
        clock: Callable[[], float] = time.perf_counter,
        system: Callable[[], tuple[float, float]] | None = None,
        tree: Callable[[], float] | None = None,
        cores: int | None = None,
        kernel: Callable[[], float] | None = None,
    ) -> None:
        """Probe the tree of ``pid`` (this process); ``system``/``tree``/``kernel`` replace
        the reads (``system``: busy and steal seconds; ``kernel``: the kernel's seconds)."""
        process = psutil.Process(pid if pid is not None else os.getpid())
        self._clock = clock
        self._system = system or (lambda: _busy_seconds(psutil.cpu_times()))
        self._tree = tree or (lambda: _tree_seconds(process))
        self._kernel = kernel or (_kernel_seconds if system is None else (lambda: 0.0))
        self._cores = cores or psutil.cpu_count() or 1
        self._start: _Reading | None = None

    def _read(self) -> _Reading:
        busy, steal = self._system()
        return self._clock(), busy, steal, self._tree(), self._kernel(), _freq_mhz()

    def start(self) -> None:
        """Take the first reading."""
        self._start = self._read()

    def stop(self) -> Disturbance:
        """Take the second reading and return the averages since :meth:`start`."""
        if self._start is None:
            raise RuntimeError("DisturbanceProbe.stop() before start()")
        t0, busy0, steal0, own0, kernel0, f0 = self._start
        t1, busy1, steal1, own1, kernel1, f1 = self._read()
        wall = max(t1 - t0, 1e-9)
        own = max(own1 - own0, 0.0) / wall
        kernel = max(kernel1 - kernel0, 0.0) / wall
        # The counters tick at 100 Hz: what is left after ours and the kernel's is foreign
        # only beyond the counters' resolution (TICK_SLACK_S a core), else a 0.17 s
        # benchmark reads two stray ticks as 0.12 cores of foreign load. Never negative.
        spare = (busy1 - busy0) - (own1 - own0) - (kernel1 - kernel0)
        foreign = max(spare - TICK_SLACK_S * self._cores, 0.0) / wall
        freqs = [f for f in (f0, f1) if f is not None]
        return Disturbance(
            wall_s=wall,
            own_cores=min(own, float(self._cores)),
            foreign_cores=min(foreign, float(self._cores)),
            steal_cores=max(steal1 - steal0, 0.0) / wall,
            cores=self._cores,
            freq_mhz=sum(freqs) / len(freqs) if freqs else None,
            kernel_cores=min(kernel, float(self._cores)),
        )


def wait_for_quiet(
    level_cores: float,
    max_wait_s: float,
    *,
    window_s: float = 1.0,
    sleep: Callable[[float], None] = time.sleep,
    probe: Callable[[], DisturbanceProbe] | None = None,
) -> tuple[bool, float]:
    """Wait until other processes use less than ``level_cores`` over a ``window_s`` window.

    Bounded: gives up after ``max_wait_s``. Returns (quiet, the last window's foreign
    cores plus steal).
    """
    make = probe or DisturbanceProbe
    waited, load = 0.0, math.inf
    while True:
        reading = make()
        reading.start()
        sleep(window_s)
        d = reading.stop()
        load = d.foreign_cores + d.steal_cores
        waited += window_s
        if load < level_cores:
            return True, load
        if waited >= max_wait_s:
            return False, load


def explainable_slowdown(current: Disturbance, baseline: Disturbance | None = None) -> float:
    """The largest slowdown factor the foreign load (and steal) during ``current`` explains.

    Foreign work slows what is timed in two ways. It takes cores the work needed: the
    work's demand is the cores it used when measured quietly (``baseline``); where it got
    fewer now, it ran ``demand / got`` times slower at most. Without a quiet record, a
    saturated machine (ours and foreign filling every core) could have given the work
    every core: its demand is taken as all of them. And foreign
    work shares caches, memory bandwidth and turbo frequency with the cores it does not
    take: :data:`INTERFERENCE_PER_CORE` per foreign core. The bound is the larger.
    """
    taken = current.foreign_cores + current.steal_cores
    interference = 1.0 + INTERFERENCE_PER_CORE * taken
    got = max(current.own_cores, 0.05)
    return max(interference, _demand(current, baseline) / got)


def starved(current: Disturbance, baseline: Disturbance | None = None) -> bool:
    """Whether the work got clearly less CPU than it needed (under 90% of its demand).

    A starved measurement was time-sliced with other processes: how much slower that
    made it depends on the scheduler's slices against the benchmark's samples, and no
    bound on it holds (slowdowns of 8x were seen at a third of a core), so its slowdowns
    are never taken as regressions.
    """
    return current.own_cores < 0.9 * _demand(current, baseline)


def _demand(current: Disturbance, baseline: Disturbance | None) -> float:
    """The cores the work would have used on a quiet machine (see explainable_slowdown)."""
    taken = current.foreign_cores + current.steal_cores
    got = max(current.own_cores, 0.05)
    saturated = got + taken >= current.cores - 0.25
    quiet_record = (
        baseline is not None and baseline.foreign_cores + baseline.steal_cores < QUIET_CORES
    )
    if baseline is not None and quiet_record:
        demand = baseline.own_cores
    elif saturated:
        # No quiet record: on a saturated machine nothing says whether the work wanted
        # one core or all of them (a load test's generator and server want both, and
        # beside a one-core hog get one). Take all: a slowdown it cannot bound is
        # "disturbed" (the gate refuses), never a regression of a guess.
        demand = float(current.cores)
    else:
        demand = got
    return demand
