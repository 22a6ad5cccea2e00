"""pytest plugin for a worker of ``gate --against --interleave rounds``: one round a turn.

Loaded by name (``-p perfcore_turns``) from a copy of this file, never through the
``perfcore`` package: the REF worktree may predate it, and a worker must import only
its own tree's perfcore. It imports nothing of perfcore on purpose.

The coordinator hands this process two pipe descriptors in ``PERFCORE_TURN_FDS``
("read,write"). After collection it writes ``items <JSON list of node ids>`` (the run's order).
Before the session starts and before every pytest-benchmark round
(warm-up rounds included) the worker writes ``ready <nodeid>`` and blocks until it
reads one byte back: only then does it go on, and it keeps the turn (fixtures,
set-ups, collection, writing JSON) until its next round. So exactly one of the two
workers runs at any time, and the two alternate round by round inside each
benchmark; the wait is outside the timed region.
"""

from __future__ import annotations

import json
import os
from typing import Any

import pytest

FDS_ENV = "PERFCORE_TURN_FDS"
START = "__start__"


class Turns:
    """The worker's side of the turn protocol over two pipe descriptors."""

    def __init__(self, read_fd: int, write_fd: int) -> None:
        self._read = read_fd
        self._write = write_fd
        self.nodeid = START

    def collected(self, nodeids: list[str]) -> None:
        """Report the collected items, in order, as one JSON line."""
        os.write(self._write, f"items {json.dumps(nodeids)}\n".encode())

    def wait(self) -> None:
        """Say where this worker is and block until the coordinator gives it the turn."""
        os.write(self._write, f"ready {self.nodeid}\n".encode())
        if not os.read(self._read, 1):
            raise pytest.UsageError("perfcore turns: the coordinator went away")


def _parse_fds(value: str) -> tuple[int, int]:
    try:
        read_fd, write_fd = (int(part) for part in value.split(","))
    except ValueError:
        raise pytest.UsageError(f"{FDS_ENV} must be 'READ,WRITE', got {value!r}") from None
    return read_fd, write_fd


def _wrap_runners(turns: Turns) -> None:
    """Make every benchmark runner wait for its turn before it starts timing."""
    from pytest_benchmark.fixture import BenchmarkFixture

    make_runner = getattr(BenchmarkFixture, "_make_runner", None)
    if make_runner is None:
        raise pytest.UsageError("perfcore turns: this pytest-benchmark has no _make_runner")

    def turn_taking(self: Any, function: Any, args: Any, kwargs: Any) -> Any:
        runner = make_runner(self, function, args, kwargs)

        def runner_in_turn(*a: Any, **kw: Any) -> Any:
            turns.wait()
            return runner(*a, **kw)

        return runner_in_turn

    BenchmarkFixture._make_runner = turn_taking  # type: ignore[method-assign]


@pytest.hookimpl(trylast=True)
def pytest_configure(config: pytest.Config) -> None:
    """Join the turn protocol when the coordinator asked for it; wait for the first turn."""
    value = os.environ.get(FDS_ENV)
    if not value:
        return
    turns = Turns(*_parse_fds(value))
    config.stash[_TURNS] = turns
    _wrap_runners(turns)
    turns.wait()


def pytest_collection_finish(session: pytest.Session) -> None:
    """Tell the coordinator the items this worker will run, in order (it says who is behind)."""
    turns = session.config.stash.get(_TURNS, None)
    if turns is not None:
        turns.collected([item.nodeid for item in session.items])


@pytest.hookimpl(tryfirst=True)
def pytest_runtest_setup(item: pytest.Item) -> None:
    """Rounds are reported under the benchmark they belong to."""
    turns = item.config.stash.get(_TURNS, None)
    if turns is not None:
        turns.nodeid = item.nodeid


_TURNS = pytest.StashKey[Turns]()
