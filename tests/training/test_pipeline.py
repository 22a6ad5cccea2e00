"""The pipeline end to end: every model type, the phase functions, gate routing, reports."""

from __future__ import annotations

import json
from dataclasses import replace
from pathlib import Path

import numpy as np
import pytest

from perfcore.errors import InputError
from perfcore.training import (
    MODEL_TYPES,
    GateThresholds,
    TrainingConfig,
    fit,
    load_data,
    load_model,
    preprocess,
    train,
    validate,
)


@pytest.mark.parametrize("model_type", MODEL_TYPES)
def test_every_model_type_trains_end_to_end(small_config: TrainingConfig, model_type: str) -> None:
    """Each model type trains, validates sensibly, and is persisted with its metadata."""
    config = replace(small_config, model_type=model_type)
    result = train(config)
    assert result.metrics.accuracy > 0.8
    assert 0.0 <= result.metrics.ece <= 1.0
    assert result.model_path.is_file()
    metadata = json.loads(result.metadata_path.read_text())
    assert metadata["model_type"] == model_type
    assert metadata["dataset"]["fingerprint"] == result.dataset_fingerprint
    assert set(metadata) >= {"metrics", "params", "created", "gate"}
    reloaded = load_model(result.model_path)
    prepared = preprocess(load_data(config), config)
    np.testing.assert_allclose(
        reloaded.predict_proba(prepared.X_test),
        fit(prepared, config).predict_proba(prepared.X_test),
    )


def test_phase_functions_compose_like_train(small_config: TrainingConfig) -> None:
    """load_data -> preprocess -> fit -> validate gives the metrics train() reports."""
    prepared = preprocess(load_data(small_config), small_config)
    assert prepared.X_train.shape[0] + prepared.X_test.shape[0] == 200
    np.testing.assert_allclose(prepared.X_train.mean(axis=0), 0.0, atol=1e-9)
    metrics = validate(fit(prepared, small_config), prepared)
    assert metrics == train(small_config).metrics


def test_epochs_and_batch_size_change_training(small_config: TrainingConfig) -> None:
    """For the iterative model, epochs and batch size change the steps taken and the model."""
    config = replace(small_config, model_type="simple_transformer")
    prepared = preprocess(load_data(config), config)
    base = fit(prepared, config)
    more_epochs = fit(prepared, replace(config, epochs=6))
    bigger_batch = fit(prepared, replace(config, batch_size=64))
    assert len(base.loss_curve_) == 3
    assert len(more_epochs.loss_curve_) == 6
    assert bigger_batch.steps_ < base.steps_
    assert not np.allclose(base.w1_, bigger_batch.w1_)


def test_gate_routes_passing_model_to_current(small_config: TrainingConfig) -> None:
    """A model clearing the gate lands in models/current/."""
    result = train(small_config)
    assert result.gate.passed
    assert result.model_path.parent == small_config.output_dir / "models" / "current"


def test_gate_routes_failing_model_to_candidates(small_config: TrainingConfig) -> None:
    """A model missing the gate lands in models/candidates/ with the violations recorded."""
    config = replace(small_config, gate=GateThresholds(min_accuracy=1.0, max_ece=0.0))
    result = train(config)
    assert not result.gate.passed
    assert result.model_path.parent == config.output_dir / "models" / "candidates"
    assert not (config.output_dir / "models" / "current").exists()
    metadata = json.loads(result.metadata_path.read_text())
    assert metadata["gate"]["passed"] is False
    assert metadata["gate"]["violations"]


def test_performance_report_contents(small_config: TrainingConfig) -> None:
    """The report has action metrics, four phases with tiers, and the optimisation block."""
    config = replace(small_config, enable_performance_optimization=True)
    result = train(config)
    assert result.performance is not None
    report = json.loads(result.performance.report_path.read_text())
    assert report["action"]["model_type"] == "logistic"
    assert report["action"]["accuracy"] == result.metrics.accuracy
    phases = {p["name"]: p["tier"] for p in report["phases"]}
    assert phases == {
        "data_loading": "fast",
        "preprocessing": "standard",
        "training": "advanced",
        "validation": "standard",
    }
    assert all(p["calls"] == 1 for p in report["phases"])
    opt = report["optimisation"]
    assert opt["baseline_recorded"] is True
    assert opt["target_reduction_pct"] == 30.0
    assert set(opt) >= {"baseline_s", "current_s", "reduction_pct", "meeting_target"}
    assert report["suggestions"]


def test_phase_times_sum_to_at_most_the_run_time(small_config: TrainingConfig) -> None:
    """The four phases together take no longer than the run that contains them."""
    result = train(replace(small_config, model_type="simple_transformer"))
    assert sum(p.wall_ns for p in result.phases) / 1e9 <= result.run_wall_s
    assert [p.name for p in result.phases] == [
        "data_loading",
        "preprocessing",
        "training",
        "validation",
    ]


def test_second_run_compares_with_recorded_baseline(small_config: TrainingConfig) -> None:
    """The first run records the baseline; the second is compared with it."""
    config = replace(small_config, enable_performance_optimization=True)
    first = train(config)
    second = train(config)
    assert first.performance is not None
    assert second.performance is not None
    assert first.performance.baseline_recorded
    assert not second.performance.baseline_recorded
    assert second.performance.optimisation.baseline_s == first.performance.optimisation.current_s


def test_fake_clock_drives_phase_times(small_config: TrainingConfig) -> None:
    """With an injected clock that ticks 1 ms per read, each phase lasts exactly 1 ms."""
    ticks = iter(range(0, 10**12, 1_000_000))
    result = train(small_config, clock=lambda: next(ticks), cpu_clock=lambda: 0)
    assert [p.wall_ns for p in result.phases] == [1_000_000] * 4


@pytest.mark.parametrize(
    "changes",
    [
        {"model_type": "forest"},
        {"num_samples": 0},
        {"epochs": 0},
        {"batch_size": -1},
        {"performance_target_reduction": 100.0},
        {"cohort_id": "../x"},
    ],
)
def test_invalid_config_is_an_input_error(changes: dict[str, object]) -> None:
    """Each invalid setting raises InputError when the config is built."""
    with pytest.raises(InputError):
        TrainingConfig(**changes)  # type: ignore[arg-type]


def test_unwritable_output_dir_writes_nothing(tmp_path: Path) -> None:
    """An output dir under a regular file is rejected before any work or file."""
    blocker = tmp_path / "file"
    blocker.write_text("x")
    config = TrainingConfig(output_dir=blocker / "out", num_samples=100)
    with pytest.raises(InputError, match="not a directory"):
        train(config)
    assert sorted(tmp_path.iterdir()) == [blocker]
