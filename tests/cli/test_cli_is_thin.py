"""perfcore/_cli parses and prints: no process, no git; and the parser it builds stays light."""

from __future__ import annotations

import ast
from pathlib import Path

import perfcore._cli

CLI = Path(perfcore._cli.__file__).parent
FORBIDDEN_MODULES = {"subprocess", "multiprocessing", "asyncio.subprocess"}
FORBIDDEN_CALLS = {"system", "popen", "Popen", "spawnv", "execv", "execvp"}


def _offences(source: str) -> list[str]:
    found = []
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Import):
            found += [a.name for a in node.names if a.name in FORBIDDEN_MODULES]
        elif isinstance(node, ast.ImportFrom) and (node.module or "") in FORBIDDEN_MODULES:
            found.append(node.module or "")
        elif isinstance(node, ast.Attribute) and node.attr in FORBIDDEN_CALLS:
            found.append(node.attr)
        elif isinstance(node, ast.Constant) and node.value == "git":
            found.append("git")
    return found


def test_cli_modules_start_no_process_and_run_no_git() -> None:
    """No module of perfcore/_cli imports subprocess, calls os.system/Popen or names git."""
    bad = {
        p.name: hits
        for p in sorted(CLI.glob("*.py"))
        if (hits := _offences(p.read_text(encoding="utf-8")))
    }
    assert bad == {}


def test_the_check_finds_a_subprocess_call() -> None:
    """The check can fail: an import of subprocess and a git argv are both reported."""
    source = "import subprocess\nsubprocess.run(['git', 'status'])\n"
    assert _offences(source) == ["subprocess", "git"]


def test_the_light_parser_shows_the_same_help_as_the_full_one() -> None:
    """``perfcore --help`` built with one command's options (or none) reads as the full one,
    and the named command's own help is complete."""
    from perfcore.cli import build_parser

    assert build_parser(None, full=False).format_help() == build_parser().format_help()
    full = build_parser()._subparsers._group_actions[0].choices  # type: ignore[union-attr]
    light = build_parser("gate", full=False)._subparsers._group_actions[0].choices  # type: ignore[union-attr]
    assert light["gate"].format_help() == full["gate"].format_help()


def test_the_command_table_lists_every_command_module() -> None:
    """COMMANDS names each public module of perfcore/_cli once, and every such module has a
    description and a ``configure`` (a new command missing from the table would be dead)."""
    import importlib

    from perfcore._cli import COMMANDS, module_name

    modules = {f"perfcore._cli.{p.stem}" for p in CLI.glob("*.py") if not p.stem.startswith("_")}
    named = [module_name(name) for name, _ in COMMANDS]
    assert sorted(named) == sorted(modules)
    for name in named:
        module = importlib.import_module(name)
        assert module.DESCRIPTION, name
        assert callable(module.configure), name


def test_top_level_help_imports_no_command_module() -> None:
    """``perfcore --help`` is built from the table alone: no command module is imported."""
    import subprocess
    import sys

    code = (
        "import sys\nfrom perfcore.cli import main\ntry:\n    main(['--help'])\n"
        "except SystemExit:\n    pass\n"
        "print(sorted(m for m in sys.modules if m.startswith('perfcore._cli.')), file=sys.stderr)"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert done.stderr.strip().splitlines()[-1] == "[]"
