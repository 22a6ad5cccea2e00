"""What every store probe shares: running the command line in-process, a results file
to feed it, and the judgement whether a refusal was clean (:mod:`studies.probe_stores`)."""

from __future__ import annotations

import contextlib
import io
import traceback
from pathlib import Path

from perfcore.cli import main
from perfcore.results.model import Commit, Machine, Result, ResultSet, RunInfo

Outcome = tuple[bool, str]


def cli(argv: list[str]) -> tuple[int, str, str]:
    """``perfcore`` run in-process: exit code, stdout, stderr (a traceback as users see it)."""
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        try:
            code = main(argv)
        except SystemExit as exc:
            code = int(exc.code or 0)
        except BaseException:  # a traceback is what a user would see: exit 1
            traceback.print_exc(file=err)
            code = 1
    return code, out.getvalue(), err.getvalue()


def make_run(
    machine_id: str,
    commit: str = "a" * 40,
    samples: tuple[float, ...] = (1.0, 1.1),
    created: str = "2026-01-01T00:00:00+00:00",
) -> ResultSet:
    """A one-benchmark results file from machine ``machine_id``."""
    machine = Machine(id=machine_id, cpu="cpu", cores=2, ram_bytes=1, os="linux", python="3.11")
    return ResultSet(
        run=RunInfo(created=created, machine=machine, commit=Commit(id=commit)),
        results=(Result(id="bench.x", unit="s", better="lower", samples=samples),),
    )


def files_under(root: Path) -> set[Path]:
    """Every file below ``root``."""
    return {p for p in root.rglob("*") if p.is_file()}


def clean(code: int, err: str, want: int) -> str:
    """Why a command did not end as documented (exit ``want``, one line on stderr for 2)."""
    if "Traceback" in err:
        return "traceback: " + err.strip().splitlines()[-1][:80]
    if code != want:
        return f"exit {code}, expected {want}"
    if want == 2 and err.count("\n") != 1:
        return f"{err.count(chr(10))} stderr lines"
    return ""
