"""Signals and child process trees: what lets every command clean up after itself.

Python's default action on SIGTERM ends the process at once: no ``finally`` runs, so
servers, Locust, benchmark children and git worktrees outlived a terminated
``perfcore``. :func:`raise_on_sigterm` turns SIGTERM into :class:`Terminated`, a
``KeyboardInterrupt``, so it unwinds exactly as Ctrl-C does (asyncio, subprocess and
uvicorn all treat KeyboardInterrupt specially, a new exception type would be logged and
swallowed inside an event loop). Children that start their own process trees run in
their own session, and :func:`stop_tree` ends the whole group: a signal to perfcore
alone never reaches them otherwise.
"""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import threading
from collections.abc import Iterator
from types import FrameType
from typing import Any

__all__ = ["Terminated", "raise_on_sigterm", "stop_tree", "uninterrupted"]


class Terminated(KeyboardInterrupt):
    """SIGTERM arrived: unwind (running every ``finally``) and exit 143."""


def _raise_terminated(signum: int, frame: FrameType | None) -> None:
    raise Terminated


def raise_on_sigterm() -> None:
    """Make SIGTERM raise :class:`Terminated` in the main thread (no-op elsewhere)."""
    if threading.current_thread() is threading.main_thread():
        signal.signal(signal.SIGTERM, _raise_terminated)


def stop_tree(popen: subprocess.Popen[Any], grace_s: float = 10.0) -> None:
    """SIGTERM the process group ``popen`` leads, SIGKILL it after ``grace_s``; reap.

    ``popen`` must have been started with ``start_new_session=True``: its pid is then
    its group's id, and Linux does not hand that id to a new process while any member
    of the group lives, so the last SIGKILL reaches only what the leader left behind.
    """
    if popen.poll() is None:
        _signal_group(popen.pid, signal.SIGTERM)
        try:
            popen.wait(timeout=grace_s)
        except subprocess.TimeoutExpired:
            _signal_group(popen.pid, signal.SIGKILL)
            popen.wait(timeout=grace_s)
    # The leader is gone; members it left behind still carry its group id.
    _signal_group(popen.pid, signal.SIGKILL)


def _signal_group(pgid: int, sig: signal.Signals) -> None:
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(pgid, sig)


@contextlib.contextmanager
def uninterrupted() -> Iterator[None]:
    """Hold SIGINT and SIGTERM while cleanup runs; deliver a held one afterwards.

    A second Ctrl-C while servers stop or a worktree is removed would otherwise leave
    the very debris the cleanup was removing.
    """
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    held: list[int] = []
    previous = {
        sig: signal.signal(sig, lambda signum, _: held.append(signum))
        for sig in (signal.SIGINT, signal.SIGTERM)
    }
    try:
        yield
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)
    for signum in held[:1]:
        signal.raise_signal(signum)
