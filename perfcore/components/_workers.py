"""Execution engines of ParallelValidator: one daemon thread per call, and killable processes.

Threads: each validator call gets its own daemon thread, at most ``workers`` at once.
A thread that overruns its deadline is reported as timed out and *abandoned*: Python
cannot kill a thread, so it keeps running until its function returns, but it is a
daemon and never blocks interpreter exit. Use processes for validators that may hang.

Processes: a small pool of our own worker processes, each fed through a pipe. A
worker whose call overruns its deadline is killed by PID (SIGKILL) and replaced, which
``concurrent.futures.ProcessPoolExecutor`` cannot do for a running task.
"""

from __future__ import annotations

import asyncio
import contextlib
import inspect
import multiprocessing
import threading
import time
from collections import deque
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from multiprocessing.connection import Connection, wait
from multiprocessing.context import BaseContext
from multiprocessing.process import BaseProcess
from typing import Any

__all__ = ["Outcome", "ProcessPool", "call_validator", "run_in_threads"]

_STARTUP_TIMEOUT_S = 60.0


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
    """Loop of a worker process: receive (index, func, value), send (index, status, detail)."""
    conn.send("ready")
    while True:
        try:
            message = conn.recv()
        except EOFError:
            return
        if message is None:
            return
        index, func, value = message
        status, detail = call_validator(func, value)
        conn.send((index, status, detail))


@dataclass
class _Worker:
    process: BaseProcess
    conn: Connection
    task: int | None = None
    started: float = 0.0
    ready: bool = False


class ProcessPool:
    """Worker processes we own: a hung call is killed by PID and its worker replaced."""

    def __init__(self, size: int, context: BaseContext | None = None) -> None:
        self.size = size
        self._ctx = context or multiprocessing.get_context("spawn")
        self._workers: list[_Worker] = []
        self._clock = time.perf_counter

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
        """Run every ``funcs[i](value)`` on the pool; outcomes in input order."""
        self.start()
        outcomes: list[Outcome | None] = [None] * len(funcs)
        pending = deque(range(len(funcs)))
        while pending or any(w.task is not None for w in self._workers):
            for worker in self._workers:
                if worker.ready and worker.task is None and pending:
                    index = pending.popleft()
                    outcomes[index] = self._dispatch(worker, index, funcs[index], value)
            self._collect(outcomes, timeout_s)
        return [o for o in outcomes if o is not None]

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

    def _dispatch(
        self, worker: _Worker, index: int, func: Callable[[Any], Any], value: Any
    ) -> Outcome | None:
        try:
            worker.conn.send((index, func, value))
        except Exception as exc:  # unpicklable validator or input: a result, not a crash
            return Outcome("failed", f"cannot send to worker: {type(exc).__name__}: {exc}", 0.0)
        worker.task, worker.started = index, self._clock()
        return None

    def _collect(self, outcomes: list[Outcome | None], timeout_s: float | None) -> None:
        busy = [w for w in self._workers if w.task is not None]
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
            index, elapsed = worker.task, self._clock() - worker.started
            assert index is not None  # busy workers have a task
            if worker.conn in ready:
                outcomes[index] = self._receive(worker, elapsed)
            elif timeout_s is not None and elapsed >= timeout_s:
                detail = f"no answer within {timeout_s:g} s; worker killed"
                outcomes[index] = Outcome("timeout", detail, elapsed)
                self._replace(worker)

    def _await_ready(self, worker: _Worker, timeout_s: float) -> None:
        try:
            ok = worker.conn.poll(timeout_s) and worker.conn.recv() == "ready"
        except (EOFError, OSError):
            ok = False
        if not ok:
            self.close()
            raise RuntimeError("a validator worker process did not start")
        worker.ready = True

    def _receive(self, worker: _Worker, elapsed: float) -> Outcome:
        try:
            _, status, detail = worker.conn.recv()
        except (EOFError, OSError):
            code = worker.process.exitcode
            self._replace(worker)
            return Outcome("failed", f"worker process died (exit code {code})", elapsed)
        worker.task = None
        return Outcome(status, detail, elapsed)

    def _replace(self, worker: _Worker) -> None:
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
