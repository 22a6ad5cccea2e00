"""The claims file loader: the agreed TOML format, strictly validated."""

from pathlib import Path

import pytest

from perfcore.errors import InputError, SchemaError
from perfcore.results.claims_file import load_claims, parse_claims

EXAMPLE = """
[[claim]]
name = "cache-reduction"
description = "The cache cuts backend API calls by 70-90% after warm-up"
result = "asv.track_cache_backend_call_reduction"   # result id that measures it
unit = "ratio"          # fraction 0..1
min = 0.70
max = 0.90

[[claim]]
name = "memory"
description = "Harness memory under 200 MB"
result = "bench.memory.peak"
unit = "MB"
max = 200
"""


def test_example_file_loads() -> None:
    """The agreed example parses into frozen claims with optional bounds."""
    cache, memory = parse_claims(EXAMPLE)
    assert cache.result == "asv.track_cache_backend_call_reduction"
    assert (cache.min, cache.max) == (0.70, 0.90)
    assert memory.min is None
    assert memory.max == 200.0


@pytest.mark.parametrize(
    "body",
    [
        'name="a"\ndescription="d"\nresult="r"\nunit="s"\nmax=1\nmaximum=2',
        'name="a"\ndescription="d"\nresult="r"\nunit="s"',
        'name="a"\ndescription="d"\nresult="r"\nunit="s"\nmin=2\nmax=1',
        'name="a"\ndescription="d"\nunit="s"\nmax=1',
        'name="a"\ndescription="d"\nresult="r"\nunit="s"\nmax="fast"',
        'name="a"\ndescription="d"\nresult=""\nunit="s"\nmax=1',
    ],
    ids=["unknown-key", "no-bound", "min-over-max", "no-result", "text-bound", "empty-result"],
)
def test_bad_claims_are_schema_errors(body: str) -> None:
    """Unknown keys, missing keys, absent or inverted bounds are refused."""
    with pytest.raises(SchemaError):
        parse_claims("[[claim]]\n" + body)


def test_duplicates_and_unknown_tables_are_refused() -> None:
    """Two claims of one name, or a stray top-level key, are errors."""
    one = '[[claim]]\nname="a"\ndescription="d"\nresult="r"\nunit="s"\nmax=1\n'
    with pytest.raises(SchemaError, match="duplicate"):
        parse_claims(one + one)
    with pytest.raises(SchemaError, match="unknown top-level"):
        parse_claims("[claims]\nx=1\n")


def test_missing_and_broken_files(tmp_path: Path) -> None:
    """A missing file is an input error; invalid TOML names the file."""
    with pytest.raises(InputError):
        load_claims(tmp_path / "none.toml")
    broken = tmp_path / "claims.toml"
    broken.write_text("[[claim]\n", encoding="utf-8")
    with pytest.raises(SchemaError, match=r"claims\.toml"):
        load_claims(broken)
