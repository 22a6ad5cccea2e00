"""SIGTERM and SIGINT to load, serve, run and gate --against: nothing is left behind.

Each test starts the command as a child, waits until the processes it starts exist,
signals the command alone (as ``kill`` or a supervisor would) and then checks that
the command ended and every process it started is gone, with no server port still
listening and no git worktree still registered.
"""

import contextlib
import shutil
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import psutil
import pytest

pytestmark = pytest.mark.slow

SIGNALS = [signal.SIGTERM, signal.SIGINT]
EXIT = {signal.SIGTERM: 143, signal.SIGINT: 130}


Spawn = Callable[..., subprocess.Popen[str]]


@pytest.fixture
def perfcore() -> Iterator[Spawn]:
    """Start ``python -m perfcore ARGS``; whatever a failed test leaves is killed after it."""
    children: list[subprocess.Popen[str]] = []
    trees: list[psutil.Process] = []

    def spawn(*args: str, cwd: Path | None = None) -> subprocess.Popen[str]:
        child = subprocess.Popen(
            [sys.executable, "-m", "perfcore", *args],
            cwd=cwd,
            text=True,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
        )
        children.append(child)
        return child

    yield spawn
    for child in children:
        if child.poll() is None:
            trees.extend(_tree(child.pid))
            child.kill()
            child.wait(timeout=30)
    for proc in trees:  # only processes our own children started, by their pids
        with contextlib.suppress(psutil.Error):
            proc.kill()


def _wait_for(check: Callable[[], bool], what: str, timeout_s: float = 90) -> None:
    deadline = time.monotonic() + timeout_s
    while not check():
        if time.monotonic() > deadline:
            raise AssertionError(f"gave up waiting for {what}")
        time.sleep(0.1)


def _tree(pid: int) -> list[psutil.Process]:
    try:
        return psutil.Process(pid).children(recursive=True)
    except psutil.NoSuchProcess:
        return []


def _cmdlines(procs: list[psutil.Process]) -> str:
    text = []
    for proc in procs:
        try:
            text.append(" ".join(proc.cmdline()))
        except psutil.Error:
            continue
    return "\n".join(text)


def _listening(procs: list[psutil.Process]) -> set[int]:
    ports = set()
    for proc in procs:
        try:
            for conn in proc.net_connections(kind="tcp"):
                if conn.status == psutil.CONN_LISTEN:
                    ports.add(conn.laddr.port)
        except psutil.Error:
            continue
    return ports


def _signal_and_check(
    child: subprocess.Popen[str],
    sig: signal.Signals,
    started: list[psutil.Process],
    ports: set[int],
) -> str:
    """Signal the command; it exits by itself, its processes and ports are gone."""
    child.send_signal(sig)
    try:
        _, err = child.communicate(timeout=60)
    except subprocess.TimeoutExpired:
        raise AssertionError(f"still running 60 s after {sig.name}") from None
    _, alive = psutil.wait_procs(started, timeout=10)
    left = _cmdlines(alive)
    for proc in alive:  # what the command failed to stop, started by it, by pid
        with contextlib.suppress(psutil.Error):
            proc.kill()
    assert not alive, f"left running after {sig.name}: {left}"
    for port in ports:
        with socket.socket() as probe:
            assert probe.connect_ex(("127.0.0.1", port)) != 0, f"port {port} still listens"
    assert child.returncode == EXIT[sig], err
    assert "Traceback" not in err, err
    return err


@pytest.mark.load
@pytest.mark.parametrize("sig", SIGNALS, ids=lambda s: s.name)
@pytest.mark.parametrize("mode", ["open-loop", "locust"])
def test_load_leaves_no_server_or_locust(
    tmp_path: Path, perfcore: Spawn, sig: signal.Signals, mode: str
) -> None:
    """A signal mid-run stops perfcore load, its server and its Locust child."""
    how = ("--rate", "100") if mode == "open-loop" else ("--users", "2")
    child = perfcore(
        "load",
        "--synthetic-model",
        "--targets",
        "local",
        "--duration",
        "120",
        *how,
        "--output",
        str(tmp_path / "load.json"),
    )
    wanted = "perfcore.serving" if mode == "open-loop" else "locust"
    _wait_for(
        lambda: wanted in _cmdlines(_tree(child.pid)) and bool(_listening(_tree(child.pid))),
        f"the {wanted} child",
    )
    time.sleep(1.0)  # into the run proper
    started = _tree(child.pid)
    _signal_and_check(child, sig, started, _listening(started))
    assert not (tmp_path / "load.json").exists()


def _partial_request(port: int) -> socket.socket:
    """A client that sends the headers and half the body, then goes quiet."""
    client = socket.create_connection(("127.0.0.1", port))
    client.sendall(
        b"POST /predict HTTP/1.1\r\nHost: t\r\nContent-Type: application/json\r\n"
        b'Content-Length: 400\r\n\r\n{"features": ['
    )
    return client


@pytest.mark.parametrize("sig", SIGNALS, ids=lambda s: s.name)
def test_serve_stops_despite_a_client_holding_a_partial_request(
    perfcore: Spawn, sig: signal.Signals
) -> None:
    """perfcore serve exits after a signal even while clients hold half-sent requests."""
    child = perfcore("serve", "--synthetic-model", "--port", "0")
    assert child.stdout is not None
    line = child.stdout.readline()
    assert line.startswith("serving local on http://127.0.0.1:"), line
    port = int(line.split(":")[2].split()[0])
    clients = [_partial_request(port) for _ in range(3)]
    try:
        time.sleep(0.5)
        _signal_and_check(child, sig, [], {port})
    finally:
        for client in clients:
            client.close()


def test_serve_announces_only_a_model_it_could_load(tmp_path: Path) -> None:
    """A model file that fails to load: exit 2, one line, and nothing says "serving"."""
    model_dir = tmp_path / "models" / "current"
    model_dir.mkdir(parents=True)
    (model_dir / "model.skops").write_bytes(b"not a zip archive")
    done = subprocess.run(
        [sys.executable, "-m", "perfcore", "serve", "--model-dir", str(model_dir), "--port", "0"],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert done.returncode == 2, done.stderr
    assert "serving" not in done.stdout
    assert len(done.stderr.strip().splitlines()) == 1, done.stderr


_SLOW_BENCH = """
import time

def test_slow(benchmark):
    benchmark.pedantic(time.sleep, args=(0.05,), rounds=2000, iterations=1)
"""
_CONFTEST = """
def pytest_addoption(parser):
    parser.addoption("--quick", action="store_true")
"""


def _project(root: Path) -> Path:
    (root / "bench").mkdir(parents=True)
    (root / "pyproject.toml").write_text("[tool.perfcore]\n")
    (root / "bench" / "conftest.py").write_text(_CONFTEST)
    (root / "bench" / "test_slow.py").write_text(_SLOW_BENCH)
    return root


def _pytest_running(pid: int, count: int = 1) -> bool:
    return _cmdlines(_tree(pid)).count("pytest") >= count


@pytest.mark.parametrize("sig", SIGNALS, ids=lambda s: s.name)
def test_run_leaves_no_benchmark_process(
    tmp_path: Path, perfcore: Spawn, sig: signal.Signals
) -> None:
    """A signal while perfcore run's suite runs stops the suite's process too."""
    root = _project(tmp_path / "project")
    child = perfcore("run", "--quick", "--no-load", "--out", str(tmp_path / "out"), cwd=root)
    _wait_for(lambda: _pytest_running(child.pid), "the benchmark suite")
    time.sleep(1.0)
    _signal_and_check(child, sig, _tree(child.pid), set())


def _git(repo: Path, *args: str) -> str:
    return subprocess.run(
        ["git", "-c", "user.name=t", "-c", "user.email=t@t", *args],
        cwd=repo,
        check=True,
        capture_output=True,
        text=True,
        timeout=60,
    ).stdout


@pytest.mark.parametrize("sig", SIGNALS, ids=lambda s: s.name)
def test_gate_against_leaves_no_worktree_or_process(
    tmp_path: Path, perfcore: Spawn, sig: signal.Signals
) -> None:
    """A signal during gate --against's rounds removes REF's worktree and its processes."""
    repo = _project(tmp_path / "repo")
    _git(repo, "init", "-q")
    _git(repo, "add", ".")
    _git(repo, "commit", "-qm", "slow")
    child = perfcore("gate", "--against", "HEAD", "--rounds", "2", cwd=repo)
    _wait_for(lambda: _pytest_running(child.pid, 2), "both sides' suites")
    worktrees = _git(repo, "worktree", "list", "--porcelain")
    scratch = Path(worktrees.split("worktree ")[2].split("\n")[0])
    assert scratch.is_dir()
    try:
        _signal_and_check(child, sig, _tree(child.pid), set())
        assert len(_git(repo, "worktree", "list").strip().splitlines()) == 1
        assert not scratch.exists()
        assert not scratch.parent.exists()
    finally:  # what a failing gate left: its own temporary folder
        shutil.rmtree(scratch.parent, ignore_errors=True)
