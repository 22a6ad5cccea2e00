"""perfcore models and perfcore retrain: listing, rollback, simulate, watch, bad input exit 2."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from retrain_helpers import write_fake_model

from perfcore.cli import main
from perfcore.retraining import ModelStore


def _store(tmp_path: Path) -> Path:
    store = ModelStore(tmp_path / "models")
    for i in range(2):
        store.promote(store.add(*write_fake_model(tmp_path / str(i))).version)
    return store.root


def test_models_list_marks_current(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """`models list` shows every version with a star on the current one."""
    root = _store(tmp_path)
    assert main(["models", "list", "--model-store", str(root)]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert [line.split()[:2] for line in lines[1:]] == [["1.0.0", "logistic"], ["*", "1.0.1"]]


def test_models_show_prints_metadata(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """`models show VERSION` prints the version's metadata as JSON."""
    root = _store(tmp_path)
    assert main(["models", "show", "1.0.0", "--model-store", str(root)]) == 0
    assert json.loads(capsys.readouterr().out)["version"] == "1.0.0"


def test_models_rollback_moves_current(tmp_path: Path) -> None:
    """`models rollback 1.0.0` makes 1.0.0 current."""
    root = _store(tmp_path)
    assert main(["models", "rollback", "1.0.0", "--model-store", str(root)]) == 0
    assert ModelStore(root).current() == "1.0.0"


@pytest.mark.parametrize("version", ["../../etc", "7.7.7"])
def test_models_rollback_bad_version_exits_2(
    tmp_path: Path, version: str, capsys: pytest.CaptureFixture[str]
) -> None:
    """A malformed or unknown version is exit 2 with one line, and current is unchanged."""
    root = _store(tmp_path)
    assert main(["models", "rollback", version, "--model-store", str(root)]) == 2
    assert len(capsys.readouterr().err.strip().splitlines()) == 1
    assert ModelStore(root).current() == "1.0.1"


def test_simulate_then_watch_reports_the_drop(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """A simulated drop to 40% at event 6,000 is acted on after event 6,000 (dry run)."""
    stream = tmp_path / "s.jsonl"
    assert (
        main(
            [
                "retrain",
                "simulate",
                "--events",
                "12000",
                "--drop-to",
                "0.4",
                "--change-at",
                "6000",
                "--output",
                str(stream),
            ]
        )
        == 0
    )
    capsys.readouterr()
    assert main(["retrain", "watch", str(stream), "--dry-run", "--reference-accuracy", "0.6"]) == 0
    out = capsys.readouterr().out
    first = next(line for line in out.splitlines() if "would-retrain" in line)
    assert int(first.split()[1].rstrip(":")) > 6000
    assert out.splitlines()[-1].startswith("12000 events;")


@pytest.mark.parametrize(
    ("bad", "message"),
    [
        ("not json", "line 3: not JSON"),
        ('{"prediction": 1, "label": true, "features": [1, 2, 3]}', "line 3: label"),
        ('{"prediction": 1, "label": 0, "features": [1, 2]}', "line 3: 2 features"),
        ('{"prediction": 1, "label": 0, "colour": 1}', "line 3: unknown key"),
    ],
)
def test_watch_bad_line_exits_2_with_its_number(
    tmp_path: Path, bad: str, message: str, capsys: pytest.CaptureFixture[str]
) -> None:
    """A bad event line stops `retrain watch` with exit 2 naming the line."""
    good = '{"prediction": 1, "label": 1, "features": [0.1, 0.2, 0.3]}'
    stream = tmp_path / "s.jsonl"
    stream.write_text("\n".join([good, good, bad, good]) + "\n")
    assert main(["retrain", "watch", str(stream), "--dry-run"]) == 2
    err = capsys.readouterr().err
    assert message in err
    assert len(err.strip().splitlines()) == 1


def test_watch_of_an_empty_stream_exits_2(tmp_path: Path) -> None:
    """A stream with no events is unusable input."""
    stream = tmp_path / "s.jsonl"
    stream.write_text("\n")
    assert main(["retrain", "watch", str(stream), "--dry-run"]) == 2


def test_train_publishes_where_serve_loads(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """`perfcore train` puts a passing model in the default store that servers load from."""
    from perfcore.serving.model import load_predictor

    monkeypatch.chdir(tmp_path)
    assert main(["train", "--num-samples", "200", "--output-dir", str(tmp_path / "out")]) == 0
    assert "version 1.0.0 is current" in capsys.readouterr().out
    assert ModelStore(tmp_path / "models").current() == "1.0.0"
    assert load_predictor(tmp_path / "models" / "current").version == "1.0.0"


def test_watch_retrains_and_promotes_through_the_pipeline(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """A drop in a simulated stream is retrained with perfcore.training and promoted."""
    (tmp_path / "pyproject.toml").write_text(
        "[tool.perfcore.retraining]\nwindow = 500\nhistory = 4000\nshadow_events = 1000\n"
        "max_cpu_percent = 100\nmin_memory_mb = 0\n"
    )
    monkeypatch.chdir(tmp_path)
    assert (
        main(
            [
                "retrain",
                "simulate",
                "--events",
                "10000",
                "--drop-to",
                "0.3",
                "--change-at",
                "6000",
                "--output",
                "s.jsonl",
            ]
        )
        == 0
    )
    assert main(["retrain", "watch", "s.jsonl", "--reference-accuracy", "0.6"]) == 0
    out = capsys.readouterr().out
    assert "promoted [1.0.0]" in out
    store = ModelStore(tmp_path / "models")
    assert store.current() == "1.0.0"
    assert store.get("1.0.0").metadata["model_type"] == "logistic"


def test_simulate_into_a_closed_pipe_stops_quietly(tmp_path: Path) -> None:
    """`retrain simulate | head -1`: no traceback when the reader stops early."""
    import subprocess
    import sys

    proc = subprocess.Popen(
        [sys.executable, "-m", "perfcore", "retrain", "simulate", "--events", "200000"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        cwd=tmp_path,
    )
    assert proc.stdout is not None
    assert proc.stdout.readline().startswith(b'{"prediction"')
    proc.stdout.close()
    _, err = proc.communicate(timeout=120)
    assert b"Traceback" not in err
    assert proc.returncode == 0
