"""run_load makes sure a model exists before it starts the local server."""

from pathlib import Path

import pytest

from perfcore.load import orchestrate
from perfcore.load.orchestrate import LoadSettings


class _StopError(Exception):
    pass


def test_local_target_trains_a_model_before_serving(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """On a fresh checkout (no models/current) the model is ensured before the server starts."""
    calls: list[str] = []
    monkeypatch.setattr(orchestrate, "ensure_model", lambda d: calls.append(f"ensure {d}"))

    def fake_start(spec: object, workdir: Path) -> None:
        calls.append("start")
        raise _StopError

    monkeypatch.setattr(orchestrate, "start_server", fake_start)
    model_dir = tmp_path / "models" / "current"
    settings = LoadSettings(targets=("local",), workdir=tmp_path / "w", model_dir=str(model_dir))
    with pytest.raises(_StopError):
        orchestrate.run_load(settings)
    assert calls == [f"ensure {model_dir}", "start"]


def test_synthetic_model_needs_no_training(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """With no model directory (a synthetic model) nothing is trained."""
    calls: list[str] = []
    monkeypatch.setattr(orchestrate, "ensure_model", lambda d: calls.append("ensure"))

    def fake_start(spec: object, workdir: Path) -> None:
        raise _StopError

    monkeypatch.setattr(orchestrate, "start_server", fake_start)
    with pytest.raises(_StopError):
        orchestrate.run_load(LoadSettings(targets=("local",), workdir=tmp_path, model_dir=None))
    assert calls == []
