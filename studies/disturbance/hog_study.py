"""A CPU hog beside the suite: no false regression, and a real 30% slowdown still caught.

Runs the small study suite (``studies/uncalibrated/test_small_suite.py``) with
pytest-benchmark three times, each a fresh process, each with raw samples and perfcore's
disturbance plugin: quiet (the baseline), beside a one-core busy loop in another process
(no change), and beside the same hog with one benchmark's work made 30% larger. Each
current run is judged against the baseline with ``perfcore gate`` and the verdicts and
exit codes are printed. The hog is a child process in its own session, bounded in time,
and ended by its pid.

usage: python -m studies.disturbance.hog_study [--slowed sum_range] [--factor 1.3]
"""

from __future__ import annotations

import argparse
import os
import signal
import subprocess
import sys
import tempfile
from pathlib import Path

SUITE = Path(__file__).resolve().parents[1] / "uncalibrated" / "test_small_suite.py"
HOG = "import time\nend = time.monotonic() + {seconds}\nwhile time.monotonic() < end: pass\n"


def _suite(out: Path, env: dict[str, str]) -> None:
    argv = [
        sys.executable,
        "-m",
        "pytest",
        "-q",
        "-p",
        "no:cacheprovider",
        str(SUITE),
        f"--benchmark-json={out}",
        "--benchmark-max-time=0.5",
        "-o",
        "addopts=",
    ]
    subprocess.run(argv, check=True, capture_output=True, env={**os.environ, **env}, timeout=600)


def _with_hog(out: Path, env: dict[str, str]) -> None:
    hog = subprocess.Popen([sys.executable, "-c", HOG.format(seconds=300)], start_new_session=True)
    try:
        _suite(out, env)
    finally:
        os.killpg(hog.pid, signal.SIGTERM)
        hog.wait(timeout=30)


def _gate(base: Path, curr: Path) -> tuple[int, str]:
    proc = subprocess.run(
        [sys.executable, "-m", "perfcore", "gate", "--baseline", str(base), "--current", str(curr)],
        capture_output=True,
        text=True,
        check=False,
        timeout=300,
    )
    return proc.returncode, (proc.stdout + proc.stderr).strip()


def main(argv: list[str] | None = None) -> int:
    """Run the three measurements and print each judgement."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--slowed", default="sum_range")
    parser.add_argument("--factor", type=float, default=1.3)
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        quiet, busy, slowed = (folder / f"{n}.json" for n in ("quiet", "busy", "slowed"))
        _suite(quiet, {})
        _with_hog(busy, {})
        _with_hog(
            slowed,
            {"PERFCORE_STUDY_SLOWDOWN": str(args.factor), "PERFCORE_STUDY_SLOWED": args.slowed},
        )
        for name, path in (
            ("hog, no change", busy),
            (f"hog, {args.slowed} x{args.factor}", slowed),
        ):
            code, text = _gate(quiet, path)
            print(f"== {name}: exit {code}\n{text}\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
