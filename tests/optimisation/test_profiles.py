"""Profiles: built-ins, inheritance, validation (exit 2), recommendation, TOML output."""

import tomllib
from pathlib import Path

import pytest

from perfcore.cli import main
from perfcore.errors import ConfigError
from perfcore.optimisation.profiles import (
    ServerSettings,
    profile_toml,
    recommend_profile,
    resolve_profiles,
)


def test_custom_profile_inherits_through_a_chain() -> None:
    """A profile extending a custom one that extends balanced gets every unset key from above."""
    profiles = resolve_profiles(
        {
            "mid": {"extends": "balanced", "batch_rows": 16},
            "edge": {"extends": "mid", "precision": "int8"},
        }
    )
    edge = profiles["edge"]
    assert edge.settings == ServerSettings(
        workers=1, batch_rows=16, batch_wait_ms=1.0, precision="int8"
    )
    assert edge.chain == ("edge", "mid", "balanced")


def test_derived_profile_does_not_inherit_a_wrong_description() -> None:
    """A profile that changes its parent's settings says so, not the parent's description."""
    profiles = resolve_profiles(
        {
            "mine": {"extends": "throughput", "workers": 3},
            "told": {"extends": "throughput", "description": "ours"},
        }
    )
    assert profiles["mine"].description == "throughput with workers = 3"
    assert profiles["told"].description == "ours"


@pytest.mark.parametrize(
    ("raw", "message"),
    [
        ({"x": {"batch_row": 4}}, "unknown key"),
        ({"a": {"extends": "b"}, "b": {"extends": "a"}}, "cycle"),
        ({"a": {"extends": "nope"}}, "unknown profile"),
        ({"a": {"workers": 0}}, "workers"),
        ({"a": {"precision": "int4"}}, "precision"),
        ({"a": {"batch_wait_ms": "fast"}}, "batch_wait_ms"),
        ({"latency": {"workers": 2}}, "built in"),
        ({"Bad Name": {}}, "bad profile name"),
        ({"a": 3}, "must be a table"),
    ],
)
def test_invalid_profiles_are_config_errors(raw, message) -> None:
    """Unknown keys, cycles, unknown parents, bad values and bad names are refused."""
    with pytest.raises(ConfigError, match=message):
        resolve_profiles(raw)


def _project(tmp_path: Path, monkeypatch, body: str) -> None:
    (tmp_path / "pyproject.toml").write_text(body)
    monkeypatch.chdir(tmp_path)


def test_profiles_command_exits_2_on_a_cycle(tmp_path, monkeypatch, capsys) -> None:
    """perfcore profiles with an extends cycle exits 2 with one line on stderr."""
    _project(
        tmp_path,
        monkeypatch,
        '[tool.perfcore.profiles.a]\nextends = "b"\n[tool.perfcore.profiles.b]\nextends = "a"\n',
    )
    assert main(["profiles"]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1
    assert "cycle" in err[0]


def test_serve_applies_a_custom_profile(tmp_path, monkeypatch) -> None:
    """perfcore serve --profile takes batching and precision from the (inherited) profile."""
    import perfcore.serving.server as server

    _project(
        tmp_path,
        monkeypatch,
        '[tool.perfcore.profiles.mine]\nextends = "balanced"\n'
        'batch_rows = 4\nprecision = "float16"\n',
    )
    started = []
    monkeypatch.setattr(server, "run_server", lambda spec, **_: started.append(spec))
    assert main(["serve", "--synthetic-model", "--profile", "mine", "--port", "0"]) == 0
    spec = started[0]
    assert (spec.config.batch_rows, spec.config.batch_wait_ms, spec.precision) == (
        4,
        1.0,
        "float16",
    )


def test_serve_with_an_unknown_profile_exits_2(tmp_path, monkeypatch, capsys) -> None:
    """An unknown --profile name is a usage error naming the known profiles."""
    _project(tmp_path, monkeypatch, "[tool.perfcore]\n")
    assert main(["serve", "--synthetic-model", "--profile", "nope"]) == 2
    assert "unknown profile 'nope'" in capsys.readouterr().err


@pytest.mark.parametrize(
    ("cores", "gib", "name"),
    [(1, 8, "latency"), (2, 8, "balanced"), (8, 16, "throughput"), (8, 0.5, "latency")],
)
def test_recommendation_follows_cores_and_memory(cores, gib, name) -> None:
    """Small machines get latency, middling ones balanced, large ones throughput."""
    assert recommend_profile(cores, int(gib * 2**30)) == name


def test_tuned_profile_toml_round_trips() -> None:
    """The TOML perfcore tune prints parses back to the same settings."""
    settings = ServerSettings(workers=2, batch_rows=16, batch_wait_ms=2.0, precision="int8")
    text = profile_toml("tuned", settings, 'a "quoted" note')
    raw = tomllib.loads(text)["tool"]["perfcore"]["profiles"]
    assert resolve_profiles(raw)["tuned"].settings == settings


@pytest.mark.parametrize(
    "argv",
    [
        ["tune", "--synthetic-model", "--time-budget", "5"],
        ["tune", "--synthetic-model", "--start-rate", "0"],
        ["tune", "--synthetic-model", "--slo-p99-ms", "nan"],
        ["tune", "--synthetic-model", "--connections", "0"],
        ["tune", "--synthetic-model", "--start-profile", "nope"],
        ["precision", "--synthetic-model", "--calls", "0"],
    ],
)
def test_bad_tune_and_precision_flags_exit_2_before_any_load(argv, capsys) -> None:
    """Out-of-range budgets, rates, counts and unknown profiles are one-line usage errors."""
    try:
        code = main(argv)
    except SystemExit as stop:  # argparse's own refusal of a flag's value
        code = stop.code
    assert code == 2
    assert len(capsys.readouterr().err.strip().splitlines()) == 1


def test_serve_runs_the_profiles_worker_count(tmp_path, monkeypatch) -> None:
    """perfcore serve --profile throughput starts two worker processes on the port."""
    import perfcore.serving.process as process

    class _Done:
        def alive(self) -> bool:
            return False

        def stop(self) -> None:
            pass

    calls = []

    def fake_start(spec, log_dir, workers):
        calls.append((spec, workers))
        return [_Done() for _ in range(workers)]

    _project(tmp_path, monkeypatch, "[tool.perfcore]\n")
    monkeypatch.setattr(process, "start_workers", fake_start)
    assert main(["serve", "--synthetic-model", "--profile", "throughput", "--port", "0"]) == 0
    spec, workers = calls[0]
    assert workers == 2
    assert (spec.config.batch_rows, spec.precision) == (32, "float32")
