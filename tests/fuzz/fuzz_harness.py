"""Run a perfcore command in-process on fuzzed files and check the input contract.

The contract (DESIGN.md, docs/errors.md): no traceback, never an internal error (3),
exit 1 only as the command's own measured verdict, exit 2 with exactly one
``perfcore: error:`` line, and nothing written by a command that failed.
"""

from __future__ import annotations

import contextlib
import io
import json
import os
import tempfile
import traceback
from collections import Counter
from collections.abc import Callable, Iterator
from pathlib import Path

from hypothesis import HealthCheck, settings

from perfcore.cli import main

SEEDS = Path(__file__).parent / "seeds"
LOCUST = Path(__file__).parent.parent / "fixtures" / "locust"

# CI runs a modest number per command; PERFCORE_FUZZ_EXAMPLES=1000 for the full run.
EXAMPLES = int(os.environ.get("PERFCORE_FUZZ_EXAMPLES", "100"))
FUZZ = settings(
    max_examples=EXAMPLES,
    deadline=None,
    database=None,
    derandomize=EXAMPLES <= 200,
    suppress_health_check=[
        HealthCheck.too_slow,
        HealthCheck.data_too_large,
        HealthCheck.filter_too_much,
    ],
)

TALLY: dict[str, Counter[str]] = {}


def seed(name: str) -> bytes:
    """A seed file's bytes (tests/fuzz/seeds, or the Locust fixtures)."""
    path = LOCUST / name if name.startswith("run") else SEEDS / name
    return path.read_bytes()


@contextlib.contextmanager
def workdir() -> Iterator[Path]:
    """A fresh temporary folder for one example."""
    with tempfile.TemporaryDirectory(prefix="perfcore-fuzz-") as tmp:
        yield Path(tmp)


def files_under(folder: Path) -> list[Path]:
    """Every file under ``folder`` (none when it does not exist)."""
    return sorted(p for p in folder.rglob("*") if p.is_file()) if folder.exists() else []


def run(
    command: str,
    argv: list[str],
    *,
    verdict: str | None = None,
    written: Callable[[], list[Path]] | None = None,
) -> int:
    """Run ``perfcore argv`` in-process; assert the contract; count the outcome.

    ``verdict`` is the stdout text that makes exit 1 legitimate (the command's measured
    failure); without it exit 1 is a defect. ``written`` lists what the command wrote,
    which must be nothing when it exits 2. With ``PERFCORE_FUZZ_COUNT_ONLY=1`` a breach is
    counted by its signature instead of failing (to measure a tree's defects in one run).
    """
    tally = TALLY.setdefault(command, Counter())
    tally["tried"] += 1
    out, err = io.StringIO(), io.StringIO()
    try:
        with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
            code = main(argv)
        _check(code, out.getvalue(), err.getvalue(), verdict, written)
    except Exception as exc:
        if not COUNT_ONLY:
            raise
        tally[f"defect: {_signature(exc)}"] += 1
        return -1
    tally["clean"] += 1
    tally[f"exit {code}"] += 1
    return code


COUNT_ONLY = os.environ.get("PERFCORE_FUZZ_COUNT_ONLY", "") == "1"


def _signature(exc: BaseException) -> str:
    if isinstance(exc, AssertionError):
        return f"contract: {str(exc).splitlines()[0][:160]}"
    frames = traceback.extract_tb(exc.__traceback__)
    where = next((f for f in reversed(frames) if "/perfcore/" in f.filename), frames[-1])
    return f"{type(exc).__name__} at {Path(where.filename).name}:{where.name}"


def _check(
    code: int,
    stdout: str,
    stderr: str,
    verdict: str | None,
    written: Callable[[], list[Path]] | None,
) -> None:
    assert "Traceback" not in stderr + stdout, stderr
    assert code != 3, f"internal error: {stderr}"
    assert code in (0, 1, 2), code
    if code == 1:
        assert verdict is not None, f"exit 1 without a verdict: {stdout}"
        assert verdict in stdout, f"exit 1 without a verdict: {stdout}"
    lines = stderr.splitlines()
    assert all(line.startswith("perfcore: ") for line in lines), stderr
    if code == 2:
        assert sum(line.startswith("perfcore: error:") for line in lines) == 1, stderr
        if written is not None:
            assert written() == [], f"exit 2 but wrote {written()}"


def report_tally(command: str) -> None:
    """Append this command's counts to PERFCORE_FUZZ_REPORT (a JSON-lines file) when set."""
    target = os.environ.get("PERFCORE_FUZZ_REPORT")
    if target and command in TALLY:
        with open(target, "a", encoding="utf-8") as handle:
            handle.write(json.dumps({"command": command, **TALLY[command]}) + "\n")
