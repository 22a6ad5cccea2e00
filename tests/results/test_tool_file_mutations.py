"""Mutated real asv and Locust files: every read ends in results or a one-line perfcore error."""

from __future__ import annotations

import copy
import json
import random
import warnings
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from perfcore.errors import PerfcoreError
from perfcore.results.readers import read_any

FIXTURES = Path(__file__).parent.parent / "fixtures"
SOURCES = [
    FIXTURES
    / "asv"
    / "results"
    / "tinybox"
    / "05fbd402-existing-py_work_wt_toolfiles_.venv_bin_python3.json",
    FIXTURES
    / "asv"
    / "format1"
    / "tinybox"
    / "fddb0e26-existing-py_work_wt_toolfiles_.venv_bin_python3.json",
    FIXTURES / "locust" / "real" / "run.json",
]
WEIRD: list[Any] = [
    None,
    True,
    0,
    -1,
    1e308,
    -1e308,
    "",
    "x",
    "1e999",
    [],
    {},
    [None],
    {"a": 1},
    [[1]],
    2**70,
]


def _paths(node: Any, prefix: tuple[Any, ...] = ()) -> Iterator[tuple[Any, ...]]:
    yield prefix
    children = (
        node.items()
        if isinstance(node, dict)
        else enumerate(node)
        if isinstance(node, list)
        else ()
    )
    for key, child in children:
        yield from _paths(child, (*prefix, key))


def _mutate(doc: Any, rng: random.Random) -> Any:
    doc = copy.deepcopy(doc)
    spots = [p for p in _paths(doc) if p]
    for _ in range(rng.randint(1, 4)):
        *parents, last = rng.choice(spots)
        node = doc
        try:
            for key in parents:
                node = node[key]
            if isinstance(node, dict) and rng.random() < 0.15:
                del node[last]
            else:
                node[last] = rng.choice(WEIRD)
        except (KeyError, IndexError, TypeError):
            continue  # an earlier mutation removed this spot
    return doc


@pytest.mark.parametrize("source", SOURCES, ids=lambda p: p.parent.parent.name + "/" + p.name)
def test_mutated_files_never_raise_anything_but_perfcore_errors(
    source: Path, tmp_path: Path
) -> None:
    """150 seeded mutations of a real file: results or a PerfcoreError, never a traceback."""
    rng = random.Random(14)
    original = json.loads(source.read_text())
    messages: list[str] = []
    for i in range(150):
        path = tmp_path / f"m{i}.json"
        path.write_text(json.dumps(_mutate(original, rng)))
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            try:
                read_any(path)
            except PerfcoreError as exc:
                messages.append(str(exc))
    assert all("\n" not in m for m in messages)
