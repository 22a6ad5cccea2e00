"""The store probes' persistence faults: saves killed midway, two corruptions in one
second, directories where files go, and the umask race (:mod:`studies.probe_stores`)."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable
from pathlib import Path

from studies.probe_common import Outcome, clean, cli, make_run

# --- persistence faults -------------------------------------------------------------------------

_SAVER = """
import sys
from perfcore.components.cache import LLMCache
cache = LLMCache(max_entries=50_000)
for i in range(50_000):
    cache.put(f"prompt {i}", "x" * 200)
print("ready", flush=True)
while True:
    cache.save(sys.argv[1])
"""


def _killed_save(folder: Path, delay_s: float) -> Outcome:
    from perfcore.components.cache import LLMCache

    path = folder / "cache.jsonl"
    saver = subprocess.Popen([sys.executable, "-c", _SAVER, str(path)], stdout=subprocess.PIPE)
    assert saver.stdout is not None
    saver.stdout.readline()
    time.sleep(delay_s)
    os.kill(saver.pid, signal.SIGKILL)
    saver.wait()
    saver.stdout.close()
    temps = [p for p in folder.iterdir() if p.name.endswith(".tmp")]
    old = time.time() - 2 * 3600  # as if the next load came two hours later
    for temp in temps:
        os.utime(temp, (old, old))
    if path.exists():
        LLMCache(10, path=path)
    else:
        LLMCache(10).save(path)
    left = [p for p in folder.iterdir() if p.name.endswith(".tmp")]
    return not left, f"killed save: {len(temps)} temporaries, {len(left)} left after next load"


def _two_corruptions(folder: Path) -> Outcome:
    import warnings
    from unittest import mock

    from perfcore.components.cache import LLMCache

    path = folder / "cache.jsonl"
    with mock.patch("time.strftime", return_value="20260101T000000"):
        for content in ("first\n", "second\n"):
            path.write_text(content)
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                LLMCache(4, path=path)
    kept = len(list(folder.glob("cache.jsonl.corrupt-*")))
    return kept == 2, f"two corruptions in one second: {kept} quarantined copies kept"


def _directory_at_cache(folder: Path) -> Outcome:
    from perfcore.components.cache import LLMCache
    from perfcore.errors import PerfcoreError

    path = folder / "cache.jsonl"
    path.mkdir()
    (path / "mine").write_text("x")
    try:
        LLMCache(4, path=path)
        outcome = "accepted"
    except PerfcoreError as exc:
        outcome = f"exit {exc.exit_code}"
    except Exception as exc:  # a traceback for the user
        outcome = f"traceback {type(exc).__name__}"
    kept = (path / "mine").is_file()
    return outcome == "exit 2" and kept, f"directory at cache path: {outcome}, kept={kept}"


def _directory_at_baseline(folder: Path) -> Outcome:
    make_run("abc123").save(folder / "in.json")
    (folder / "store" / "abc123" / "baseline.json").mkdir(parents=True)
    code, _, err = cli(
        ["baseline", "save", str(folder / "in.json"), "--baselines-dir", str(folder / "store")]
    )
    problem = clean(code, err, 2)
    return not problem, f"directory at baseline.json: {problem}"


def _umask_race(folder: Path, rounds: int) -> Outcome:
    from perfcore._atomic import atomic_write_text

    expected = 0o666 & ~_current_umask()
    stop, wrong = threading.Event(), []

    def writer() -> None:
        while not stop.is_set():
            atomic_write_text(folder / "atomic.txt", "x")

    thread = threading.Thread(target=writer)
    # Switch threads as often as possible, so a window in which another thread has
    # changed the process umask is hit within a bounded number of rounds.
    interval = sys.getswitchinterval()
    sys.setswitchinterval(1e-6)
    thread.start()
    try:
        for i in range(rounds):
            target = folder / f"plain-{i % 64}.txt"
            target.unlink(missing_ok=True)
            with target.open("w"):
                pass
            if target.stat().st_mode & 0o777 != expected:
                wrong.append(i)
    finally:
        stop.set()
        thread.join()
        sys.setswitchinterval(interval)
    return not wrong, f"umask race: {len(wrong)} of {rounds} plain files with the wrong mode"


def _umask_race_fast(folder: Path, rounds: int) -> Outcome:
    # On tmpfs fsync is cheap, so the atomic writer loops often enough to matter.
    shm = Path("/dev/shm")  # noqa: S108 -- a private TemporaryDirectory inside it
    if not shm.is_dir():
        return _umask_race(folder, rounds)
    with tempfile.TemporaryDirectory(prefix="probe-umask-", dir=shm) as fast:
        return _umask_race(Path(fast), rounds)


def _current_umask() -> int:
    with tempfile.TemporaryDirectory() as folder:
        probe = Path(folder) / "p"
        probe.touch()
        return 0o777 & ~probe.stat().st_mode & 0o666


def persistence(scratch: Path, umask_rounds: int) -> list[Outcome]:
    """Killed saves, corruptions, directories where files go, the umask race."""
    outcomes = []
    probes: list[Callable[[Path], Outcome]] = [
        *(lambda f, d=d: _killed_save(f, d) for d in (0.05, 0.2, 0.5)),
        _two_corruptions,
        _directory_at_cache,
        _directory_at_baseline,
        lambda f: _umask_race_fast(f, umask_rounds),
    ]
    for i, probe in enumerate(probes):
        folder = scratch / f"p{i}"
        folder.mkdir()
        outcomes.append(probe(folder))
    return outcomes
