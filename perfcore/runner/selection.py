"""Which benchmarks a change can reach: a coverage map of the suite against a git diff.

The map (``perfcore.coverage-map/1``) says, per benchmark node id, which functions of
which files it executed, recorded once by running the suite under ``coverage`` with one
dynamic context per test (:func:`record_map`). A change is read from ``git diff REF``:
per changed Python file, the functions whose source differs between REF and the working
tree (by qualified name, comparing each function's own source) and whether anything
outside a function changed (an import, a constant, a class attribute). A benchmark is
selected when it executed a changed function. Everything is selected when code outside
any function changed (an import or a constant is read from other files, which no map of
executed functions bounds), when a Python file was added or deleted, when the change touches
shared ground (:data:`SHARED`: dependencies, the harness, the benchmark files), when the
map was recorded for another suite, or when a changed file cannot be parsed; the reason
is returned with the selection so the gate can say it.

A function's identity is its qualified name, so a benchmark that ran ``Cache.get`` is
selected for any edit inside ``Cache.get``, a nested function or a decorator included;
file-level selection would be a superset, function-level selection never skips a
benchmark that executed changed code.
"""

from __future__ import annotations

import ast
import fnmatch
import hashlib
import json
import subprocess
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from perfcore._atomic import atomic_write_json
from perfcore.errors import InputError, SchemaError

__all__ = [
    "MAP_SCHEMA",
    "SHARED",
    "Change",
    "CoverageMap",
    "Selection",
    "changed_code",
    "functions_of",
    "load_map",
    "select",
    "suite_digest",
]

MAP_SCHEMA = "perfcore.coverage-map/1"
# Changes here can move every benchmark: run them all.
SHARED = (
    "pyproject.toml",
    "setup.py",
    "setup.cfg",
    "requirements*.txt",
    "*.lock",
    "noxfile.py",
    "asv.conf.json",
    "bench/*",
    "bench/**",
    "perfcore/runner/*",
    "perfcore/instrument/pytest_plugin.py",
    "perfcore/instrument/disturbance.py",
)
MODULE = "<module>"


def functions_of(source: str) -> dict[str, tuple[int, int, str]]:
    """Qualified name -> (first line, last line, AST dump) of every function in ``source``.

    Everything outside a function (imports, constants, class bases and attributes, a
    module's docstring excepted) is collected under ``<module>``. Comparing AST dumps
    ignores comments and layout: reformatting a file changes nothing here.
    """
    tree = ast.parse(source)
    found: dict[str, tuple[int, int, str]] = {}
    outside: list[str] = []

    def visit(body: list[ast.stmt], prefix: str, in_function: bool = False) -> None:
        for child in body:
            if isinstance(child, ast.FunctionDef | ast.AsyncFunctionDef):
                name = f"{prefix}{child.name}"
                first = min([child.lineno, *(d.lineno for d in child.decorator_list)])
                found[name] = (first, child.end_lineno or child.lineno, ast.dump(child))
                visit(child.body, f"{name}.", in_function=True)
            elif in_function:
                continue  # a statement of the enclosing function: part of its dump
            elif isinstance(child, ast.ClassDef):
                head = [*child.bases, *child.keywords, *child.decorator_list]
                outside.append(
                    f"class {prefix}{child.name}: " + ", ".join(ast.dump(h) for h in head)
                )
                visit(child.body, f"{prefix}{child.name}.")
            elif not (
                isinstance(child, ast.Expr)
                and isinstance(child.value, ast.Constant)
                and isinstance(child.value.value, str)
            ):
                outside.append(ast.dump(child))

    visit(tree.body, "")
    found[MODULE] = (1, len(source.splitlines()), "\n".join(outside))
    return found


@dataclass(frozen=True)
class CoverageMap:
    """Per benchmark node id: per file (repository-relative), the functions it executed."""

    suite: str
    benchmarks: Mapping[str, Mapping[str, frozenset[str]]]

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready form."""
        return {
            "schema": MAP_SCHEMA,
            "suite": self.suite,
            "benchmarks": {
                node: {f: sorted(fs) for f, fs in sorted(files.items())}
                for node, files in sorted(self.benchmarks.items())
            },
        }


def load_map(path: Path) -> CoverageMap:
    """Read a coverage map; SchemaError on anything malformed."""
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError, RecursionError) as exc:
        raise SchemaError(f"{path}: cannot read coverage map: {exc}") from None
    if not isinstance(data, dict) or data.get("schema") != MAP_SCHEMA:
        raise SchemaError(f"{path}: not a {MAP_SCHEMA} file")
    benchmarks = data.get("benchmarks")
    if not isinstance(benchmarks, dict) or not isinstance(data.get("suite"), str):
        raise SchemaError(f"{path}: coverage map without suite or benchmarks")
    out: dict[str, dict[str, frozenset[str]]] = {}
    for node, files in benchmarks.items():
        if not isinstance(files, dict) or not all(
            isinstance(v, list) and all(isinstance(n, str) for n in v) for v in files.values()
        ):
            raise SchemaError(f"{path}: {node}: files must map to lists of function names")
        out[str(node)] = {str(f): frozenset(v) for f, v in files.items()}
    return CoverageMap(suite=data["suite"], benchmarks=out)


def suite_digest(root: Path, bench_dir: str = "bench") -> str:
    """A digest of the benchmark files: a map recorded for another suite is stale."""
    digest = hashlib.sha256()
    for path in sorted((root / bench_dir).rglob("*.py")):
        digest.update(path.relative_to(root).as_posix().encode())
        digest.update(path.read_bytes())
    return digest.hexdigest()[:16]


@dataclass(frozen=True)
class Change:
    """What a diff changed: functions per Python file, files changed at module level."""

    files: frozenset[str]
    functions: Mapping[str, frozenset[str]]
    module_level: frozenset[str]
    unparsable: frozenset[str]


def _git(root: Path, *args: str) -> str:
    proc = subprocess.run(
        ["git", "-C", str(root), *args], capture_output=True, text=True, check=False, timeout=60
    )
    if proc.returncode != 0:
        raise InputError(f"git {' '.join(args)}: {proc.stderr.strip().splitlines()[-1:]}")
    return proc.stdout


def _old_source(root: Path, ref: str, path: str) -> str | None:
    proc = subprocess.run(
        ["git", "-C", str(root), "show", f"{ref}:{path}"],
        capture_output=True,
        text=True,
        check=False,
        timeout=60,
    )
    return proc.stdout if proc.returncode == 0 else None


def changed_code(root: Path, ref: str) -> Change:
    """The files and functions that differ between ``ref`` and the working tree."""
    names = set(_git(root, "diff", "--name-only", ref, "--").split())
    names |= set(_git(root, "ls-files", "--others", "--exclude-standard").split())
    names = {n for n in names if "__pycache__" not in n and not n.endswith((".pyc", ".pyo"))}
    functions: dict[str, frozenset[str]] = {}
    module_level: set[str] = set()
    unparsable: set[str] = set()
    for name in sorted(p for p in names if p.endswith(".py")):
        new_path = root / name
        old = _old_source(root, ref, name)
        try:
            new = new_path.read_text(encoding="utf-8") if new_path.exists() else None
            before = functions_of(old) if old is not None else {}
            after = functions_of(new) if new is not None else {}
        except (SyntaxError, UnicodeDecodeError, ValueError):
            unparsable.add(name)
            continue
        changed = {
            f
            for f in before.keys() | after.keys()
            if (before.get(f) or (0, 0, None))[2] != (after.get(f) or (0, 0, None))[2]
        }
        if MODULE in changed or new is None or old is None:
            module_level.add(name)
        functions[name] = frozenset(changed - {MODULE})
    return Change(
        files=frozenset(names),
        functions=functions,
        module_level=frozenset(module_level),
        unparsable=frozenset(unparsable),
    )


@dataclass(frozen=True)
class Selection:
    """The benchmarks to run (None: all of them) and why."""

    nodes: tuple[str, ...] | None
    reason: str


def _shared(files: Iterable[str]) -> list[str]:
    return sorted(f for f in files if any(fnmatch.fnmatch(f, p) for p in SHARED))


def select(change: Change, cov: CoverageMap | None, current_suite: str) -> Selection:
    """The benchmarks that executed changed code (see the module docstring for the rule)."""
    if cov is None:
        return Selection(None, "no coverage map: all benchmarks")
    if cov.suite != current_suite:
        return Selection(None, "the coverage map is of another suite: all benchmarks")
    shared = _shared(change.files)
    if shared:
        return Selection(None, f"shared ground changed ({', '.join(shared[:3])}): all benchmarks")
    if change.unparsable:
        return Selection(None, f"cannot parse {sorted(change.unparsable)[0]}: all benchmarks")
    if change.module_level:
        # Imports and constants are read by code in other files: no map can bound them.
        first = sorted(change.module_level)[0]
        return Selection(None, f"module-level code changed in {first}: all benchmarks")
    picked = []
    for node, files in cov.benchmarks.items():
        if any(ran & change.functions.get(name, frozenset()) for name, ran in files.items()):
            picked.append(node)
    code = sorted(f for f in change.files if f.endswith(".py"))
    return Selection(
        tuple(sorted(picked)),
        f"{len(picked)} of {len(cov.benchmarks)} benchmarks execute code changed "
        f"in {len(code)} file(s)",
    )


def save_map(path: Path, cov: CoverageMap) -> None:
    """Write a coverage map atomically."""
    atomic_write_json(path, cov.to_dict())
