"""`baseline save` refuses runs that no later gate could use (issue 15.11)."""

from __future__ import annotations

from pathlib import Path

import pytest
from builders import result_set

from perfcore.cli import main
from perfcore.results.model import Result, ResultSet


def _run(*results: Result, machine_id: str = "abc123def456") -> ResultSet:
    return result_set(*results, machine_id=machine_id)


def _seconds(*samples: float, rid: str = "bench.x") -> Result:
    return Result(id=rid, unit="s", better="lower", samples=samples)


UNUSABLE = {
    "negative durations": _run(_seconds(-1.0, -2.0)),
    "all-zero durations": _run(_seconds(0.0, 0.0)),
    "one negative among good": _run(_seconds(1.0, 1.1), _seconds(1.0, -0.5, rid="bench.y")),
    "no samples at all": _run(_seconds()),
    "only zero error rate": _run(
        Result(id="load.x.error_rate", unit="ratio", better="lower", samples=(0.0,))
    ),
    "unknown machine": _run(_seconds(1.0, 1.1), machine_id="unknown"),
    "rounds not labelling every sample": _run(
        Result(id="bench.x", unit="s", better="lower", samples=(1.0, 1.1), extra={"rounds": [0]})
    ),
    "summary without its iqr": _run(
        Result(
            id="bench.x",
            unit="s",
            better="lower",
            samples=(1.0,),
            extra={"samples_from": "summary", "summary": {"median": 1.0, "n": 5}},
        )
    ),
}


@pytest.mark.parametrize("case", sorted(UNUSABLE))
def test_unusable_run_is_not_stored(
    tmp_path: Path, case: str, capsys: pytest.CaptureFixture[str]
) -> None:
    """An unusable run is exit 2 with one line on stderr, and the store stays empty."""
    results = tmp_path / "results.json"
    UNUSABLE[case].save(results)
    store = tmp_path / "baselines"
    code = main(["baseline", "save", str(results), "--baselines-dir", str(store)])
    err = capsys.readouterr().err
    assert code == 2
    assert err.count("\n") == 1
    assert "baseline" in err
    assert not store.exists() or not any(store.rglob("*"))


def test_usable_run_with_a_zero_error_rate_is_stored(tmp_path: Path) -> None:
    """A run whose durations are positive is stored even with a zero error rate beside them."""
    results = tmp_path / "results.json"
    _run(
        _seconds(1.0, 1.1),
        Result(id="load.x.error_rate", unit="ratio", better="lower", samples=(0.0,)),
    ).save(results)
    store = tmp_path / "baselines"
    assert main(["baseline", "save", str(results), "--baselines-dir", str(store)]) == 0
    assert (store / "abc123def456" / "baseline.json").is_file()


def test_summary_run_is_stored(tmp_path: Path) -> None:
    """A run saved as medians and spreads only (a pytest-benchmark summary) is a valid baseline."""
    results = tmp_path / "results.json"
    _run(
        Result(
            id="bench.x",
            unit="s",
            better="lower",
            samples=(1.0,),
            extra={"samples_from": "summary", "summary": {"median": 1.0, "iqr": 0.1, "n": 5}},
        )
    ).save(results)
    store = tmp_path / "baselines"
    assert main(["baseline", "save", str(results), "--baselines-dir", str(store)]) == 0
