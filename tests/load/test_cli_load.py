"""`perfcore load` end to end on loopback: SLO exit codes, a dying server, distributed Locust."""

import json
import subprocess
import sys
from pathlib import Path

import pytest

pytestmark = pytest.mark.load


def _load(
    tmp_path: Path, *args: str, timeout: float = 120
) -> tuple[subprocess.CompletedProcess, dict]:
    out = tmp_path / "load.json"
    done = subprocess.run(
        [
            sys.executable,
            "-m",
            "perfcore",
            "load",
            "--synthetic-model",
            "--targets",
            "local",
            "--output",
            str(out),
            *args,
        ],
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )
    data = json.loads(out.read_text()) if out.exists() else {}
    return done, {r["id"]: r for r in data.get("results", [])}


_OPEN = ("--rate", "300", "--duration", "1.5", "--min-duration", "1", "--min-requests", "100")


def test_slo_met_exits_0(tmp_path: Path) -> None:
    """A service level that holds gives exit 0 and says so."""
    done, results = _load(tmp_path, *_OPEN, "--slo", "p99<5s", "--slo", "error_rate<1%")
    assert done.returncode == 0, done.stderr
    assert "SLO pass" in done.stdout
    assert results["load.local.p99"]["extra"]["valid"] is True
    assert results["load.local.p99_uncorrected"]["samples"]


def test_slo_missed_exits_1(tmp_path: Path) -> None:
    """An impossible service level (p99 under 1 µs) gives exit 1 and a MISS line."""
    done, _ = _load(tmp_path, *_OPEN, "--slo", "local:p99<1us")
    assert done.returncode == 1
    assert "SLO MISS" in done.stdout


def test_malformed_slo_is_a_usage_error(tmp_path: Path) -> None:
    """A malformed service level is exit 2 with one line, before any load runs."""
    done, results = _load(tmp_path, *_OPEN, "--slo", "p99<<fast")
    assert done.returncode == 2
    assert "Traceback" not in done.stderr
    assert not results


def test_too_short_run_is_invalid_not_a_number(tmp_path: Path) -> None:
    """Below the validity minimums, results carry valid=False, a reason and no samples."""
    done, results = _load(tmp_path, *_OPEN[:4], "--min-requests", "1000000", "--slo", "p99<5s")
    assert done.returncode == 1  # an SLO cannot pass on an invalid run
    p99 = results["load.local.p99"]
    assert p99["extra"]["valid"] is False
    assert "requests" in p99["extra"]["reason"]
    assert p99["samples"] == []
    assert "INVALID" in done.stdout


def test_server_killed_mid_run_counts_errors_and_fails(tmp_path: Path) -> None:
    """The server dies 1.5 s into a 20 s Locust run: errors counted, exit 1, no hang."""
    done, results = _load(
        tmp_path, "--users", "2", "--duration", "20", "--crash-at", "1.5", timeout=90
    )
    assert done.returncode == 1
    assert "died" in done.stderr
    rate = results["load.local.error_rate"]
    assert sum(rate["extra"]["errors"].values()) > 0
    assert rate["extra"]["duration_s"] < 15


def test_distributed_two_workers_complete(tmp_path: Path) -> None:
    """Locust with a master and two worker processes completes and reports valid results."""
    done, results = _load(
        tmp_path, "--users", "4", "--duration", "3", "--processes", "2", "--min-duration", "1"
    )
    assert done.returncode == 0, done.stderr + done.stdout
    throughput = results["load.local.throughput"]
    assert throughput["extra"]["valid"] is True
    assert throughput["params"]["processes"] == 2
    assert throughput["extra"]["requests"] > 0
