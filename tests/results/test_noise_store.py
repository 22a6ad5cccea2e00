"""The learnt paired-round noise file: a reload, a missing file, and bad input."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from perfcore.analysis.noise import pool_spread
from perfcore.errors import SchemaError
from perfcore.results.noise_store import (
    PairedNoise,
    load_paired_noise,
    paired_noise_path,
    save_paired_noise,
)


def test_pool_survives_a_reload(tmp_path: Path) -> None:
    """A pooled file reloads to the same pool."""
    pool = PairedNoise("m1", "x", pool_spread({"a": (0.01, 4.0)}, {"a": (0.04, 2.0)}))
    path = paired_noise_path(tmp_path, "m1")
    save_paired_noise(path, pool)
    assert load_paired_noise(path, "m1").benchmarks == pool.benchmarks


def test_missing_file_is_empty_pool(tmp_path: Path) -> None:
    """No file yet: an empty pool for this machine."""
    assert load_paired_noise(tmp_path / "none.json", "m").benchmarks == {}


@pytest.mark.parametrize(
    "document",
    [
        "{not json",
        json.dumps({"schema": "other"}),
        json.dumps(
            {
                "schema": "perfcore.paired-noise/1",
                "machine": "m",
                "updated": "",
                "benchmarks": {"a": {"var": -1, "df": 3}},
            }
        ),
        json.dumps(
            {
                "schema": "perfcore.paired-noise/1",
                "machine": "m",
                "updated": "",
                "benchmarks": {"a": {"var": 0.1}},
            }
        ),
        json.dumps(
            {
                "schema": "perfcore.paired-noise/1",
                "machine": "other",
                "updated": "",
                "benchmarks": {},
            }
        ),
    ],
)
def test_bad_files_are_schema_errors(tmp_path: Path, document: str) -> None:
    """Corrupt JSON, another schema, bad numbers, missing keys, another machine."""
    path = tmp_path / "paired-noise.json"
    path.write_text(document)
    with pytest.raises(SchemaError):
        load_paired_noise(path, "m")
