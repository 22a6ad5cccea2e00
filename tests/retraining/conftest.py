"""Fixtures of the retraining tests: a fake clock at a month's start and an empty store."""

from __future__ import annotations

from pathlib import Path

import pytest
from retrain_helpers import FakeClock

from perfcore.retraining import ModelStore, RetrainingSettings


@pytest.fixture
def clock() -> FakeClock:
    """A fake clock at the start of a UTC month."""
    return FakeClock()


@pytest.fixture
def store(tmp_path: Path, clock: FakeClock) -> ModelStore:
    """An empty store using the fake clock."""
    return ModelStore(tmp_path / "models", RetrainingSettings(), clock=clock)
