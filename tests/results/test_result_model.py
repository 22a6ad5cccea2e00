"""The versioned result model: round trip, strictness, atomic writes."""

import json
from pathlib import Path

import pytest

from perfcore.errors import SchemaError
from perfcore.results import Result, ResultSet, load_results, new_run_info


def _run() -> ResultSet:
    return ResultSet(
        run=new_run_info(),
        results=(Result(id="a.b", unit="s", better="lower", samples=(1.0, 2.0), params={"n": 3}),),
    )


def test_round_trip(tmp_path: Path) -> None:
    """A saved result set loads back equal."""
    path = tmp_path / "r.json"
    original = _run()
    original.save(path)
    assert load_results(path) == original


def test_unknown_key_is_an_error(tmp_path: Path) -> None:
    """Unknown keys are rejected, not silently dropped."""
    doc = _run().to_dict()
    doc["results"][0]["surprise"] = 1
    path = tmp_path / "r.json"
    path.write_text(json.dumps(doc))
    with pytest.raises(SchemaError, match="unknown key"):
        load_results(path)


@pytest.mark.parametrize(
    ("content", "message"),
    [
        ("", "empty"),
        ("{not json", "not valid JSON"),
        ('{"schema": "perfcore.results/99", "run": {}, "results": []}', "unknown schema"),
        ("[]", "no 'schema'"),
    ],
)
def test_bad_files_are_schema_errors(tmp_path: Path, content: str, message: str) -> None:
    """Empty, corrupt and unknown-schema files raise SchemaError naming the problem."""
    path = tmp_path / "bad.json"
    path.write_text(content)
    with pytest.raises(SchemaError, match=message):
        load_results(path)


def test_duplicate_ids_rejected() -> None:
    """Two results with one id cannot coexist in a run."""
    r = Result(id="x", unit="s", better="lower", samples=(1.0,))
    with pytest.raises(SchemaError, match="duplicate"):
        ResultSet(run=new_run_info(), results=(r, r))


def test_non_finite_samples_rejected() -> None:
    """NaN samples are refused at construction."""
    with pytest.raises(SchemaError, match="finite"):
        Result(id="x", unit="s", better="lower", samples=(float("nan"),))
