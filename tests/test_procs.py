"""Signals and process trees: SIGTERM unwinds, cleanup holds a second signal, groups end."""

import signal
import subprocess
import time

import psutil
import pytest

from perfcore._procs import Terminated, raise_on_sigterm, stop_tree, uninterrupted


@pytest.fixture
def restore_handlers():
    """Put SIGINT and SIGTERM back as they were after the test."""
    saved = {sig: signal.getsignal(sig) for sig in (signal.SIGINT, signal.SIGTERM)}
    yield
    for sig, handler in saved.items():
        signal.signal(sig, handler)


def test_sigterm_raises_terminated(restore_handlers) -> None:
    """After raise_on_sigterm, SIGTERM raises Terminated, which is a KeyboardInterrupt."""
    raise_on_sigterm()
    with pytest.raises(Terminated):
        signal.raise_signal(signal.SIGTERM)
    assert issubclass(Terminated, KeyboardInterrupt)


def test_a_signal_during_cleanup_is_held_until_it_ends(restore_handlers) -> None:
    """SIGINT inside uninterrupted() lets the block finish, then interrupts."""
    finished = []

    def cleanup() -> None:
        with uninterrupted():
            signal.raise_signal(signal.SIGINT)
            finished.append(True)

    with pytest.raises(KeyboardInterrupt):
        cleanup()
    assert finished


def test_stop_tree_ends_the_grandchildren_too() -> None:
    """stop_tree ends a child's own children, which a plain terminate() would orphan."""
    child = subprocess.Popen(["sh", "-c", "sleep 60 & sleep 60 & wait"], start_new_session=True)
    deadline = time.monotonic() + 10
    while len(psutil.Process(child.pid).children()) < 2 and time.monotonic() < deadline:
        time.sleep(0.05)
    grandchildren = psutil.Process(child.pid).children()
    assert len(grandchildren) == 2
    stop_tree(child, grace_s=5)
    _, alive = psutil.wait_procs(grandchildren, timeout=5)
    assert not alive
    assert child.returncode is not None
