"""The one way perfcore starts the pytest-benchmark suite: a profile and a command.

Every mode (the main job's passes, ``calibrate``'s repeated runs, ``gate --against``'s
rounds) builds its ``pytest`` command here, so a quick run means the same thing
everywhere: ``bench/conftest.py``'s quick profile, selected through :data:`QUICK_ENV`
(an environment variable rather than ``--quick``, so that a REF worktree whose
conftest never declared the flag still runs), plus :data:`QUICK_OPTIONS` for the
benchmarks pytest-benchmark calibrates itself. The environment variable names are
defined here once; ``bench/conftest.py`` reads them from this module.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

__all__ = [
    "PASSES_ENV",
    "QUICK_ENV",
    "QUICK_OPTIONS",
    "SuiteCommand",
    "SuiteProfile",
    "suite_command",
]

# perfcore's pytest plugin (the disturbance probe), entry point "perfcore".
PYTEST_PLUGIN_FILE = Path("perfcore/instrument/pytest_plugin.py")
# Read by bench/conftest.py: the quick profile (fewer rounds, same workloads).
QUICK_ENV = "PERFCORE_BENCH_QUICK"
# Read by bench/conftest.py: this process is one of N passes over the suite, and which.
PASSES_ENV = "PERFCORE_BENCH_PASSES"
PASS_INDEX_ENV = "PERFCORE_BENCH_PASS"  # noqa: S105 -- a variable name, no secret
# Quick mode for benchmarks without fixed rounds (plain ``benchmark(f)``): pytest-benchmark
# calibrates those itself, so the conftest's profile alone would not shorten them.
QUICK_OPTIONS = (
    "--benchmark-max-time=0.1",
    "--benchmark-min-rounds=5",
    "--benchmark-warmup=on",
    "--benchmark-warmup-iterations=100",
)
# The columns ``perfcore run`` shows; its progress lines are parsed from ``-v`` output.
VERBOSE_OPTIONS = ("-v", "--benchmark-columns=median,iqr,rounds")


@dataclass(frozen=True)
class SuiteProfile:
    """How much to measure: ``quick`` (fewer rounds) or full, in ``passes`` processes."""

    quick: bool = False
    passes: int = 1

    @property
    def mode(self) -> str:
        """``quick`` or ``full``."""
        return "quick" if self.quick else "full"


@dataclass(frozen=True)
class SuiteCommand:
    """One pytest-benchmark process: its argv and its whole environment."""

    argv: tuple[str, ...]
    env: Mapping[str, str]


def suite_command(
    tree: Path,
    targets: Sequence[str],
    json_path: Path,
    profile: SuiteProfile,
    *,
    extra: Sequence[str] = (),
    plugin: tuple[Path, str] | None = None,
    verbose: bool = False,
    base_env: Mapping[str, str] | None = None,
    pass_index: int = 1,
) -> SuiteCommand:
    """The command that runs ``targets`` (a folder, or pytest node ids alone) of ``tree``;
    ``pass_index``: which of ``profile.passes`` this process is (``once`` benchmarks run
    in the first only).

    ``plugin`` is (folder, module name) of a pytest plugin loaded with ``-p``; its folder
    goes on ``PYTHONPATH`` after ``tree``, whose own sources must win over an installed
    perfcore. ``extra`` (the user's pytest options) comes last, so it can override.
    """
    if not targets:
        raise ValueError("suite_command needs a folder or node ids to run")
    argv = [sys.executable, "-m", "pytest"]
    if plugin is not None:
        argv += ["-p", plugin[1]]
    if (tree / "perfcore").is_dir() and not (tree / PYTEST_PLUGIN_FILE).is_file():
        # A perfcore tree older than its pytest plugin (a REF of gate --against, a stale
        # baseline's commit): the installed entry point would import the plugin from
        # that tree, which lacks it, and stop the run.
        argv += ["-p", "no:perfcore"]
    argv += [
        *targets,
        "--benchmark-only",
        f"--benchmark-json={json_path}",
        "-p",
        "no:cacheprovider",
        *(VERBOSE_OPTIONS if verbose else ("-q",)),
        *(QUICK_OPTIONS if profile.quick else ()),
        *extra,
    ]
    env = dict(os.environ if base_env is None else base_env)
    paths = [str(tree), *([str(plugin[0])] if plugin else []), env.get("PYTHONPATH", "")]
    env["PYTHONPATH"] = os.pathsep.join(p for p in paths if p)
    if profile.quick:
        env[QUICK_ENV] = "1"
    else:
        env.pop(QUICK_ENV, None)  # an inherited setting must not make a full run quick
    env[PASSES_ENV] = str(profile.passes)
    env[PASS_INDEX_ENV] = str(pass_index)
    # Its output is read line by line as progress: unbuffered, or it comes in 8 KiB bursts.
    env["PYTHONUNBUFFERED"] = "1"
    return SuiteCommand(tuple(argv), env)
