"""Retraining settings: the specification's defaults, validation, [tool.perfcore.retraining]."""

from __future__ import annotations

from pathlib import Path

import pytest

from perfcore.cli import main
from perfcore.errors import ConfigError
from perfcore.retraining import RetrainingSettings


def test_defaults_are_the_specification() -> None:
    """5% drop, 0.55 floor, 6 h cooldown, $10/$100, ROI 150%, 10 versions, 30 days, 10%."""
    s = RetrainingSettings()
    assert (s.relative_drop, s.accuracy_floor, s.cooldown_s) == (0.05, 0.55, 6 * 3600)
    assert (s.daily_limit, s.monthly_limit, s.min_roi) == (10.0, 100.0, 1.5)
    assert (s.max_versions, s.max_age_days, s.rollback_drop) == (10, 30.0, 0.10)


@pytest.mark.parametrize(
    "raw",
    [
        {"window": 0},
        {"accuracy_floor": 1.5},
        {"cooldown_s": -1},
        {"window": 2.5},
        {"relative_drop": "5%"},
        {"colour": 1},
        {"daily_limit": 200.0},
    ],
)
def test_bad_settings_are_config_errors(raw: dict) -> None:
    """Out-of-range, mistyped and unknown settings are refused."""
    with pytest.raises(ConfigError):
        RetrainingSettings.from_mapping(raw)


def test_bad_pyproject_value_exits_2(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """A bad [tool.perfcore.retraining] value makes `retrain watch` exit 2 with one line."""
    (tmp_path / "pyproject.toml").write_text("[tool.perfcore.retraining]\nwindow = -5\n")
    stream = tmp_path / "s.jsonl"
    stream.write_text('{"prediction": 1, "label": 1}\n')
    monkeypatch.chdir(tmp_path)
    assert main(["retrain", "watch", str(stream), "--dry-run"]) == 2
    err = capsys.readouterr().err
    assert "window" in err
    assert len(err.strip().splitlines()) == 1
