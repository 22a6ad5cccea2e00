"""PhaseTracker: accumulation with a fake clock, misuse errors, baseline comparison."""

from __future__ import annotations

import pytest

from perfcore.instrument.phases import PhaseTracker


class FakeClock:
    """A nanosecond clock that advances only when told to."""

    def __init__(self) -> None:
        self.now = 0

    def __call__(self) -> int:
        return self.now


@pytest.fixture
def clocks() -> tuple[FakeClock, FakeClock]:
    return FakeClock(), FakeClock()


def _tracker(clocks: tuple[FakeClock, FakeClock]) -> PhaseTracker:
    wall, cpu = clocks
    return PhaseTracker({"training": "advanced"}, wall_clock=wall, cpu_clock=cpu)


def test_phase_accumulates_wall_cpu_and_calls(clocks: tuple[FakeClock, FakeClock]) -> None:
    """Two invocations of a phase add their wall and CPU intervals and count two calls."""
    wall, cpu = clocks
    tracker = _tracker(clocks)
    for wall_step, cpu_step in ((100, 40), (50, 10)):
        with tracker.phase("training"):
            wall.now += wall_step
            cpu.now += cpu_step
    (stats,) = tracker.stats()
    assert (stats.name, stats.tier, stats.wall_ns, stats.cpu_ns, stats.calls) == (
        "training",
        "advanced",
        150,
        50,
        2,
    )


def test_enter_exit_pair_matches_context_manager(clocks: tuple[FakeClock, FakeClock]) -> None:
    """The low-level enter/exit pair records like the with-statement; unknown tiers read '-'."""
    wall, _ = clocks
    tracker = _tracker(clocks)
    tracker.enter("validation")
    wall.now += 7
    tracker.exit("validation")
    (stats,) = tracker.stats()
    assert (stats.wall_ns, stats.calls, stats.tier) == (7, 1, "-")


def test_phase_context_is_reused() -> None:
    """phase(name) hands back the same object each time (no allocation per use)."""
    tracker = PhaseTracker()
    assert tracker.phase("a") is tracker.phase("a")


def test_phase_records_even_when_body_raises(clocks: tuple[FakeClock, FakeClock]) -> None:
    """A phase whose body raises is still closed and counted, and the error propagates."""
    wall, _ = clocks
    tracker = _tracker(clocks)

    def failing_phase() -> None:
        with tracker.phase("training"):
            wall.now += 5
            raise ValueError("boom")

    with pytest.raises(ValueError, match="boom"):
        failing_phase()
    assert tracker.stats()[0].wall_ns == 5
    with tracker.phase("training"):  # usable again: not left "active"
        pass


def test_reentering_a_running_phase_is_an_error() -> None:
    """Entering a phase that is running raises instead of corrupting its start time."""
    tracker = PhaseTracker()
    tracker.enter("a")
    with pytest.raises(RuntimeError, match="already running"):
        tracker.enter("a")


def test_exit_without_enter_is_an_error() -> None:
    """Exiting a phase never entered raises."""
    tracker = PhaseTracker()
    with pytest.raises(RuntimeError, match="without being entered"):
        tracker.exit("a")


def test_stats_keep_first_use_order(clocks: tuple[FakeClock, FakeClock]) -> None:
    """Phases are reported in the order they were first used, and totals add up."""
    wall, _ = clocks
    tracker = _tracker(clocks)
    for name, step in (("b", 3), ("a", 4), ("b", 5)):
        with tracker.phase(name):
            wall.now += step
    assert [s.name for s in tracker.stats()] == ["b", "a"]
    assert tracker.total_wall_ns() == 12


def test_optimisation_against_baseline(clocks: tuple[FakeClock, FakeClock]) -> None:
    """Reduction is (baseline - current) / baseline over shared phases; the target is judged."""
    wall, _ = clocks
    tracker = _tracker(clocks)
    with tracker.phase("training"):
        wall.now += 600_000_000  # 0.6 s
    with tracker.phase("validation"):
        wall.now += 100_000_000  # 0.1 s
    tracker.set_baseline({"training": 1.0, "validation": 0.1, "unknown": 5.0})
    opt = tracker.optimisation(30.0)
    assert opt.baseline_total_s == pytest.approx(1.1)
    assert opt.current_total_s == pytest.approx(0.7)
    assert opt.reduction_pct == pytest.approx(400 / 11)
    assert opt.phase_reduction_pct["training"] == pytest.approx(40.0)
    assert opt.meeting_target
    assert not tracker.optimisation(40.0).meeting_target


def test_optimisation_needs_a_baseline() -> None:
    """Asking for a reduction without a baseline is an error, not a silent 0%."""
    with pytest.raises(ValueError, match="no baseline"):
        PhaseTracker().optimisation(30.0)


def test_reset_clears_timings_but_keeps_baseline(clocks: tuple[FakeClock, FakeClock]) -> None:
    """reset() zeroes the phases; the baseline survives."""
    wall, _ = clocks
    tracker = _tracker(clocks)
    tracker.set_baseline({"training": 1.0})
    with tracker.phase("training"):
        wall.now += 9
    tracker.reset()
    assert tracker.stats()[0].wall_ns == 0
    assert tracker.baseline == {"training": 1.0}
