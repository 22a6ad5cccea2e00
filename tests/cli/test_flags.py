"""Bad numbers and lists on load, serve and calibrate: exit 2, one line, nothing started."""

import subprocess

import pytest

from perfcore.cli import build_parser, main

BAD = [
    ("load", "--rate", "nan"),
    ("load", "--rate", "inf"),
    ("load", "--rate", "1e12"),
    ("load", "--rate", "0"),
    ("load", "--rate", "-5"),
    ("load", "--duration", "nan"),
    ("load", "--duration", "inf"),
    ("load", "--duration", "0"),
    ("load", "--batch-wait-ms", "nan"),
    ("load", "--batch-wait-ms", "inf"),
    ("load", "--batch-wait-ms", "-1"),
    ("load", "--batch-rows", "-1"),
    ("load", "--connections", "0"),
    ("load", "--connections", "100000"),
    ("load", "--processes", "0"),
    ("load", "--users", "0"),
    ("load", "--max-requests", "0"),
    ("load", "--sweep-rates", "100,nan"),
    ("load", "--sweep-rates", "100,,200"),
    ("load", "--sweep-users", "0,2"),
    ("load", "--targets", ","),
    ("load", "--targets", ""),
    ("load", "--targets", "local,bogus"),
    ("load", "--targets", "local,local"),
    ("load", "--cloud-error-rate", "2"),
    ("load", "--cloud-rtt-ms", "nan"),
    ("load", "--cloud-rate-limit", "inf"),
    ("load", "--cloud-price", "nan"),
    ("load", "--min-duration", "nan"),
    ("load", "--min-requests", "-1"),
    ("load", "--stall-at", "inf"),
    ("load", "--crash-at", "nan"),
    ("load", "--seed", "-1"),
    ("serve", "--batch-wait-ms", "nan"),
    ("serve", "--batch-wait-ms", "inf"),
    ("serve", "--port", "70000"),
    ("serve", "--batch-rows", "-3"),
    ("calibrate", "--runs", "0"),
    ("calibrate", "--runs", "1"),
    ("calibrate", "--rounds", "0"),
    ("calibrate", "--confirm-rounds", "-1"),
]


@pytest.fixture
def nothing_starts(monkeypatch: pytest.MonkeyPatch) -> None:
    """Any child process or server start fails the test."""
    import perfcore.load.orchestrate as orchestrate
    import perfcore.serving.server as server

    def refuse(*args: object, **kwargs: object) -> None:
        raise AssertionError("something started")

    monkeypatch.setattr(subprocess, "Popen", refuse)
    monkeypatch.setattr(orchestrate, "run_load", refuse)
    monkeypatch.setattr(server, "run_server", refuse)


@pytest.mark.parametrize("argv", BAD, ids=" ".join)
def test_bad_flag_is_exit_2_with_one_line(
    argv: tuple[str, ...], nothing_starts: None, capsys: pytest.CaptureFixture[str]
) -> None:
    """Each bad value is refused while parsing: exit 2, one line on stderr, nothing run."""
    with pytest.raises(SystemExit) as stop:
        main([*argv, "--synthetic-model"] if argv[0] != "calibrate" else list(argv))
    assert stop.value.code == 2
    err = capsys.readouterr().err
    assert len(err.strip().splitlines()) == 1, err
    assert argv[1] in err


def test_good_values_parse_to_numbers_and_names() -> None:
    """Valid values still parse: lists to tuples, numbers to numbers."""
    args = build_parser().parse_args(
        [
            "load",
            "--targets",
            "local, cloud",
            "--rate",
            "250",
            "--sweep-rates",
            "100,200",
            "--batch-wait-ms",
            "0",
        ]
    )
    assert args.targets == ("local", "cloud")
    assert args.rate == 250.0
    assert args.sweep_rates == (100.0, 200.0)
    assert args.batch_wait_ms == 0.0
    assert build_parser().parse_args(["calibrate"]).runs is None
