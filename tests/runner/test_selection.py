"""Choosing the benchmarks a change can reach, from a coverage map and a git diff."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest

from perfcore.runner.coverage_map import record_map
from perfcore.runner.selection import (
    CoverageMap,
    changed_code,
    functions_of,
    load_map,
    save_map,
    select,
    suite_digest,
)

PACKAGE = '''"""A tiny package."""

LIMIT = 3


def leaf(x):
    return x + 1


def shared(x):
    return leaf(x) * 2


class Box:
    def put(self, x):
        return shared(x)

    def take(self):
        return LIMIT
'''

BENCH = """from pkg.core import Box, leaf


def test_put(benchmark):
    benchmark(Box().put, 1)


def test_take(benchmark):
    benchmark(Box().take)


def test_leaf(benchmark):
    benchmark(leaf, 2)
"""

# Which benchmark executes which function, by construction of PACKAGE and BENCH.
EXECUTES = {
    "leaf": {"test_put", "test_leaf"},
    "shared": {"test_put"},
    "Box.put": {"test_put"},
    "Box.take": {"test_take"},
}


def _git(root: Path, *args: str) -> None:
    subprocess.run(["git", "-C", str(root), *args], check=True, capture_output=True)


@pytest.fixture(scope="module")
def repo(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, CoverageMap]:
    """A git repository with a package, a three-benchmark suite and its coverage map."""
    root = tmp_path_factory.mktemp("repo")
    (root / "pkg").mkdir()
    (root / "pkg" / "__init__.py").write_text("", encoding="utf-8")
    (root / "pkg" / "core.py").write_text(PACKAGE, encoding="utf-8")
    (root / "bench").mkdir()
    (root / "bench" / "test_core.py").write_text(BENCH, encoding="utf-8")
    (root / "pyproject.toml").write_text("[project]\nname='x'\n", encoding="utf-8")
    _git(root, "init", "-q")
    _git(root, "add", "-A")
    _git(root, "-c", "user.email=t@t", "-c", "user.name=t", "commit", "-qm", "base")
    return root, record_map(root, "bench")


def _edit(root: Path, old: str, new: str) -> None:
    path = root / "pkg" / "core.py"
    path.write_text(PACKAGE.replace(old, new, 1), encoding="utf-8")


def _selected(root: Path, cov: CoverageMap) -> set[str] | None:
    chosen = select(changed_code(root, "HEAD"), cov, suite_digest(root, "bench"))
    return None if chosen.nodes is None else {n.split("::")[-1] for n in chosen.nodes}


def test_the_map_records_what_each_benchmark_executes(repo: tuple[Path, CoverageMap]) -> None:
    """Recorded under coverage, each benchmark lists the package functions it ran."""
    _, cov = repo
    ran = {
        node.split("::")[-1]: files.get("pkg/core.py", frozenset())
        for node, files in cov.benchmarks.items()
    }
    for function, benchmarks in EXECUTES.items():
        assert {b for b, fs in ran.items() if function in fs} == benchmarks


@pytest.mark.parametrize("function", sorted(EXECUTES))
def test_no_benchmark_executing_a_changed_function_is_skipped(
    repo: tuple[Path, CoverageMap],
    function: str,
) -> None:
    """Editing a function's body selects every benchmark that executes it."""
    root, cov = repo
    anchors = {
        "leaf": "return x + 1",
        "shared": "return leaf(x) * 2",
        "Box.put": "return shared(x)",
        "Box.take": "return LIMIT",
    }
    try:
        _edit(root, anchors[function], anchors[function] + " or None")
        selected = _selected(root, cov)
    finally:
        _edit(root, "", "")
    assert selected is not None
    assert EXECUTES[function] <= selected


def test_an_edit_inside_one_function_leaves_the_others_out(
    repo: tuple[Path, CoverageMap],
) -> None:
    """A change to Box.take selects test_take only."""
    root, cov = repo
    try:
        _edit(root, "return LIMIT", "return LIMIT + 0")
        assert _selected(root, cov) == {"test_take"}
    finally:
        _edit(root, "", "")


def test_a_comment_or_layout_change_selects_nothing(repo: tuple[Path, CoverageMap]) -> None:
    """Only code counts: a new comment changes no function."""
    root, cov = repo
    try:
        _edit(root, "def leaf(x):", "def leaf(x):  # hot path")
        assert _selected(root, cov) == set()
    finally:
        _edit(root, "", "")


def test_a_pyproject_change_selects_everything(repo: tuple[Path, CoverageMap]) -> None:
    """Dependencies are shared ground: every benchmark runs."""
    root, cov = repo
    pyproject = root / "pyproject.toml"
    before = pyproject.read_text(encoding="utf-8")
    try:
        pyproject.write_text(before + "dependencies = ['numpy']\n", encoding="utf-8")
        chosen = select(changed_code(root, "HEAD"), cov, suite_digest(root, "bench"))
    finally:
        pyproject.write_text(before, encoding="utf-8")
    assert chosen.nodes is None
    assert "pyproject.toml" in chosen.reason


def test_a_module_level_change_selects_everything(repo: tuple[Path, CoverageMap]) -> None:
    """A changed constant is read from anywhere: every benchmark runs."""
    root, cov = repo
    try:
        _edit(root, "LIMIT = 3", "LIMIT = 4")
        assert _selected(root, cov) is None
    finally:
        _edit(root, "", "")


def test_a_map_of_another_suite_selects_everything(repo: tuple[Path, CoverageMap]) -> None:
    """A stale map (the benchmark files changed since) is not trusted."""
    root, cov = repo
    chosen = select(changed_code(root, "HEAD"), cov, "another-suite")
    assert chosen.nodes is None
    assert "another suite" in chosen.reason


def test_the_map_round_trips_through_its_file(
    repo: tuple[Path, CoverageMap], tmp_path: Path
) -> None:
    """A saved map reads back equal."""
    _, cov = repo
    save_map(tmp_path / "map.json", cov)
    assert load_map(tmp_path / "map.json") == cov


def test_nested_and_method_names_are_qualified() -> None:
    """Functions are named by class and enclosing function."""
    spans = functions_of("class A:\n    def f(self):\n        def g():\n            pass\n")
    assert {"A.f", "A.f.g"} <= spans.keys()
