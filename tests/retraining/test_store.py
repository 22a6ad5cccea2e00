"""The model store: semantic versions, retention, rollback, validated version names."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from retrain_helpers import FakeClock, write_fake_model

from perfcore.errors import InputError
from perfcore.retraining import ModelStore, RetrainingSettings, parse_version

DAY = 86_400.0


def test_versions_increment_semantically(store: ModelStore, tmp_path: Path) -> None:
    """Patch for a retrain, minor for a new model type, major for a new feature count."""
    added = [
        store.add(*write_fake_model(tmp_path / "a")),
        store.add(*write_fake_model(tmp_path / "b")),
        store.add(*write_fake_model(tmp_path / "c", name="heuristic")),
        store.add(*write_fake_model(tmp_path / "d", name="heuristic", features=7)),
    ]
    assert [v.version for v in added] == ["1.0.0", "1.0.1", "1.1.0", "2.0.0"]
    assert added[0].metadata["version"] == "1.0.0"


def test_retention_keeps_ten_versions_and_the_current(tmp_path: Path, clock: FakeClock) -> None:
    """With 12 versions, the two oldest go, but never the current one."""
    store = ModelStore(tmp_path / "m", RetrainingSettings(), clock=clock)
    for i in range(12):
        store.add(*write_fake_model(tmp_path / str(i)))
    store.promote("1.0.0")
    removed = store.apply_retention()
    assert removed == ["1.0.1", "1.0.2"]
    assert len(store.versions()) == 10
    assert store.current() == "1.0.0"


def test_retention_drops_versions_older_than_thirty_days(tmp_path: Path, clock: FakeClock) -> None:
    """A version stored 31 days ago is deleted; the current one is kept whatever its age."""
    store = ModelStore(tmp_path / "m", RetrainingSettings(), clock=clock)
    for i in range(3):
        store.add(*write_fake_model(tmp_path / str(i)))
    store.promote("1.0.0")
    clock.now += 31 * DAY
    store.add(*write_fake_model(tmp_path / "new"))
    assert store.apply_retention() == ["1.0.1", "1.0.2"]
    assert [v.version for v in store.versions()] == ["1.0.0", "1.0.3"]


def test_rollback_to_any_earlier_version(store: ModelStore, tmp_path: Path) -> None:
    """Rollback points current at an earlier version and logs the move."""
    for i in range(3):
        store.promote(store.add(*write_fake_model(tmp_path / str(i))).version)
    store.rollback("1.0.0")
    assert store.current() == "1.0.0"
    assert (store.current_path / "logistic.skops").exists()
    assert store.log()[-1] == {
        "action": "rollback",
        "version": "1.0.0",
        "previous": "1.0.2",
        "at": store.clock(),
        "reason": "manual",
    }


@pytest.mark.parametrize("text", ["../etc", "1.0", "1.0.0/../../x", "01.0.0", "v1.0.0", ""])
def test_version_strings_are_validated(text: str, store: ModelStore) -> None:
    """Only MAJOR.MINOR.PATCH names a version: nothing else becomes a path."""
    with pytest.raises(InputError):
        parse_version(text)
    with pytest.raises(InputError):
        store.rollback(text)


def test_rollback_to_a_missing_version_is_an_input_error(store: ModelStore) -> None:
    """A well-formed version the store does not hold is refused."""
    with pytest.raises(InputError, match="not in the store"):
        store.rollback("9.9.9")


def test_plain_current_directory_is_adopted(store: ModelStore) -> None:
    """An older perfcore's plain models/current/ becomes version 1.0.0 on the first change."""
    write_fake_model(store.current_path)
    assert store.current() is None
    store.add(*write_fake_model(store.root.parent / "next"))
    assert store.current() == "1.0.0"
    assert store.current_path.is_symlink()
    meta = json.loads((store.root / "versions" / "1.0.0" / "logistic.json").read_text())
    assert meta["note"] == "adopted"
