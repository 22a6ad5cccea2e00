"""Execution engines of ParallelValidator: one daemon thread per call, and killable processes.

Threads: each validator call gets its own daemon thread, at most ``workers`` at once.
A thread that overruns its deadline is reported as timed out and *abandoned*: Python
cannot kill a thread, so it keeps running until its function returns, but it is a
daemon and never blocks interpreter exit. Use processes for validators that may hang.

Processes: a small pool of our own worker processes, each fed through a pipe. A
worker whose call overruns its deadline is killed by PID (SIGKILL) and replaced, which
``concurrent.futures.ProcessPoolExecutor`` cannot do for a running task. A run's input
is pickled once and sent once to each worker; calls are sent two ahead, so a worker
goes from one call to the next without waiting for this process to wake up (see
``docs/performance.md`` for where the time of a run goes).
"""

from __future__ import annotations

import asyncio
import contextlib
import inspect
import itertools
import multiprocessing
import threading
import time
from collections import deque
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from multiprocessing.connection import Connection, wait
from multiprocessing.context import BaseContext
from multiprocessing.process import BaseProcess
from multiprocessing.reduction import ForkingPickler
from typing import Any

__all__ = ["Outcome", "ProcessPool", "call_validator", "run_in_threads"]

_STARTUP_TIMEOUT_S = 60.0
# Calls sent ahead to each worker: the next one waits in its pipe, so a worker starts it
# the moment it answers, instead of idling until this process wakes up and sends it.
_PIPELINE = 2


@dataclass(frozen=True)
class Outcome:
    """What one validator call came to, before it is named and ordered."""

    status: str  # "passed" | "failed" | "timeout"
    detail: str
    elapsed_s: float


def call_validator(func: Callable[[Any], Any], value: Any) -> tuple[str, str]:
    """Call ``func(value)`` (awaiting it if async); a raise or ``False`` is a failure."""
    try:
        result = func(value)
        if inspect.isawaitable(result):
            result = asyncio.run(_await(result))
    except Exception as exc:  # a validator's error is a result, not a crash
        return "failed", f"{type(exc).__name__}: {exc}"
    if result is False:
        return "failed", "returned False"
    return "passed", ""


async def _await(awaitable: Any) -> Any:
    return await awaitable


def run_in_threads(
    funcs: Sequence[Callable[[Any], Any]],
    value: Any,
    workers: int,
    timeout_s: float | None,
    clock: Callable[[], float] = time.perf_counter,
) -> tuple[list[Outcome], int]:
    """Run every ``funcs[i](value)``, ``workers`` at a time; returns outcomes, abandoned count."""
    outcomes: list[Outcome | None] = [None] * len(funcs)
    lock = threading.Lock()
    finished: deque[int] = deque()
    wake = threading.Event()
    started: dict[int, float] = {}
    abandoned = 0

    def body(index: int) -> None:
        begin = clock()
        status, detail = call_validator(funcs[index], value)
        with lock:
            if outcomes[index] is None:
                outcomes[index] = Outcome(status, detail, clock() - begin)
            finished.append(index)
        wake.set()

    pending = deque(range(len(funcs)))
    while pending or started:
        while pending and len(started) < workers:
            index = pending.popleft()
            started[index] = clock()
            name = f"perfcore-validator-{index}"
            threading.Thread(target=body, args=(index,), name=name, daemon=True).start()
        wake.wait(_wait_time(started, timeout_s, clock))
        with lock:
            wake.clear()
            while finished:
                started.pop(finished.popleft(), None)
            abandoned += _expire(started, outcomes, timeout_s, clock)
    return [o for o in outcomes if o is not None], abandoned


def _wait_time(
    started: dict[int, float], timeout_s: float | None, clock: Callable[[], float]
) -> float | None:
    if timeout_s is None or not started:
        return None
    return max(0.0, min(started.values()) + timeout_s - clock())


def _expire(
    started: dict[int, float],
    outcomes: list[Outcome | None],
    timeout_s: float | None,
    clock: Callable[[], float],
) -> int:
    """Mark overdue calls timed out (lock held); returns how many threads were abandoned."""
    if timeout_s is None:
        return 0
    now = clock()
    overdue = [i for i, begin in started.items() if now - begin >= timeout_s]
    for index in overdue:
        detail = f"no answer within {timeout_s:g} s; thread abandoned"
        outcomes[index] = Outcome("timeout", detail, now - started[index])
        del started[index]
    return len(overdue)


def _worker_main(conn: Connection) -> None:
    """Loop of a worker process: keep the run's input, call (index, func), send the outcome."""
    conn.send("ready")
    value: Any = None
    while True:
        try:
            message = conn.recv()
        except EOFError:
            return
        if message is None:
            return
        if message[0] == "value":
            value = message[1]
            continue
        _, index, func = message
        status, detail = call_validator(func, value)
        conn.send((index, status, detail))


@dataclass
class _Worker:
    process: BaseProcess
    conn: Connection
    queue: deque[int] = field(default_factory=deque)  # sent, in order; the head is running
    started: float = 0.0  # when the head started (its send, or the answer before it)
    ready: bool = False
    run: int = -1  # the run whose input this worker holds

    @property
    def task(self) -> int | None:
        return self.queue[0] if self.queue else None


class ProcessPool:
    """Worker processes we own: a hung call is killed by PID and its worker replaced."""

    def __init__(self, size: int, context: BaseContext | None = None) -> None:
        self.size = size
        self._ctx = context or multiprocessing.get_context("spawn")
        self._workers: list[_Worker] = []
        self._clock = time.perf_counter
        self._runs = itertools.count()

    def pids(self) -> list[int]:
        """PIDs of the live workers (for tests and monitoring)."""
        return [w.process.pid for w in self._workers if w.process.pid is not None]

    def start(self) -> None:
        """Start workers up to ``size`` and wait until each says it is ready."""
        while len(self._workers) < self.size:
            self._workers.append(self._spawn())
        for worker in self._workers:
            if not worker.ready:
                self._await_ready(worker, _STARTUP_TIMEOUT_S)

    def run(
        self, funcs: Sequence[Callable[[Any], Any]], value: Any, timeout_s: float | None
    ) -> list[Outcome]:
        """Run every ``funcs[i](value)`` on the pool; outcomes in input order.

        The input is pickled once and sent once to each worker, not with every call.
        """
        try:
            blob = bytes(ForkingPickler.dumps(("value", value)))
        except Exception as exc:  # an unpicklable input: every call fails, nothing crashes
            detail = f"cannot send to worker: {type(exc).__name__}: {exc}"
            return [Outcome("failed", detail, 0.0) for _ in funcs]
        self.start()
        run = next(self._runs)
        outcomes: list[Outcome | None] = [None] * len(funcs)
        pending = deque(range(len(funcs)))
        while pending or any(w.queue for w in self._workers):
            # Every idle worker gets a call before any gets a second one sent ahead.
            for depth in (1, _PIPELINE):
                for worker in list(self._workers):
                    while (
                        worker.ready
                        and len(worker.queue) < self._depth(depth, pending)
                        and self._holds_input(worker, run, blob, pending)
                    ):
                        index = pending.popleft()
                        outcomes[index] = self._dispatch(worker, index, funcs[index])
            self._collect(outcomes, pending, timeout_s)
        return [o for o in outcomes if o is not None]

    def _depth(self, depth: int, pending: deque[int]) -> int:
        """How many calls a worker may hold now (0 when nothing is pending)."""
        if not pending:
            return 0
        # Near the end of a run a call sent ahead could wait behind a long one while
        # another worker idles: send ahead only while there is work for every worker.
        return depth if depth == 1 or len(pending) >= len(self._workers) else 1

    def _holds_input(self, worker: _Worker, run: int, blob: bytes, pending: deque[int]) -> bool:
        """Send this run's input to an idle worker that lacks it; False if it cannot take it."""
        if worker.run == run:
            return True
        if worker.queue:
            return False
        try:
            worker.conn.send_bytes(blob)
        except OSError:  # the worker died between runs
            self._replace(worker, pending)
            return False
        worker.run = run
        return True

    def close(self) -> None:
        """Stop every worker: ask politely, then kill; none is left running or unreaped."""
        for worker in self._workers:
            if worker.task is None:
                with contextlib.suppress(OSError):
                    worker.conn.send(None)
        for worker in self._workers:
            self._stop(worker, grace_s=1.0 if worker.task is None else 0.0)
        self._workers.clear()

    def _spawn(self) -> _Worker:
        parent, child = self._ctx.Pipe()
        process = self._ctx.Process(  # type: ignore[attr-defined]
            target=_worker_main, args=(child,), name="perfcore-validator", daemon=True
        )
        process.start()
        child.close()
        return _Worker(process, parent)

    def _dispatch(self, worker: _Worker, index: int, func: Callable[[Any], Any]) -> Outcome | None:
        try:
            worker.conn.send(("call", index, func))
        except Exception as exc:  # unpicklable validator or input: a result, not a crash
            return Outcome("failed", f"cannot send to worker: {type(exc).__name__}: {exc}", 0.0)
        if not worker.queue:
            worker.started = self._clock()
        worker.queue.append(index)
        return None

    def _collect(
        self, outcomes: list[Outcome | None], pending: deque[int], timeout_s: float | None
    ) -> None:
        busy = [w for w in self._workers if w.queue]
        starting = [w for w in self._workers if not w.ready]
        if not busy and not starting:
            return
        wait_s = _STARTUP_TIMEOUT_S
        if timeout_s is not None and busy:
            wait_s = max(0.0, min(w.started for w in busy) + timeout_s - self._clock())
        ready = wait([w.conn for w in busy + starting], wait_s)
        for worker in starting:
            if worker.conn in ready:
                self._await_ready(worker, 0.0)
        for worker in busy:
            index, elapsed = worker.queue[0], self._clock() - worker.started
            if worker.conn in ready:
                outcomes[index] = self._receive(worker, elapsed, pending)
            elif timeout_s is not None and elapsed >= timeout_s:
                detail = f"no answer within {timeout_s:g} s; worker killed"
                outcomes[index] = Outcome("timeout", detail, elapsed)
                self._replace(worker, pending)

    def _await_ready(self, worker: _Worker, timeout_s: float) -> None:
        try:
            ok = worker.conn.poll(timeout_s) and worker.conn.recv() == "ready"
        except (EOFError, OSError):
            ok = False
        if not ok:
            self.close()
            raise RuntimeError("a validator worker process did not start")
        worker.ready = True

    def _receive(self, worker: _Worker, elapsed: float, pending: deque[int]) -> Outcome:
        try:
            _, status, detail = worker.conn.recv()
        except (EOFError, OSError):
            code = worker.process.exitcode
            self._replace(worker, pending)
            return Outcome("failed", f"worker process died (exit code {code})", elapsed)
        worker.queue.popleft()
        worker.started = self._clock()  # the next call in its pipe starts now
        return Outcome(status, detail, elapsed)

    def _replace(self, worker: _Worker, pending: deque[int]) -> None:
        # Calls queued behind the lost one never started: they go back to the front.
        pending.extendleft(reversed(list(worker.queue)[1:]))
        # The replacement starts in the background; dispatch waits for its "ready".
        self._stop(worker, grace_s=0.0)
        self._workers[self._workers.index(worker)] = self._spawn()

    @staticmethod
    def _stop(worker: _Worker, grace_s: float) -> None:
        worker.process.join(grace_s)
        if worker.process.is_alive():
            worker.process.kill()
            worker.process.join()
        worker.conn.close()
        worker.process.close()
