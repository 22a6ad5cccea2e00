"""ParallelValidator: run many validators over one input, serially or in parallel.

A validator is a callable (sync or ``async def``) taking the input. It passes unless
it raises or returns ``False``; a raise becomes a failed result with the error's
text, never a crash of the run. Results come back in the order the validators were
given, whatever order they finished in.

Modes and what a hung validator costs in each:

* ``serial``: one after another in the calling thread; with a timeout each call runs
  in its own daemon thread so it can be abandoned (see ``threads``).
* ``threads``: for I/O-bound validators. A call past its timeout is reported and its
  daemon thread abandoned (Python cannot kill a thread); the report counts them.
* ``processes``: for CPU-bound validators; validators and input must be picklable
  (module-level functions). A call past its timeout has its worker killed by PID.
  Workers live until :meth:`ParallelValidator.close` (or the ``with`` block ends).
* ``asyncio``: coroutines run on one event loop and are cancelled at their timeout;
  sync validators run in daemon threads as in ``threads``.
"""

from __future__ import annotations

import asyncio
import contextlib
import inspect
import os
import threading
import time
import weakref
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any, Literal

from perfcore.components._workers import Outcome, ProcessPool, call_validator, run_in_threads
from perfcore.errors import ConfigError

__all__ = ["Mode", "ParallelValidator", "ValidationReport", "ValidationResult"]

Mode = Literal["serial", "threads", "processes", "asyncio"]
_MODES = ("serial", "threads", "processes", "asyncio")


@dataclass(frozen=True)
class ValidationResult:
    """The outcome of one validator: passed, failed (returned False or raised) or timeout."""

    name: str
    status: Literal["passed", "failed", "timeout"]
    elapsed_s: float
    detail: str = ""

    @property
    def ok(self) -> bool:
        """True when the validator passed."""
        return self.status == "passed"


@dataclass(frozen=True)
class ValidationReport:
    """All results of one run, in the validators' order."""

    mode: str
    results: tuple[ValidationResult, ...]
    elapsed_s: float
    abandoned_threads: int = 0

    @property
    def ok(self) -> bool:
        """True when every validator passed."""
        return all(r.ok for r in self.results)

    @property
    def failures(self) -> tuple[ValidationResult, ...]:
        """The results that did not pass (failed or timed out)."""
        return tuple(r for r in self.results if not r.ok)


class ParallelValidator:
    """Runs validators over an input in one of four modes; see the module notes."""

    def __init__(
        self,
        validators: Sequence[Callable[[Any], Any]],
        *,
        mode: Mode = "threads",
        max_workers: int | None = None,
        timeout_s: float | None = None,
        clock: Callable[[], float] = time.perf_counter,
    ) -> None:
        if mode not in _MODES:
            raise ConfigError(f"mode must be one of {', '.join(_MODES)}; got {mode!r}")
        if max_workers is not None and max_workers < 1:
            raise ConfigError(f"max_workers must be >= 1, got {max_workers}")
        if timeout_s is not None and timeout_s <= 0:
            raise ConfigError(f"timeout_s must be > 0, got {timeout_s}")
        self.validators = tuple(validators)
        self.names = tuple(_name(v) for v in self.validators)
        self.mode = mode
        cores = os.cpu_count() or 1
        default = cores if mode == "processes" else min(32, len(self.validators))
        self.max_workers = max(1, max_workers or default)
        self.timeout_s = timeout_s
        self._clock = clock
        self._pool: ProcessPool | None = None
        self._lock = threading.Lock()

    def run(self, value: Any) -> ValidationReport:
        """Run every validator over ``value`` and report; never raises for a validator's fault."""
        if self.mode == "asyncio":
            return asyncio.run(self.arun(value))
        begin = self._clock()
        abandoned = 0
        if self.mode == "processes":
            with self._lock:
                outcomes = self._process_pool().run(self.validators, value, self.timeout_s)
        elif self.mode == "serial" and self.timeout_s is None:
            outcomes = [self._call_here(v, value) for v in self.validators]
        else:
            workers = 1 if self.mode == "serial" else self.max_workers
            outcomes, abandoned = run_in_threads(
                self.validators, value, workers, self.timeout_s, self._clock
            )
        return self._report(outcomes, self._clock() - begin, abandoned)

    async def arun(self, value: Any) -> ValidationReport:
        """Asyncio mode: run on the current event loop, at most ``max_workers`` at once."""
        begin = self._clock()
        gate = asyncio.Semaphore(self.max_workers)
        outcomes = await asyncio.gather(*(self._one_async(v, value, gate) for v in self.validators))
        abandoned = sum(o.detail.endswith("thread abandoned") for o in outcomes)
        return self._report(list(outcomes), self._clock() - begin, abandoned)

    def worker_pids(self) -> list[int]:
        """PIDs of the live worker processes (processes mode; empty otherwise)."""
        return self._pool.pids() if self._pool is not None else []

    def close(self) -> None:
        """Stop and reap every worker process; idempotent."""
        with self._lock:
            if self._pool is not None:
                self._pool.close()
                self._pool = None

    def __enter__(self) -> ParallelValidator:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def _process_pool(self) -> ProcessPool:
        if self._pool is None:
            self._pool = ProcessPool(min(self.max_workers, len(self.validators)) or 1)
            # Safety net: workers die with this object even if close() is forgotten.
            weakref.finalize(self, self._pool.close)
        return self._pool

    def _call_here(self, func: Callable[[Any], Any], value: Any) -> Outcome:
        begin = self._clock()
        status, detail = call_validator(func, value)
        return Outcome(status, detail, self._clock() - begin)

    async def _one_async(
        self, func: Callable[[Any], Any], value: Any, gate: asyncio.Semaphore
    ) -> Outcome:
        async with gate:
            begin = self._clock()
            if _is_async(func):
                awaitable = func(value)
                suffix = "cancelled"
            else:
                awaitable = _in_daemon_thread(func, value)
                suffix = "thread abandoned"
            try:
                result = await asyncio.wait_for(awaitable, self.timeout_s)
            except TimeoutError:
                detail = f"no answer within {self.timeout_s:g} s; {suffix}"
                return Outcome("timeout", detail, self._clock() - begin)
            except Exception as exc:  # a validator's error is a result, not a crash
                return Outcome("failed", f"{type(exc).__name__}: {exc}", self._clock() - begin)
            if result is False:
                return Outcome("failed", "returned False", self._clock() - begin)
            return Outcome("passed", "", self._clock() - begin)

    def _report(self, outcomes: list[Outcome], elapsed: float, abandoned: int) -> ValidationReport:
        results = tuple(
            ValidationResult(name, o.status, o.elapsed_s, o.detail)  # type: ignore[arg-type]
            for name, o in zip(self.names, outcomes, strict=True)
        )
        return ValidationReport(self.mode, results, elapsed, abandoned)


def _name(func: Callable[..., Any]) -> str:
    return str(getattr(func, "__qualname__", None) or getattr(func, "__name__", None) or func)


def _is_async(func: Callable[..., Any]) -> bool:
    return inspect.iscoroutinefunction(func) or inspect.iscoroutinefunction(
        getattr(func, "__call__", None)  # noqa: B004 - async callable objects, not callability
    )


async def _in_daemon_thread(func: Callable[[Any], Any], value: Any) -> Any:
    """Await ``func(value)`` run in a daemon thread, so a hung call never blocks exit."""
    loop = asyncio.get_running_loop()
    future: asyncio.Future[Any] = loop.create_future()

    def settle(setter: Callable[[Any], None], payload: Any) -> None:
        if not future.done():
            setter(payload)

    def body() -> None:
        try:
            outcome: tuple[Callable[[Any], None], Any] = (future.set_result, func(value))
        except Exception as exc:
            outcome = (future.set_exception, exc)
        # An abandoned call may finish after its loop closed; nobody waits for it then.
        with contextlib.suppress(RuntimeError):
            loop.call_soon_threadsafe(settle, *outcome)

    threading.Thread(target=body, name="perfcore-validator-async", daemon=True).start()
    return await future
