"""Start and stop servers as child processes on free loopback ports.

The parent binds the listening socket itself (port 0: the kernel picks a free port)
and hands the descriptor to the child, so there is no window in which another
process can take the port between "find a free port" and "bind it".
"""

from __future__ import annotations

import contextlib
import os
import signal
import socket
import subprocess
import sys
import time
from dataclasses import dataclass, replace
from pathlib import Path

import httpx

from perfcore.errors import ServiceError
from perfcore.serving.limits import SHUTDOWN_TIMEOUT_S
from perfcore.serving.server import ServerSpec, listen

__all__ = ["ServerProcess", "start_server", "start_workers", "stop_pid"]


def stop_pid(pid: int, grace_s: float = 5.0) -> None:
    """SIGTERM ``pid``, then SIGKILL it if it is still alive after ``grace_s``."""
    with contextlib.suppress(ProcessLookupError):
        os.kill(pid, signal.SIGTERM)
        deadline = time.monotonic() + grace_s
        while time.monotonic() < deadline:
            if not _alive(pid):
                return
            time.sleep(0.05)
        os.kill(pid, signal.SIGKILL)


def _alive(pid: int) -> bool:
    try:
        done, _ = os.waitpid(pid, os.WNOHANG)
    except ChildProcessError:  # not our child: fall back to a signal probe
        try:
            os.kill(pid, 0)
        except ProcessLookupError:
            return False
        return True
    return done == 0


@dataclass
class ServerProcess:
    """A running server child: its URL, process and log file."""

    url: str
    spec: ServerSpec
    popen: subprocess.Popen[bytes]
    log_path: Path

    @property
    def pid(self) -> int:
        """The child's process id."""
        return self.popen.pid

    def alive(self) -> bool:
        """True while the child has not exited."""
        return self.popen.poll() is None

    def stop(self, grace_s: float = SHUTDOWN_TIMEOUT_S + 5.0) -> None:
        """SIGTERM, then SIGKILL after ``grace_s``; reaps the child."""
        if self.alive():
            self.popen.terminate()
            try:
                self.popen.wait(timeout=grace_s)
            except subprocess.TimeoutExpired:
                self.popen.kill()
                self.popen.wait(timeout=grace_s)

    def __enter__(self) -> ServerProcess:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.stop()


def _listening_socket(host: str, port: int) -> socket.socket:
    sock = listen(host, port)
    sock.set_inheritable(True)
    return sock


def _spawn(argv: list[str], spec: ServerSpec, sock: socket.socket, log_path: Path) -> ServerProcess:
    """A server process on ``spec.port`` that accepts on the inherited ``sock``."""
    with open(log_path, "wb") as log:
        popen = subprocess.Popen(
            argv,
            stdout=log,
            stderr=subprocess.STDOUT,
            pass_fds=(sock.fileno(),),
            start_new_session=True,
        )
    return ServerProcess(
        url=f"http://{spec.host}:{spec.port}", spec=spec, popen=popen, log_path=log_path
    )


def _wait_healthy(proc: ServerProcess, timeout_s: float) -> None:
    deadline = time.monotonic() + timeout_s
    with httpx.Client(timeout=1.0) as client:
        while time.monotonic() < deadline:
            if not proc.alive():
                tail = proc.log_path.read_text(errors="replace")[-800:]
                raise ServiceError(f"{proc.spec.kind} server exited during start-up: {tail}")
            with contextlib.suppress(httpx.HTTPError):
                if client.get(f"{proc.url}/health").status_code == 200:
                    return
            time.sleep(0.05)
    proc.stop()
    raise ServiceError(f"{proc.spec.kind} server not healthy after {timeout_s:.0f} s")


def start_server(
    spec: ServerSpec, log_dir: Path, *, startup_timeout_s: float = 60.0, cpu: int | None = None
) -> ServerProcess:
    """Start ``spec`` on a free port (``spec.port`` 0) and wait for /health to answer."""
    sock = _listening_socket(spec.host, spec.port)
    port = sock.getsockname()[1]
    spec = replace(spec, port=port)
    log_dir.mkdir(parents=True, exist_ok=True)
    log_path = log_dir / f"server-{spec.kind}-{port}.log"
    argv = [sys.executable, "-m", "perfcore.serving", spec.to_json(), str(sock.fileno())]
    if cpu is not None:
        argv = ["taskset", "-c", str(cpu), *argv]
    proc = _spawn(argv, spec, sock, log_path)
    sock.close()
    try:
        _wait_healthy(proc, startup_timeout_s)
    except BaseException:  # Ctrl-C or SIGTERM while it starts: nobody else holds it yet
        proc.stop()
        raise
    return proc


def start_workers(
    spec: ServerSpec, log_dir: Path, workers: int, *, startup_timeout_s: float = 60.0
) -> list[ServerProcess]:
    """Start ``workers`` server processes that accept on one shared listening socket.

    The kernel hands each new connection to one of them, so N workers serve one URL.
    """
    if workers < 1:
        raise ServiceError(f"workers must be >= 1, got {workers}")
    sock = _listening_socket(spec.host, spec.port)
    port = sock.getsockname()[1]
    spec = replace(spec, port=port)
    log_dir.mkdir(parents=True, exist_ok=True)
    argv = [sys.executable, "-m", "perfcore.serving", spec.to_json(), str(sock.fileno())]
    procs: list[ServerProcess] = []
    try:
        for i in range(workers):
            procs.append(_spawn(argv, spec, sock, log_dir / f"server-{spec.kind}-{port}-w{i}.log"))
        sock.close()
        for proc in procs:
            _wait_healthy(proc, startup_timeout_s)
    except BaseException:
        sock.close()
        for proc in procs:
            proc.stop()
        raise
    return procs
