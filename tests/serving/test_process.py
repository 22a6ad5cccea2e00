"""Servers start on a free loopback port, answer /health, and stop by PID."""

import subprocess
import sys

import httpx
import pytest

from perfcore.errors import ServiceError
from perfcore.serving.process import start_server, stop_pid
from perfcore.serving.server import ServerSpec


def test_start_predict_stop(tmp_path) -> None:
    """A started server is healthy on 127.0.0.1, answers, and is gone after stop()."""
    with start_server(ServerSpec(model_dir=None, port=0), tmp_path) as proc:
        assert proc.url.startswith("http://127.0.0.1:")
        reply = httpx.post(f"{proc.url}/predict", json={"features": [0.0] * 16})
        assert reply.status_code == 200
    assert not proc.alive()
    with pytest.raises(httpx.ConnectError):
        httpx.get(f"{proc.url}/health", timeout=1)


def test_failed_start_is_a_service_error(tmp_path) -> None:
    """A server that cannot load its model fails start-up with a ServiceError, not a hang."""
    with pytest.raises(ServiceError, match="exited during start-up"):
        start_server(
            ServerSpec(model_dir=str(tmp_path / "missing"), port=0), tmp_path, startup_timeout_s=60
        )


def test_stop_pid_kills_a_process_that_ignores_sigterm() -> None:
    """SIGTERM first; a child ignoring it is SIGKILLed after the grace period."""
    code = (
        "import signal, time; signal.signal(signal.SIGTERM, signal.SIG_IGN); "
        "print(1, flush=True); time.sleep(60)"
    )
    child = subprocess.Popen([sys.executable, "-c", code], stdout=subprocess.PIPE)
    assert child.stdout is not None
    assert child.stdout.readline()
    stop_pid(child.pid, grace_s=0.3)
    assert child.wait(timeout=10) == -9
