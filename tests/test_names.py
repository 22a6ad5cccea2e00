"""One name per idea across perfcore/: no two classes share a name, one VERDICTS."""

from __future__ import annotations

import ast
from collections.abc import Iterable
from pathlib import Path

import perfcore

ROOT = Path(perfcore.__file__).parent


def _sources() -> list[tuple[str, str]]:
    return [(str(p.relative_to(ROOT)), p.read_text(encoding="utf-8")) for p in ROOT.rglob("*.py")]


def _classes(sources: Iterable[tuple[str, str]]) -> dict[str, list[str]]:
    found: dict[str, list[str]] = {}
    for where, text in sources:
        for node in ast.parse(text).body:
            if isinstance(node, ast.ClassDef):
                found.setdefault(node.name, []).append(where)
    return found


def _verdict_lists(sources: Iterable[tuple[str, str]]) -> list[str]:
    """Modules that assign a top-level ``VERDICTS`` (re-imports are not definitions)."""
    found = []
    for where, text in sources:
        for node in ast.parse(text).body:
            targets = node.targets if isinstance(node, ast.Assign) else []
            if isinstance(node, ast.AnnAssign):
                targets = [node.target]
            if any(isinstance(t, ast.Name) and t.id == "VERDICTS" for t in targets):
                found.append(where)
    return found


def test_no_two_classes_share_a_name() -> None:
    """Every top-level class name in perfcore/ is defined in one module only."""
    assert {n: w for n, w in _classes(_sources()).items() if len(w) > 1} == {}


def test_verdicts_are_defined_once() -> None:
    """The list of verdicts is defined in one module, analysis/comparison.py."""
    assert _verdict_lists(_sources()) == ["analysis/comparison.py"]


def test_the_checks_can_fail() -> None:
    """Two classes of one name and a second VERDICTS are both found."""
    sources = [("a.py", "class A: pass\nVERDICTS = ()\n"), ("b.py", "class A: pass\n")]
    assert _classes(sources) == {"A": ["a.py", "b.py"]}
    assert _verdict_lists(sources) == ["a.py"]


def test_test_modules_have_unique_names() -> None:
    """Test folders are not packages, so two test files of one basename stop collection
    (pytest's 'import file mismatch'): every test module's name is unique."""
    from collections import Counter

    tests = Path(__file__).parent
    names = Counter(p.name for p in tests.rglob("test_*.py"))
    assert [n for n, k in names.items() if k > 1] == []
