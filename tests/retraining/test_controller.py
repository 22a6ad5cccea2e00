"""The controller: cooldown, schedule, resources, cost limits, shadow rejection, auto-rollback."""

from __future__ import annotations

from pathlib import Path

from retrain_helpers import FakeClock, FakeTrainer, outcomes, small_settings, write_fake_model

from perfcore.retraining import ModelStore, RetrainingController
from perfcore.retraining.resources import Resources

HOUR = 3600.0


def _floor_breach(controller: RetrainingController, seed: int) -> list:
    """Feed 200 events at 30% accuracy: one floor (and emergency) trigger."""
    predictions, labels, x = outcomes(200, 0.3, seed=seed)
    return controller.observe_batch(predictions, labels, x)


def _warm(controller: RetrainingController, seed: int = 0, n: int = 2000) -> None:
    predictions, labels, x = outcomes(n, 0.8, seed=seed)
    assert controller.observe_batch(predictions, labels, x) == []


def _actions(decisions: list) -> list[str]:
    return [d.action for d in decisions]


def _refused(c: RetrainingController, decisions: list, action: str) -> bool:
    """No retrain, and a refusal for ``action`` (said now, or counted as a repeat)."""
    said = action in _actions(decisions)
    counted = any(kind == action for _, kind in c.quieted)
    return "would-retrain" not in _actions(decisions) and (said or counted)


def test_cooldown_suppresses_a_second_retrain(clock: FakeClock) -> None:
    """A trigger 1 h after a retrain is refused for the 6 h cooldown; one at 7 h is not."""
    c = RetrainingController(small_settings(), n_features=3, clock=clock)
    _warm(c)
    assert "would-retrain" in _actions(_floor_breach(c, 1))
    clock.now += 1 * HOUR
    assert _refused(c, _floor_breach(c, 2), "cooldown")
    clock.now += 6 * HOUR
    assert "would-retrain" in _actions(_floor_breach(c, 3))


def test_schedule_triggers_after_its_interval(clock: FakeClock) -> None:
    """With a 1 h schedule, the first event after 1 h is a scheduled retrain."""
    c = RetrainingController(small_settings(schedule_s=HOUR), n_features=3, clock=clock)
    _warm(c, n=300)
    clock.now += HOUR
    decisions = c.observe(1, 1, [0.0, 0.0, 0.0])
    assert [(d.trigger, d.action) for d in decisions] == [("schedule", "would-retrain")]


def test_resource_check_refuses_when_memory_is_short(clock: FakeClock) -> None:
    """Less free memory than min_memory_mb refuses the retrain."""
    c = RetrainingController(
        small_settings(min_memory_mb=512.0),
        n_features=3,
        clock=clock,
        resources=lambda: Resources(available_mb=100.0, cpu_percent=5.0),
    )
    _warm(c)
    assert _actions(_floor_breach(c, 1))[0] == "resources"


def test_resource_check_refuses_when_cpu_is_busy(clock: FakeClock) -> None:
    """A CPU busier than max_cpu_percent refuses the retrain."""
    c = RetrainingController(
        small_settings(max_cpu_percent=80.0),
        n_features=3,
        clock=clock,
        resources=lambda: Resources(available_mb=10_000.0, cpu_percent=95.0),
    )
    _warm(c)
    assert _actions(_floor_breach(c, 1))[0] == "resources"


def test_daily_limit_refuses_then_resets_next_day(clock: FakeClock) -> None:
    """Under a $0.05 daily limit a second $0.04 retrain waits for the next UTC day."""
    c = RetrainingController(
        small_settings(daily_limit=0.05, monthly_limit=1.0, cooldown_s=0.0),
        n_features=3,
        clock=clock,
    )
    _warm(c)
    assert "would-retrain" in _actions(_floor_breach(c, 1))
    clock.now += HOUR
    assert _refused(c, _floor_breach(c, 2), "cost")
    assert c.last_refusal is not None
    assert "daily limit" in c.last_refusal.reason
    clock.now += 24 * HOUR
    assert "would-retrain" in _actions(_floor_breach(c, 3))


def test_monthly_limit_refuses(clock: FakeClock) -> None:
    """Under a $0.10 monthly limit the third $0.04 retrain of the month is refused."""
    c = RetrainingController(
        small_settings(daily_limit=0.05, monthly_limit=0.10, cooldown_s=0.0),
        n_features=3,
        clock=clock,
    )
    _warm(c)
    for day in range(2):
        assert "would-retrain" in _actions(_floor_breach(c, 10 + day))
        clock.now += 24 * HOUR
    assert _refused(c, _floor_breach(c, 20), "cost")
    assert c.last_refusal is not None
    assert "monthly limit" in c.last_refusal.reason


def test_low_roi_refuses(clock: FakeClock) -> None:
    """When a correct prediction is worth almost nothing, the ROI rule refuses."""
    c = RetrainingController(small_settings(value_per_correct=1e-7), n_features=3, clock=clock)
    _warm(c)
    refused = _floor_breach(c, 1)
    assert refused[0].action == "cost"
    assert "ROI" in refused[0].reason


def _store_with_current(tmp_path: Path, clock: FakeClock) -> ModelStore:
    store = ModelStore(tmp_path / "models", small_settings(), clock=clock)
    first = store.add(*write_fake_model(tmp_path / "seed"))
    store.promote(first.version)
    return store


def test_shadow_rejects_a_worse_candidate(tmp_path: Path, clock: FakeClock) -> None:
    """A candidate worse than the live model on the shadow events is stored but not promoted."""
    store = _store_with_current(tmp_path, clock)
    c = RetrainingController(
        small_settings(),
        n_features=3,
        clock=clock,
        store=store,
        trainer=FakeTrainer(tmp_path / "cand", good=False),
    )
    _warm(c)
    decision = next(d for d in _floor_breach(c, 1) if d.action not in ("cooldown",))
    assert decision.action == "rejected"
    assert store.current() == "1.0.0"
    assert [v.version for v in store.versions()] == ["1.0.0", "1.0.1"]


def test_better_candidate_is_promoted_then_rolled_back_on_degradation(
    tmp_path: Path, clock: FakeClock
) -> None:
    """A promoted version whose accuracy falls 10% below its shadow figure is rolled back."""
    store = _store_with_current(tmp_path, clock)
    c = RetrainingController(
        small_settings(),
        n_features=3,
        clock=clock,
        store=store,
        trainer=FakeTrainer(tmp_path / "cand", good=True),
    )
    _warm(c)
    promoted = [d for d in _floor_breach(c, 1) if d.action == "promoted"]
    assert [d.version for d in promoted] == ["1.0.1"]
    assert store.current() == "1.0.1"
    predictions, labels, x = outcomes(400, 0.5, seed=5)
    rolled = [d for d in c.observe_batch(predictions, labels, x) if d.action == "rolled-back"]
    assert [d.version for d in rolled] == ["1.0.0"]
    assert store.current() == "1.0.0"
    assert store.log()[-1]["action"] == "rollback"


def test_no_rollback_while_the_promoted_model_holds(tmp_path: Path, clock: FakeClock) -> None:
    """A promoted version serving at its shadow accuracy is not rolled back."""
    store = _store_with_current(tmp_path, clock)
    c = RetrainingController(
        small_settings(),
        n_features=3,
        clock=clock,
        store=store,
        trainer=FakeTrainer(tmp_path / "cand", good=True),
    )
    _warm(c)
    _floor_breach(c, 1)
    predictions, labels, x = outcomes(2000, 1.0, seed=6)
    assert "rolled-back" not in _actions(c.observe_batch(predictions, labels, x))
    assert store.current() == "1.0.1"
