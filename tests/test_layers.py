"""The layers of DESIGN.md hold: imports only go down, never up to the package, never round."""

from __future__ import annotations

import ast
from collections.abc import Iterator, Mapping
from pathlib import Path

import perfcore

ROOT = Path(perfcore.__file__).parent

# Top-level parts of perfcore/ by layer, top (1) to bottom (5); a module may import its
# own layer or a lower one. Analysis sits above results inside the judgement layer:
# it judges what results/ reads, and results/ never needs a verdict.
LAYERS: Mapping[str, float] = {
    "cli": 1,
    "__main__": 1,
    "_cli": 1,
    "runner": 2,
    "load": 2,
    "report": 2,
    "analysis": 3,
    "results": 3.5,
    "training": 4,
    "components": 4,
    "serving": 4,
    "retraining": 4,
    "optimisation": 4,
    "instrument": 5,
    "errors": 5,
    "config": 5,
    "_atomic": 5,
    "_lazy": 5,
    "_version": 5,
    "_names": 5,
    "_procs": 5,
    "_jsonio": 5,
}
SYSTEMS_UNDER_TEST = {"training", "components", "serving", "retraining", "optimisation"}


def _module_name(path: Path) -> str:
    parts = ["perfcore", *path.relative_to(ROOT).with_suffix("").parts]
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


MODULES = {_module_name(p): p for p in ROOT.rglob("*.py")}


def _imports(name: str, path: Path) -> Iterator[str]:
    """Every perfcore module ``name`` imports, at any depth (lazy and type-only too)."""
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            yield from (a.name for a in node.names if a.name.split(".")[0] == "perfcore")
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                parts = package.split(".")[: len(package.split(".")) - node.level + 1]
                base = ".".join([*parts, *([node.module] if node.module else [])])
            if base.split(".")[0] != "perfcore":
                continue
            for alias in node.names:  # ``from perfcore import _cli`` names a module
                full = f"{base}.{alias.name}"
                yield full if full in MODULES else base


def _part(module: str) -> str:
    parts = module.split(".")
    return parts[1] if len(parts) > 1 else ""


GRAPH = {name: set(_imports(name, path)) - {name} for name, path in MODULES.items()}


def test_every_part_has_a_layer() -> None:
    """Each top-level module and package of perfcore/ is placed in the layer table."""
    assert {_part(m) for m in MODULES} - {""} <= set(LAYERS)


def test_nothing_imports_the_top_level_package() -> None:
    """No module inside perfcore imports ``perfcore`` itself (only its modules)."""
    upward = sorted(m for m, targets in GRAPH.items() if m != "perfcore" and "perfcore" in targets)
    assert upward == []


def test_imports_only_go_down() -> None:
    """No module imports a layer above its own; analysis/ imports no system under test."""
    bad = []
    for source, targets in GRAPH.items():
        src = _part(source)
        for target in targets:
            dst = _part(target)
            if not src or not dst or src == dst:
                continue
            if LAYERS.get(dst, 0) < LAYERS.get(src, 0) or (
                src == "analysis" and dst in SYSTEMS_UNDER_TEST
            ):
                bad.append(f"{source} -> {target}")
    assert sorted(bad) == []


def _cycles(graph: Mapping[str, set[str]]) -> list[list[str]]:
    """The strongly connected components of more than one node (Tarjan, iterative)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    found = []
    for root in graph:
        if root in index:
            continue
        work = [(root, iter(sorted(graph[root])))]
        index[root] = low[root] = len(index)
        stack.append(root)
        while work:
            node, children = work[-1]
            child = next((c for c in children if c in graph), None)
            if child is None:
                work.pop()
                if work:
                    low[work[-1][0]] = min(low[work[-1][0]], low[node])
                if low[node] == index[node]:
                    component = stack[stack.index(node) :]
                    del stack[stack.index(node) :]
                    if len(component) > 1:
                        found.append(sorted(component))
            elif child not in index:
                index[child] = low[child] = len(index)
                stack.append(child)
                work.append((child, iter(sorted(graph[child]))))
            elif child in stack:
                low[node] = min(low[node], index[child])
    return found


def test_no_import_cycles() -> None:
    """Neither modules nor top-level packages import each other in a circle."""
    parts: dict[str, set[str]] = {}
    for source, targets in GRAPH.items():
        parts.setdefault(_part(source), set()).update(
            _part(t) for t in targets if _part(t) != _part(source)
        )
    assert _cycles(GRAPH) == []
    assert _cycles(parts) == []


def test_the_cycle_finder_finds_a_cycle() -> None:
    """The check can fail: a -> b -> c -> a is reported, a dead end is not."""
    assert _cycles({"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}) == [["a", "b", "c"]]
