"""Servers follow the model store's current pointer: a CLI rollback is served without a restart."""

from __future__ import annotations

import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest

from perfcore.retraining import ModelStore
from perfcore.retraining.publish import publish
from perfcore.serving.process import start_server
from perfcore.serving.reload import ReloadingPredictor
from perfcore.serving.server import ServerSpec
from perfcore.training import GateThresholds, TrainingConfig, train


def _store_with_two_versions(tmp_path: Path) -> ModelStore:
    store = ModelStore(tmp_path / "models")
    for seed in (1, 2):
        result = train(
            TrainingConfig(
                dataset="breast_cancer",
                num_samples=200,
                seed=seed,
                output_dir=tmp_path / f"train{seed}",
                gate=GateThresholds(min_accuracy=0.0, max_ece=1.0),
            )
        )
        publish(store, result)
    assert store.current() == "1.0.1"
    return store


class _Clock:
    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


def test_reloading_predictor_follows_a_rollback(tmp_path: Path) -> None:
    """After a rollback the predictor reports the old version once its interval has passed."""
    store = _store_with_two_versions(tmp_path)
    clock = _Clock()
    predictor = ReloadingPredictor(store.current_path, interval_s=0.5, clock=clock)
    assert predictor.version == "1.0.1"
    store.rollback("1.0.0")
    clock.now = 0.4
    assert predictor.n_features == 30
    assert predictor.version == "1.0.1"  # not yet: at most one look per interval
    clock.now = 0.6
    assert predictor.n_features == 30  # a request's first look
    assert predictor.version == "1.0.0"


def test_version_names_the_model_the_request_was_validated_against(tmp_path: Path) -> None:
    """A rollback landing mid-request does not change the version that request's answer names."""
    store = _store_with_two_versions(tmp_path)
    clock = _Clock()
    predictor = ReloadingPredictor(store.current_path, interval_s=0.5, clock=clock)
    assert predictor.n_features == 30  # the request starts, validated against 1.0.1
    store.rollback("1.0.0")
    clock.now = 0.6  # the interval passes while it is being answered
    assert predictor.version == "1.0.1"


def test_broken_new_model_keeps_the_old_one(tmp_path: Path) -> None:
    """A current pointer to an unreadable model leaves the last good model serving."""
    store = _store_with_two_versions(tmp_path)
    clock = _Clock()
    predictor = ReloadingPredictor(store.current_path, interval_s=0.5, clock=clock)
    (store.root / "versions" / "1.0.0" / "logistic.skops").write_bytes(b"garbage")
    store.rollback("1.0.0")
    clock.now = 1.0
    assert predictor.n_features == 30  # looks, fails to load 1.0.0, keeps 1.0.1
    assert predictor.version == "1.0.1"


@pytest.mark.slow
def test_running_server_picks_up_a_cli_rollback(tmp_path: Path) -> None:
    """`perfcore models rollback` on the store is served by a running server within seconds."""
    store = _store_with_two_versions(tmp_path)
    spec = ServerSpec(model_dir=str(store.current_path), port=0, reload_ms=100)
    with start_server(spec, tmp_path / "logs") as proc:
        assert httpx.get(f"{proc.url}/health").json()["model_version"] == "1.0.1"
        subprocess.run(
            [
                sys.executable,
                "-m",
                "perfcore",
                "models",
                "rollback",
                "1.0.0",
                "--model-store",
                str(store.root),
            ],
            check=True,
            timeout=120,
        )
        deadline = time.monotonic() + 30
        version = None
        while time.monotonic() < deadline:
            reply = httpx.post(f"{proc.url}/predict", json={"features": [0.0] * 30})
            assert reply.status_code == 200
            version = reply.json()["model_version"]
            if version == "1.0.0":
                break
            time.sleep(0.1)
        assert version == "1.0.0"
