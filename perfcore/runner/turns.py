"""Round-by-round interleaving of two benchmark processes (``--interleave rounds``).

Two pytest-benchmark processes, REF (A) and the working tree (B), run at the same
time but never together: each stops before every round and waits for a turn
(``turns_plugin``), and :class:`TurnScheduler` gives the turn so that inside every
benchmark the rounds go A B B A A B ..., and a process that is behind catches up
first: it is still in a benchmark the other has passed, or it has yet to reach the
other's (each worker reports the items it collected, in order), so a benchmark that
only one side has does not leave the other side's later ones unpaired. Round ``k`` of
a benchmark on one side is then seconds, not minutes, from round ``k`` on the other,
so the host's drift over tens of seconds weighs on both alike; alternating whole
suite runs (``--interleave runs``) leaves minutes between the two sides of a pair.
"""

from __future__ import annotations

import contextlib
import json
import os
import select
import shutil
import subprocess
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from perfcore._procs import stop_tree, uninterrupted
from perfcore.errors import InputError

# Defined once, in the plugin (which imports nothing of perfcore: it runs from a copy).
from perfcore.runner.turns_plugin import FDS_ENV

__all__ = ["PLUGIN_MODULE", "TurnScheduler", "install_plugin", "run_in_turns"]

PLUGIN_MODULE = "perfcore_turns"


@dataclass
class _TurnWorker:
    nodeid: str = "__start__"
    rounds_here: int = 0
    visited: set[str] = field(default_factory=set)
    done: bool = False
    position: dict[str, int] = field(default_factory=dict)  # its collected items, in order

    def still_to_come(self, nodeid: str) -> bool:
        """Whether this worker has ``nodeid`` among the items after its current one."""
        here = self.position.get(self.nodeid, -1)
        return self.position.get(nodeid, -1) > here


def _behind(w: _TurnWorker, other: _TurnWorker) -> bool:
    """``w`` is still before ``other``: other has passed w's benchmark, or w is yet to
    reach other's."""
    return w.nodeid in other.visited or w.still_to_come(other.nodeid)


class TurnScheduler:
    """Who runs next, given where each waiting worker is (pure: no processes, no clock)."""

    def __init__(self, names: Sequence[str]) -> None:
        self._workers = {name: _TurnWorker() for name in names}
        self._last: str | None = None
        self._order = list(names)

    def ready(self, name: str, nodeid: str) -> None:
        """Worker ``name`` is waiting before a round of ``nodeid``."""
        worker = self._workers[name]
        if nodeid != worker.nodeid:
            worker.visited.add(worker.nodeid)
            worker.nodeid, worker.rounds_here = nodeid, 0

    def collected(self, name: str, nodeids: Sequence[str]) -> None:
        """Worker ``name`` will run ``nodeids``, in this order."""
        self._workers[name].position = {n: i for i, n in enumerate(nodeids)}

    def finished(self, name: str) -> None:
        """Worker ``name`` has exited."""
        self._workers[name].done = True

    def next(self) -> str | None:
        """The worker to run now (every live one is waiting), or None when all are done."""
        live = [n for n in self._order if not self._workers[n].done]
        chosen = self._pick(*live[:2]) if len(live) > 1 else (live[0] if live else None)
        if chosen is not None:
            self._workers[chosen].rounds_here += 1
            self._last = chosen
        return chosen

    def _pick(self, a: str, b: str) -> str:
        wa, wb = self._workers[a], self._workers[b]
        if wa.nodeid == wb.nodeid:
            if wa.rounds_here != wb.rounds_here:
                return a if wa.rounds_here < wb.rounds_here else b
            # A tie after the one who just ran: it runs again (A B B A A B ...), so
            # neither side always goes first, straight after the other's round.
            return self._last if self._last in (a, b) else a
        a_behind, b_behind = _behind(wa, wb), _behind(wb, wa)
        if a_behind != b_behind:
            return a if a_behind else b
        return a if len(wa.visited) <= len(wb.visited) else b


def install_plugin(folder: Path) -> Path:
    """Copy the worker plugin into ``folder`` as ``perfcore_turns.py``; return the folder."""
    source = Path(__file__).with_name("turns_plugin.py")
    shutil.copyfile(source, folder / f"{PLUGIN_MODULE}.py")
    return folder


@dataclass
class _Proc:
    name: str
    popen: subprocess.Popen[bytes]
    to_worker: int
    from_worker: int
    log: Path
    buffer: bytes = b""


def run_in_turns(
    commands: Mapping[str, tuple[Sequence[str], Path, dict[str, str], Path]],
    timeout_s: float = 7200.0,
) -> dict[str, int]:
    """Run each (argv, cwd, env, log) worker in turns; return each one's exit status."""
    procs = [_start(name, *spec) for name, spec in commands.items()]
    scheduler = TurnScheduler([p.name for p in procs])
    deadline = time.monotonic() + timeout_s
    waiting: set[str] = set()
    try:
        while True:
            _collect(procs, scheduler, waiting, deadline)
            chosen = scheduler.next()
            if chosen is None:  # every worker has exited
                break
            waiting.discard(chosen)
            os.write(next(p for p in procs if p.name == chosen).to_worker, b"g")
        return {p.name: p.popen.wait(timeout=60) for p in procs}
    finally:
        with uninterrupted():
            for p in procs:
                stop_tree(p.popen, grace_s=5.0)  # our own children's groups, by their pids
                for fd in (p.to_worker, p.from_worker):
                    _close(fd)


def _start(name: str, argv: Sequence[str], cwd: Path, env: dict[str, str], log: Path) -> _Proc:
    to_read, to_write = os.pipe()  # coordinator -> worker
    from_read, from_write = os.pipe()  # worker -> coordinator
    with log.open("wb") as out:
        popen = subprocess.Popen(
            list(argv),
            cwd=cwd,
            stdout=out,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
            pass_fds=(to_read, from_write),
            env={**env, FDS_ENV: f"{to_read},{from_write}"},
            start_new_session=True,
        )
    os.close(to_read)
    os.close(from_write)
    return _Proc(name, popen, to_write, from_read, log)


def _collect(
    procs: list[_Proc], scheduler: TurnScheduler, waiting: set[str], deadline: float
) -> None:
    """Read messages until every live worker is waiting for a turn (or has exited)."""
    while True:
        live = [p for p in procs if p.name not in waiting and p.from_worker >= 0]
        if not live:
            return
        left = deadline - time.monotonic()
        if left <= 0:
            raise InputError(
                f"interleaved benchmark runs took longer than the limit; "
                f"logs: {', '.join(str(p.log) for p in procs)}"
            )
        readable, _, _ = select.select([p.from_worker for p in live], [], [], min(left, 5.0))
        for p in live:
            if p.from_worker in readable:
                _read_one(p, scheduler, waiting)


def _read_one(p: _Proc, scheduler: TurnScheduler, waiting: set[str]) -> None:
    chunk = os.read(p.from_worker, 65536)
    if not chunk:  # the worker exited (or closed its end): never hand it a turn
        _close(p.from_worker)
        p.from_worker = -1
        waiting.discard(p.name)
        scheduler.finished(p.name)
        return
    p.buffer += chunk
    while b"\n" in p.buffer:
        line, p.buffer = p.buffer.split(b"\n", 1)
        kind, _, rest = line.decode("utf-8", "replace").partition(" ")
        if kind == "items":
            scheduler.collected(p.name, _node_ids(rest))
        elif kind == "ready":
            scheduler.ready(p.name, rest)
            waiting.add(p.name)


def _node_ids(text: str) -> list[str]:
    try:
        data = json.loads(text)
    except json.JSONDecodeError:
        return []  # no order known: the scheduler falls back on what it has seen
    return [str(n) for n in data] if isinstance(data, list) else []


def _close(fd: int) -> None:
    if fd >= 0:
        with contextlib.suppress(OSError):
            os.close(fd)
