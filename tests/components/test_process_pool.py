"""The process pool's transport: one pickling of the input per run, calls queued ahead."""

from __future__ import annotations

from validator_fixtures import CountedInput, accepts_anything, hangs, names_its_process, passes

from perfcore.components import ParallelValidator


def test_input_is_pickled_once_per_run() -> None:
    """Eight calls on two workers pickle the input once, not once per call."""
    with ParallelValidator([accepts_anything] * 8, mode="processes", max_workers=2) as validator:
        CountedInput.pickled = 0
        report = validator.run(CountedInput())
    assert report.ok
    assert CountedInput.pickled == 1


def test_calls_queued_behind_a_killed_call_still_run() -> None:
    """With one worker, the calls sent ahead of a hung one run on its replacement."""
    with ParallelValidator(
        [hangs, passes, passes, passes], mode="processes", max_workers=1, timeout_s=0.5
    ) as validator:
        report = validator.run(1)
    assert [r.status for r in report.results] == ["timeout", "passed", "passed", "passed"]


def test_unpicklable_input_fails_every_call_cleanly() -> None:
    """An input that cannot be pickled is a failed result for each validator, not a crash."""
    with ParallelValidator([passes, passes], mode="processes", max_workers=2) as validator:
        report = validator.run(lambda: None)
    assert [r.status for r in report.results] == ["failed", "failed"]
    assert "cannot send" in report.results[0].detail


def test_two_calls_on_two_workers_go_to_both() -> None:
    """Each idle worker gets a call before any worker gets a second one sent ahead."""
    with ParallelValidator([names_its_process] * 2, mode="processes", max_workers=2) as validator:
        report = validator.run(1)
    assert len({r.detail for r in report.results}) == 2
