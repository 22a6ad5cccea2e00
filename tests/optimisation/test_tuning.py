"""Capacity search and the tuner, driven by fake load: bracketing, validity, rollback, budget."""

from dataclasses import dataclass, field

from perfcore.optimisation.capacity import SLO, STRATEGIES, StepResult, find_capacity, judge_step
from perfcore.optimisation.profiles import ServerSettings
from perfcore.optimisation.tuning import TuneLimits, neighbours, tune

SLO20 = SLO(p99_s=0.020, min_requests=10)


def _step(rate: float, knee: float) -> StepResult:
    """A server whose p99 is 5 ms below ``knee`` requests/s and 80 ms above it."""
    return StepResult(rate, rate, 1000, 0, 0.005 if rate <= knee else 0.080)


def test_search_brackets_the_knee_within_its_precision() -> None:
    """The capacity found lies within the precision below the true knee."""
    cap = find_capacity(
        lambda r: _step(r, 1000), 100, SLO20, STRATEGIES["balanced"], max_steps=20, precision=0.05
    )
    assert 1000 / 1.05 <= cap.rate <= 1000
    assert cap.bracketed


def test_invalid_steps_do_not_count_as_passing() -> None:
    """Too few requests, errors, or an achieved rate far from the target each fail a step."""
    assert judge_step(StepResult(100, 100, 5, 0, 0.001), SLO20).startswith("invalid")
    assert judge_step(StepResult(100, 100, 500, 2, 0.001), SLO20).startswith("invalid")
    assert judge_step(StepResult(100, 80, 500, 0, 0.001), SLO20).startswith("invalid")
    assert judge_step(StepResult(100, 99, 500, 0, 0.001), SLO20) == ""


def test_each_growth_step_is_bounded_by_the_strategy() -> None:
    """Before the first failure the rate grows by exactly the strategy's factor."""
    cap = find_capacity(
        lambda r: _step(r, 1e9), 100, SLO20, STRATEGIES["conservative"], max_steps=4
    )
    assert [p.rate for p in cap.probes] == [100, 125, 156.25, 195.3125]


def test_neighbours_move_one_setting_by_at_most_the_notches() -> None:
    """Balanced moves one rung of one setting; aggressive up to two rungs."""
    ladders = {"batch_rows": (0, 8, 16, 32)}
    start = ServerSettings(batch_rows=8)
    assert {n.batch_rows for n in neighbours(start, STRATEGIES["balanced"], ladders)} == {0, 16}
    assert {n.batch_rows for n in neighbours(start, STRATEGIES["aggressive"], ladders)} == {
        0,
        16,
        32,
    }


@dataclass
class FakeTarget:
    """Knees per configuration; records every apply."""

    knees: dict
    applied: list = field(default_factory=list)

    def apply(self, settings: ServerSettings) -> None:
        self.applied.append(settings)

    def run(self, rate: float) -> StepResult:
        return _step(rate, self.knees[self.applied[-1]])


START = ServerSettings(batch_rows=0)
WORSE = ServerSettings(batch_rows=8)
LADDER = {"batch_rows": (0, 8)}


def test_a_step_that_violates_the_slo_is_rolled_back() -> None:
    """A candidate failing at the incumbent's rate is rolled back; the previous one is restored."""
    target = FakeTarget({START: 1000, WORSE: 300})
    result = tune(
        target,
        START,
        SLO20,
        STRATEGIES["balanced"],
        TuneLimits(start_rate=100, max_steps=12),
        ladders=LADDER,
    )
    trial = result.trials[1]
    assert trial.settings == WORSE
    assert trial.rolled_back
    assert not trial.adopted
    assert target.applied[-1] == START
    assert result.best == START
    assert 300 / 1.1 <= trial.capacity.rate <= 300  # still measured, for the table


def test_a_better_candidate_is_adopted() -> None:
    """A candidate with a higher capacity becomes the recommendation."""
    better = ServerSettings(batch_rows=8)
    result = tune(
        FakeTarget({START: 500, better: 2000}),
        START,
        SLO20,
        STRATEGIES["balanced"],
        TuneLimits(start_rate=100, max_steps=12),
        ladders=LADDER,
    )
    assert result.best == better
    assert result.trials[1].adopted
    assert result.best_rate > 1500


def test_time_budget_stops_the_walk() -> None:
    """Once the budget is spent no further configuration is tried."""
    ticks = iter(range(0, 10_000, 50))
    result = tune(
        FakeTarget({START: 1000, WORSE: 2000}),
        START,
        SLO20,
        STRATEGIES["balanced"],
        TuneLimits(start_rate=100, time_budget_s=60),
        ladders=LADDER,
        clock=lambda: float(next(ticks)),
    )
    assert len(result.trials) == 1
    assert result.stopped == "time budget spent"


def test_a_failing_step_is_retried_when_asked() -> None:
    """With retry_failed=1 a rate that fails once then passes counts as passing."""
    outcomes = iter([0.080, 0.005, 0.005])
    cap = find_capacity(
        lambda r: StepResult(r, r, 1000, 0, next(outcomes)),
        100,
        SLO20,
        STRATEGIES["balanced"],
        max_steps=2,
        retry_failed=1,
    )
    assert [p.passed for p in cap.probes] == [False, True, True]
    assert cap.rate == 150


def test_the_cli_offers_every_strategy() -> None:
    """perfcore tune --strategy lists exactly the strategies the search knows."""
    from perfcore._cli.tune import STRATEGY_NAMES
    from perfcore.optimisation.capacity import STRATEGIES

    assert tuple(sorted(STRATEGIES)) == STRATEGY_NAMES
