"""Subcommand modules of the ``perfcore`` command, and the table that lists them.

Each command is one module here, named as the command (``coverage-map``:
``coverage_map.py``), with a ``DESCRIPTION`` and ``configure(parser)``, which adds
the command's options and installs handlers with ``set_defaults(handler=...)``.
Handlers take the namespace, build typed settings, call the public API and return
an exit status. Keep them thin.

:data:`COMMANDS` names every command with its one-line help, in the order
``perfcore --help`` lists them: all the top-level help needs, so printing it
imports no command module (tests/cli/test_cli_is_thin.py checks that the table and
the modules agree).
"""

from __future__ import annotations

__all__ = ["COMMANDS", "module_name"]

COMMANDS: tuple[tuple[str, str], ...] = (
    ("audit", "verify a training audit log"),
    ("baseline", "store or list per-machine baselines"),
    ("calibrate", "measure benchmark noise and the smallest detectable regression"),
    ("claims", "judge the claims file against measured results"),
    ("compare", "compare two runs: ratio, interval, test and verdict per result"),
    ("coverage-map", "record which functions each benchmark executes"),
    ("gate", "exit 1 on a significant regression beyond its threshold"),
    ("history", "per-machine run history and change points"),
    ("load", "load-test the local server and the cloud simulator"),
    ("models", "list, inspect and roll back stored model versions"),
    ("precision", "compare float64/float32/float16/int8 variants"),
    ("profiles", "list server profiles and the recommended one"),
    ("report", "render the HTML/Markdown/JSON/JUnit report of a comparison"),
    ("retrain", "watch labelled outcomes and retrain on triggers"),
    ("run", "the main job: benchmarks, load test, verdicts, report"),
    ("serve", "serve the promoted model over HTTP"),
    ("slo", "judge load-test results against k6-style service levels"),
    ("train", "train a model through the four timed phases and the promotion gate"),
    ("tune", "find each server configuration's capacity at a p99 SLO; recommend one"),
)


def module_name(command: str) -> str:
    """The module under perfcore/_cli that defines ``command``."""
    return f"perfcore._cli.{command.replace('-', '_')}"
