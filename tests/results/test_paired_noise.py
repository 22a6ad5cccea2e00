"""The learnt paired-round noise file: pooling, its cap, and bad input."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from perfcore.errors import SchemaError
from perfcore.results.paired_noise import (
    PairedNoise,
    load_paired_noise,
    paired_noise_path,
    save_paired_noise,
)


def test_pools_variances_weighted_by_df(tmp_path: Path) -> None:
    """Two gate runs pool to the df-weighted variance; a reload gives the same pool."""
    pool = PairedNoise("m1").learnt({"a": (0.01, 4.0)}).learnt({"a": (0.04, 2.0), "b": (0.5, 1.0)})
    assert pool.benchmarks["a"] == pytest.approx((0.02, 6.0))
    path = paired_noise_path(tmp_path, "m1")
    save_paired_noise(path, pool)
    assert load_paired_noise(path, "m1").benchmarks == pool.benchmarks


def test_cap_keeps_newest_weight() -> None:
    """Past the df cap, older rounds give way so a changed machine is followed."""
    pool = PairedNoise("m").learnt({"a": (1.0, 10.0)}, max_df=12).learnt({"a": (3.0, 4.0)},
                                                                          max_df=12)
    assert pool.benchmarks["a"] == pytest.approx(((1.0 * 8 + 3.0 * 4) / 12, 12.0))


def test_ignores_unusable_observations() -> None:
    """NaN variances and zero df teach nothing."""
    pool = PairedNoise("m").learnt({"a": (float("nan"), 4.0), "b": (0.1, 0.0)})
    assert not pool.benchmarks


def test_missing_file_is_empty_pool(tmp_path: Path) -> None:
    """No file yet: an empty pool for this machine."""
    assert load_paired_noise(tmp_path / "none.json", "m").benchmarks == {}


@pytest.mark.parametrize("document", [
    "{not json",
    json.dumps({"schema": "other"}),
    json.dumps({"schema": "perfcore.paired-noise/1", "machine": "m", "updated": "",
                "benchmarks": {"a": {"var": -1, "df": 3}}}),
    json.dumps({"schema": "perfcore.paired-noise/1", "machine": "m", "updated": "",
                "benchmarks": {"a": {"var": 0.1}}}),
    json.dumps({"schema": "perfcore.paired-noise/1", "machine": "other", "updated": "",
                "benchmarks": {}}),
])
def test_bad_files_are_schema_errors(tmp_path: Path, document: str) -> None:
    """Corrupt JSON, another schema, bad numbers, missing keys, another machine."""
    path = tmp_path / "paired-noise.json"
    path.write_text(document)
    with pytest.raises(SchemaError):
        load_paired_noise(path, "m")
