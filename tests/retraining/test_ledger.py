"""The cost ledger in the model store: limits across runs and processes, rollover, corruption."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from retrain_helpers import JAN_1_2026, FakeClock

from perfcore.cli import main
from perfcore.errors import InputError
from perfcore.retraining import CostLedger, RetrainingSettings
from perfcore.retraining.cost import CostEstimate

DAY = 86_400.0
COST = CostEstimate(dollars=0.04, seconds=2.0)
SETTINGS = RetrainingSettings(daily_limit=0.05, monthly_limit=0.10, min_roi=0.0)


def _ledger(path: Path, clock: FakeClock, *, book: bool = True) -> CostLedger:
    return CostLedger(SETTINGS, clock, path=path, book=book)


def test_second_run_is_refused_past_the_daily_limit(tmp_path: Path, clock: FakeClock) -> None:
    """A new ledger on the same file (a second run) sees the first run's $0.04 and refuses."""
    path = tmp_path / "models" / "cost-ledger.json"
    assert _ledger(path, clock).try_spend(COST, 0.1).allowed
    second = _ledger(path, clock).try_spend(COST, 0.1)
    assert not second.allowed
    assert "daily limit: $0.04 spent" in second.reason


def test_another_process_sees_the_spending(tmp_path: Path) -> None:
    """Spending booked by a separate Python process counts against this one's daily limit."""
    path = tmp_path / "cost-ledger.json"
    script = (
        "import sys\nfrom pathlib import Path\n"
        "from perfcore.retraining import CostLedger, RetrainingSettings\n"
        "from perfcore.retraining.cost import CostEstimate\n"
        "s = RetrainingSettings(daily_limit=0.05, monthly_limit=0.10, min_roi=0.0)\n"
        f"ledger = CostLedger(s, lambda: {JAN_1_2026 + 60}, path=Path(sys.argv[1]))\n"
        "assert ledger.try_spend(CostEstimate(0.04, 2.0), 0.1).allowed\n"
    )
    subprocess.run([sys.executable, "-c", script, str(path)], check=True, timeout=60)
    here = _ledger(path, FakeClock(JAN_1_2026 + 120))
    assert here.spent_today() == pytest.approx(0.04)
    assert not here.try_spend(COST, 0.1).allowed


def test_day_and_month_roll_over(tmp_path: Path, clock: FakeClock) -> None:
    """The next UTC day allows again; past the monthly limit only the next month does."""
    path = tmp_path / "cost-ledger.json"
    assert _ledger(path, clock).try_spend(COST, 0.1).allowed
    clock.now += DAY
    assert _ledger(path, clock).try_spend(COST, 0.1).allowed
    clock.now += DAY
    refused = _ledger(path, clock).try_spend(COST, 0.1)
    assert not refused.allowed
    assert "monthly limit: $0.08 spent" in refused.reason
    clock.now = JAN_1_2026 + 31 * DAY  # 1 February 2026, 00:00 UTC
    assert _ledger(path, clock).spent_this_month() == 0.0
    assert _ledger(path, clock).try_spend(COST, 0.1).allowed


def test_booking_prunes_entries_before_the_month(tmp_path: Path, clock: FakeClock) -> None:
    """A booking in February keeps only February's entries in the file."""
    path = tmp_path / "cost-ledger.json"
    _ledger(path, clock).record(COST)
    clock.now = JAN_1_2026 + 31 * DAY + 5
    _ledger(path, clock).record(COST)
    entries = json.loads(path.read_text())["entries"]
    assert entries == [{"at": clock.now, "dollars": 0.04}]


def test_dry_run_reads_but_books_nothing(tmp_path: Path, clock: FakeClock) -> None:
    """A ledger with book=False counts the file's spending but leaves the file unchanged."""
    path = tmp_path / "cost-ledger.json"
    _ledger(path, clock).record(COST)
    before = path.read_bytes()
    dry = _ledger(path, clock, book=False)
    assert not dry.try_spend(COST, 0.1).allowed
    assert path.read_bytes() == before


@pytest.mark.parametrize(
    "text",
    [
        "{not json",
        '{"schema": "perfcore.cost-ledger/1"}',
        '{"schema": "perfcore.cost-ledger/1", "entries": [{"at": 1, "dollars": -5}]}',
        "[]",
    ],
)
def test_corrupt_ledger_is_an_error_not_a_reset(
    tmp_path: Path, clock: FakeClock, text: str
) -> None:
    """A ledger that does not validate raises and is left as it was."""
    path = tmp_path / "cost-ledger.json"
    path.write_text(text)
    with pytest.raises(InputError, match="corrupt cost ledger"):
        _ledger(path, clock).try_spend(COST, 0.1)
    assert path.read_text() == text


def test_watch_with_a_corrupt_ledger_exits_2_with_one_line(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """`retrain watch` stops with exit 2 and one stderr line before any decision."""
    monkeypatch.chdir(tmp_path)
    (tmp_path / "models").mkdir()
    (tmp_path / "models" / "cost-ledger.json").write_text('{"entries": 3}')
    (tmp_path / "s.jsonl").write_text('{"prediction": 1, "label": 1}\n')
    assert main(["retrain", "watch", "s.jsonl", "--dry-run"]) == 2
    err = capsys.readouterr().err.strip()
    assert "corrupt cost ledger" in err
    assert len(err.splitlines()) == 1


def test_second_watch_run_is_refused_by_the_first_runs_spending(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """Two `retrain watch` runs on one store: the second is refused past the daily limit."""
    (tmp_path / "pyproject.toml").write_text(
        "[tool.perfcore.retraining]\nwindow = 500\nhistory = 4000\nshadow_events = 1000\n"
        "max_cpu_percent = 100\nmin_memory_mb = 0\ndaily_limit = 0.10\n"
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
    assert "promoted [1.0.0]" in capsys.readouterr().out
    assert main(["retrain", "watch", "s.jsonl", "--reference-accuracy", "0.6"]) == 0
    second = capsys.readouterr().out
    assert "-> cost: daily limit: $0.08 spent" in second
    assert "promoted" not in second
    assert "retraining spend: $0.08 of $0.10 on the stream's day" in second


def test_check_and_booking_hold_the_lock(tmp_path: Path, clock: FakeClock) -> None:
    """The limit check runs under the ledger's lock: a second run waits, never overspends."""
    import fcntl
    import os

    path = tmp_path / "cost-ledger.json"
    seen: list[bool] = []

    class Probe(CostLedger):
        def decide(self, estimate: CostEstimate, expected_gain: float) -> Any:
            fd = os.open(tmp_path / ".cost-ledger.lock", os.O_RDWR | os.O_CREAT)
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
                seen.append(False)  # nobody held it
            except BlockingIOError:
                seen.append(True)
            finally:
                os.close(fd)
            return super().decide(estimate, expected_gain)

    assert Probe(SETTINGS, clock, path=path).try_spend(COST, 0.1).allowed
    assert seen == [True]


def test_unwritable_store_is_an_input_error(tmp_path: Path, clock: FakeClock) -> None:
    """A store path that cannot hold the ledger is a one-line InputError, not a traceback."""
    blocker = tmp_path / "file"
    blocker.write_text("")
    with pytest.raises(InputError, match="cannot lock the cost ledger"):
        _ledger(blocker / "cost-ledger.json", clock).try_spend(COST, 0.1)
