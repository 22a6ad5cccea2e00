"""ParallelValidator: outcomes, order, timeouts, and no worker left behind."""

from __future__ import annotations

import threading
import time

import psutil
import pytest
from validator_fixtures import (
    async_hangs,
    async_passes,
    burn_cpu,
    dies,
    hangs,
    passes,
    raises,
    returns_false,
    sleeps_briefly,
)

from perfcore.components import ParallelValidator
from perfcore.errors import ConfigError

TIMEOUT = 0.5
MODES = ["serial", "threads", "processes", "asyncio"]


def _statuses(report: object) -> list[str]:
    return [r.status for r in report.results]  # type: ignore[attr-defined]


@pytest.mark.parametrize("mode", MODES)
def test_outcomes_in_input_order(mode: str) -> None:
    """Pass, False and raise become passed/failed/failed results, in the validators' order."""
    validators = [sleeps_briefly, returns_false, raises, passes]
    with ParallelValidator(validators, mode=mode, max_workers=4) as validator:  # type: ignore[arg-type]
        report = validator.run(5)
    assert _statuses(report) == ["passed", "failed", "failed", "passed"]
    assert [r.name for r in report.results] == [
        "sleeps_briefly",
        "returns_false",
        "raises",
        "passes",
    ]
    assert "ValueError: bad input 5" in report.results[2].detail
    assert not report.ok


@pytest.mark.parametrize("mode", ["threads", "processes", "asyncio", "serial"])
def test_hung_validator_times_out_within_half_a_second(mode: str) -> None:
    """A validator that never returns is reported timed out within timeout + 0.5 s."""
    validators = [passes, hangs, raises]
    with ParallelValidator(validators, mode=mode, timeout_s=TIMEOUT) as validator:  # type: ignore[arg-type]
        if mode == "processes":
            validator.run(1)  # start the workers first: their start-up is not the validator's
        begin = time.perf_counter()
        report = validator.run(1)
        wall = time.perf_counter() - begin
    assert _statuses(report) == ["passed", "timeout", "failed"]
    assert report.results[1].elapsed_s <= TIMEOUT + 0.5
    assert wall < TIMEOUT + 5.0  # generous: the run as a whole does not wait for the hung call


def test_async_hung_validator_is_cancelled() -> None:
    """In asyncio mode a hung coroutine is cancelled at its timeout, no thread abandoned."""
    validator = ParallelValidator([async_passes, async_hangs], mode="asyncio", timeout_s=TIMEOUT)
    report = validator.run(1)
    assert _statuses(report) == ["passed", "timeout"]
    assert report.abandoned_threads == 0
    assert "cancelled" in report.results[1].detail


def test_processes_leave_no_worker_after_close() -> None:
    """Hung workers are killed; after close no worker process of ours is alive."""
    me = psutil.Process()
    validator = ParallelValidator(
        [hangs, passes, hangs], mode="processes", max_workers=2, timeout_s=TIMEOUT
    )
    report = validator.run(1)
    pids = validator.worker_pids()
    assert _statuses(report) == ["timeout", "passed", "timeout"]
    assert pids
    validator.close()
    alive = {p.pid for p in me.children(recursive=True)}
    assert alive.isdisjoint(pids)
    assert validator.worker_pids() == []


def test_worker_death_is_a_failed_result() -> None:
    """A validator that kills its worker process is reported failed; the run goes on."""
    with ParallelValidator([dies, passes], mode="processes", max_workers=1) as validator:
        report = validator.run(1)
    assert _statuses(report) == ["failed", "passed"]
    assert "died" in report.results[0].detail


def test_unpicklable_validator_fails_cleanly_in_processes() -> None:
    """A lambda cannot reach a worker process: that is a failed result, not a crash."""
    with ParallelValidator([lambda v: True, passes], mode="processes") as validator:
        report = validator.run(1)
    assert _statuses(report) == ["failed", "passed"]
    assert "cannot send" in report.results[0].detail


def test_threads_mode_abandons_only_the_hung_thread() -> None:
    """After a run only the hung validator's daemon thread remains, and it is counted."""
    before = set(threading.enumerate())
    validator = ParallelValidator(
        [hangs, passes, sleeps_briefly], mode="threads", timeout_s=TIMEOUT
    )
    report = validator.run(1)
    time.sleep(0.1)  # let finished threads exit after reporting
    left = [t for t in set(threading.enumerate()) - before if t.name.startswith("perfcore-")]
    assert report.abandoned_threads == 1
    assert len(left) == 1
    assert left[0].daemon


def test_threads_run_sleep_bound_validators_concurrently() -> None:
    """Eight 50 ms validators on eight threads overlap rather than queue."""
    validator = ParallelValidator([sleeps_briefly] * 8, mode="threads", max_workers=8)
    report = validator.run(1)
    assert report.ok
    assert report.elapsed_s < sum(r.elapsed_s for r in report.results)


def test_processes_run_cpu_bound_validator() -> None:
    """CPU-bound validators complete in worker processes and pass."""
    with ParallelValidator([burn_cpu] * 4, mode="processes", max_workers=2) as validator:
        assert validator.run(10_000).ok


@pytest.mark.parametrize(("kwargs"), [{"mode": "fibers"}, {"max_workers": 0}, {"timeout_s": 0}])
def test_bad_settings_are_config_errors(kwargs: dict[str, object]) -> None:
    """Unknown modes and nonsense limits are rejected up front."""
    with pytest.raises(ConfigError):
        ParallelValidator([passes], **kwargs)  # type: ignore[arg-type]
