"""An open-loop load generator: requests arrive on a schedule, whatever the server does.

Why perfcore's own generator and not a Locust user: a Locust user is a closed loop
(it waits for its reply before the next request), so a stalled server silently
slows the offered load and the stall's victims are never timed -- coordinated
omission. Emulating an arrival process inside Locust needs one greenlet per
in-flight request and still timestamps at send time. Here a dispatcher releases
request *i* at its scheduled instant ``t_i`` (constant rate or Poisson); a pool of
keep-alive connections sends them; each latency is measured from ``t_i`` (corrected,
as wrk2 and MLPerf's Server scenario do) and from the actual send (uncorrected), both
into HdrHistograms at microsecond resolution. Raw asyncio streams (with uvloop when
installed) keep the generator's cost near 30 µs a request, so one core drives
several times the rate an httpx client could. ``rate=None`` turns it into a
closed loop (each connection sends back to back) for maximum-throughput runs.

Bounds: the rate is finite and at most ``MAX_RATE``; at most ``QUEUE_BOUND`` arrivals
wait for a connection (then the dispatcher waits too, the arrivals keeping their
instants), and a dispatcher behind schedule yields now and then, so memory stays
bounded and Ctrl-C, SIGTERM and the hard limit (duration + 2 timeouts + 5 s) always
get through. Arrivals a hard-limit stop never queued count as ``not_sent``.
"""

from __future__ import annotations

import asyncio
import contextlib
import math
import time
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Literal
from urllib.parse import urlsplit

import numpy as np
from hdrh.histogram import HdrHistogram

from perfcore.errors import ConfigError
from perfcore.load.limits import MAX_CONNECTIONS, MAX_DURATION_S, MAX_RATE, QUEUE_BOUND

__all__ = [
    "OpenLoopConfig",
    "OpenLoopProgress",
    "OpenLoopReport",
    "arrival_offsets",
    "run_open_loop",
]

_MAX_US = 3_600_000_000
_STOP = -1


@dataclass(frozen=True)
class OpenLoopConfig:
    """One open-loop (or, with ``rate=None``, closed-loop) run; bounded in time and count."""

    url: str
    bodies: tuple[bytes, ...]
    rate: float | None = 1000.0
    arrival: Literal["constant", "poisson"] = "constant"
    duration_s: float = 10.0
    max_requests: int | None = None
    connections: int = 64
    timeout_s: float = 5.0
    seed: int = 0
    window_s: float = 1.0

    def __post_init__(self) -> None:
        # `not (a <= x <= b)` also refuses NaN, which every comparison answers False.
        if self.rate is not None and not (0 < self.rate <= MAX_RATE):
            raise ConfigError(f"rate must lie in (0, {MAX_RATE:g}] requests/s, got {self.rate}")
        if not (
            0 < self.duration_s <= MAX_DURATION_S
            and 0 < self.timeout_s <= 3600
            and 0 < self.window_s <= 3600
        ):
            raise ConfigError(
                f"duration must lie in (0, {MAX_DURATION_S:g}] s; timeout and window in (0, 3600] s"
            )
        if not 1 <= self.connections <= MAX_CONNECTIONS or not self.bodies:
            raise ConfigError(f"connections must lie in 1..{MAX_CONNECTIONS}; bodies non-empty")
        if self.max_requests is not None and self.max_requests < 1:
            raise ConfigError("max_requests must be >= 1")


@dataclass
class OpenLoopReport:
    """What a run measured; histograms are in microseconds."""

    corrected: HdrHistogram
    uncorrected: HdrHistogram
    scheduled: int = 0
    sent: int = 0
    ok: int = 0
    errors: Counter[str] = field(default_factory=Counter)
    elapsed_s: float = 0.0
    send_span_s: float = 0.0  # from the first scheduled instant to the last send
    windows: dict[int, HdrHistogram] = field(default_factory=dict)


@dataclass(frozen=True)
class OpenLoopProgress:
    """A once-a-second view of a running generator."""

    elapsed_s: float
    sent: int
    ok: int
    errors: int


def _hist() -> HdrHistogram:
    return HdrHistogram(1, _MAX_US, 3)


def arrival_offsets(rate: float, arrival: str, rng: np.random.Generator) -> Iterator[float]:
    """Seconds from the start at which request 0, 1, 2, ... are due."""
    if arrival == "constant":
        i = 0
        while True:
            yield i / rate
            i += 1
    t = 0.0
    while True:
        for gap in rng.exponential(1.0 / rate, size=4096):
            yield t
            t += float(gap)


class _Generator:
    def __init__(self, cfg: OpenLoopConfig, clock: Callable[[], int]) -> None:
        parts = urlsplit(cfg.url)
        if parts.scheme != "http" or not parts.hostname:
            raise ConfigError(f"open loop needs an http:// URL, got {cfg.url!r}")
        self.cfg, self.clock = cfg, clock
        self.host, self.port = parts.hostname, parts.port or 80
        head = (
            f"POST {parts.path or '/'} HTTP/1.1\r\nHost: {parts.netloc}\r\n"
            "Content-Type: application/json\r\nContent-Length: {}\r\n\r\n"
        )
        self.requests = [head.format(len(b)).encode() + b for b in cfg.bodies]
        self.report = OpenLoopReport(corrected=_hist(), uncorrected=_hist())
        self.queue: asyncio.Queue[int] = asyncio.Queue(maxsize=QUEUE_BOUND)
        self.last_offset = 0.0
        self.t0 = 0
        self.inflight: dict[int, int] = {}  # connection id -> send time (ns), for the watchdog
        self.writers: dict[int, asyncio.StreamWriter] = {}

    async def dispatch(self) -> None:
        cfg = self.cfg
        end_ns = self.t0 + int(cfg.duration_s * 1e9)
        limit = cfg.max_requests or (1 << 62)
        if cfg.rate is None:
            while self.clock() < end_ns and self.report.sent < limit:
                await asyncio.sleep(0.05)
        else:
            await self._schedule(cfg.rate, end_ns, limit)
        for _ in range(cfg.connections):
            await self.queue.put(_STOP)

    async def _schedule(self, rate: float, end_ns: int, limit: int) -> None:
        """Queue each arrival at its instant; behind schedule, queue at once but yield."""
        clock, rep = self.clock, self.report
        offsets = arrival_offsets(rate, self.cfg.arrival, np.random.default_rng(self.cfg.seed))
        for n, offset in enumerate(offsets):
            due = self.t0 + int(offset * 1e9)
            if due >= end_ns or n >= limit:
                break
            self.last_offset = offset
            wait = (due - clock()) / 1e9
            if wait > 0.0005:
                await asyncio.sleep(wait)
            elif n % 64 == 0:
                # Far behind (an absurd rate, a stalled server) no await ever suspends:
                # yield now and then, so workers, signals and the hard limit still run.
                await asyncio.sleep(0)
            await self.queue.put(due)  # waits while the queue is full: memory stays bounded
            rep.scheduled = n + 1

    def unqueued(self) -> int:
        """Arrivals due before the end that a stopped dispatcher never queued."""
        cfg, rep = self.cfg, self.report
        if cfg.rate is None:
            return 0
        if cfg.arrival == "constant":
            total = math.ceil(cfg.duration_s * cfg.rate)
        else:  # a Poisson process's count over the rest of the run, drawn, not walked
            rest = max(cfg.duration_s - self.last_offset, 0.0)
            total = rep.scheduled + int(np.random.default_rng(cfg.seed).poisson(cfg.rate * rest))
        return max(min(total, cfg.max_requests or total) - rep.scheduled, 0)

    async def _connect(self, cid: int) -> tuple[asyncio.StreamReader, asyncio.StreamWriter]:
        reader, writer = await asyncio.open_connection(self.host, self.port)
        self.writers[cid] = writer
        return reader, writer

    async def worker(self, cid: int) -> None:
        cfg, clock, rep = self.cfg, self.clock, self.report
        closed = cfg.rate is None
        limit = cfg.max_requests or (1 << 62)
        end_ns = self.t0 + int(cfg.duration_s * 1e9)
        conn: tuple[asyncio.StreamReader, asyncio.StreamWriter] | None = None
        i = cid
        while True:
            if closed:
                due = clock()
                if due >= end_ns or rep.sent >= limit:
                    break
            else:
                due = await self.queue.get()
                if due == _STOP:
                    break
            rep.sent += 1  # an attempt: a refused connection is a sent request that failed
            try:
                if conn is None:
                    conn = await self._connect(cid)
                status = await self._exchange(cid, conn, self.requests[i % len(self.requests)], due)
            except (OSError, asyncio.IncompleteReadError, ValueError) as exc:
                rep.errors[_error_kind(exc)] += 1
                self._drop(cid)
                conn = None
                if closed:
                    await asyncio.sleep(0.01)  # do not spin on a dead server
                continue
            if status >= 400:
                rep.errors[f"http_{status}"] += 1
            else:
                rep.ok += 1
            i += cfg.connections
        self._drop(cid)

    async def _exchange(
        self,
        cid: int,
        conn: tuple[asyncio.StreamReader, asyncio.StreamWriter],
        request: bytes,
        due: int,
    ) -> int:
        reader, writer = conn
        sent = self.clock()
        self.inflight[cid] = sent
        writer.write(request)
        head = await reader.readuntil(b"\r\n\r\n")
        status = int(head[9:12])
        lower = head.lower()
        at = lower.find(b"content-length:")
        if at < 0:
            raise ValueError("response without content-length")
        length = int(lower[at + 15 : lower.find(b"\r\n", at)])
        await reader.readexactly(length)
        done = self.clock()
        del self.inflight[cid]
        self._record(due, sent, done)
        return status

    def _record(self, due: int, sent: int, done: int) -> None:
        rep = self.report
        corrected = min(max((done - due) // 1000, 1), _MAX_US)
        rep.corrected.record_value(corrected)
        rep.uncorrected.record_value(min(max((done - sent) // 1000, 1), _MAX_US))
        window = int((due - self.t0) / (self.cfg.window_s * 1e9))
        hist = rep.windows.get(window)
        if hist is None:
            hist = rep.windows[window] = HdrHistogram(1, _MAX_US, 2)
        hist.record_value(corrected)
        rep.send_span_s = max(rep.send_span_s, (sent - self.t0) / 1e9)

    def _drop(self, cid: int) -> None:
        self.inflight.pop(cid, None)
        writer = self.writers.pop(cid, None)
        if writer is not None:
            writer.close()

    async def watchdog(self, progress: Callable[[OpenLoopProgress], None] | None) -> None:
        timeout_ns = int(self.cfg.timeout_s * 1e9)
        last_tick = self.clock()
        while True:
            await asyncio.sleep(0.1)
            now = self.clock()
            for cid, sent in list(self.inflight.items()):
                if now - sent > timeout_ns and cid in self.writers:
                    self.writers[cid].transport.abort()  # the reader then fails: "timeout"
                    self.report.errors["timeout"] += 1
                    self.inflight.pop(cid, None)
            if progress is not None and now - last_tick >= 1e9:
                last_tick = now
                rep = self.report
                progress(
                    OpenLoopProgress(
                        (now - self.t0) / 1e9, rep.sent, rep.ok, sum(rep.errors.values())
                    )
                )


def _error_kind(exc: BaseException) -> str:
    if isinstance(exc, ConnectionRefusedError):
        return "connection_refused"
    if isinstance(exc, ConnectionResetError | asyncio.IncompleteReadError | BrokenPipeError):
        return "connection_closed"
    if isinstance(exc, ValueError):
        return "protocol"
    return "connection_error"


async def _run(
    cfg: OpenLoopConfig,
    clock: Callable[[], int],
    progress: Callable[[OpenLoopProgress], None] | None,
) -> OpenLoopReport:
    gen = _Generator(cfg, clock)
    gen.t0 = clock()
    watchdog = asyncio.create_task(gen.watchdog(progress))
    dispatcher = asyncio.create_task(gen.dispatch())
    tasks = [dispatcher, *(asyncio.create_task(gen.worker(c)) for c in range(cfg.connections))]
    hard_limit = cfg.duration_s + 2 * cfg.timeout_s + 5.0
    _, pending = await asyncio.wait(tasks, timeout=hard_limit)
    for task in [*pending, watchdog]:
        task.cancel()
    with contextlib.suppress(asyncio.CancelledError):
        await asyncio.gather(*pending, watchdog, return_exceptions=True)
    rep = gen.report
    if dispatcher in pending:  # stopped by the hard limit: the rest of the schedule counts
        rep.scheduled += gen.unqueued()
    unsent = rep.scheduled - rep.sent
    if cfg.rate is not None and unsent > 0:
        rep.errors["not_sent"] += unsent
    lost = rep.sent - rep.ok - sum(v for k, v in rep.errors.items() if k != "not_sent")
    if lost > 0:
        rep.errors["unfinished"] += lost
    rep.elapsed_s = (clock() - gen.t0) / 1e9
    return rep


def run_open_loop(
    cfg: OpenLoopConfig,
    *,
    clock: Callable[[], int] = time.perf_counter_ns,
    progress: Callable[[OpenLoopProgress], None] | None = None,
) -> OpenLoopReport:
    """Run the generator to completion (it always stops: duration, count, hard limit)."""
    try:
        import uvloop

        factory: Callable[[], asyncio.AbstractEventLoop] | None = uvloop.new_event_loop
    except ImportError:
        factory = None
    with asyncio.Runner(loop_factory=factory) as runner:
        return runner.run(_run(cfg, clock, progress))
