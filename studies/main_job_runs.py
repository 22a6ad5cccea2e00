"""The main job as a new user meets it: ``nox -s bench`` N times from a fresh clone.

Clones the repository (``git clone`` of the committed HEAD, so nothing uncommitted or
git-ignored travels), then runs the README's command ``nox -s bench`` (or ``-- --quick``)
N times in a row, optionally beside a one-core busy loop in another process (a bounded
hog that ends by itself after ``--hog-seconds``), and prints one Markdown row per run:
perfcore's exit status (nox itself exits 1 for any failed session), wall time, the
verdict line. The clone's nox environment is built once,
before the first timed run, and its build time is printed apart.

    python -m studies.main_job_runs --runs 5 [--quick] [--hog] [--keep DIR]
"""

from __future__ import annotations

import argparse
import re
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HOG = "import time\nend = time.monotonic() + {seconds}\nwhile time.monotonic() < end: pass\n"
ROOT = Path(__file__).resolve().parent.parent
RUN_LIMIT_S = 1800  # one main job; far above its target, so a hung run still ends


def _nox(clone: Path, *extra: str, timeout: float) -> tuple[int, float, str]:
    started = time.monotonic()
    done = subprocess.run(
        [sys.executable, "-m", "nox", "-s", "bench", *extra],
        cwd=clone,
        capture_output=True,
        text=True,
        check=False,
        timeout=timeout,
    )
    text = done.stdout + done.stderr
    lines = [ln for ln in text.splitlines() if ln.startswith("perfcore: ")]
    # nox exits 1 for any failed session; perfcore's own status is in its message.
    failed = re.search(r"Command perfcore run .*failed with exit code (\d+)", text)
    code = int(failed.group(1)) if failed else done.returncode
    return code, time.monotonic() - started, lines[-1] if lines else "(no verdict line)"


def _hog(seconds: float) -> subprocess.Popen[bytes]:
    return subprocess.Popen([sys.executable, "-c", HOG.format(seconds=seconds)])


def main(argv: list[str] | None = None) -> int:
    """Clone, build the environment once, time ``--runs`` main jobs; print the table."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=5, choices=range(1, 11), metavar="1..10")
    parser.add_argument("--quick", action="store_true", help="nox -s bench -- --quick")
    parser.add_argument("--hog", action="store_true", help="a one-core busy loop beside each run")
    parser.add_argument("--hog-seconds", type=float, default=900.0)
    parser.add_argument("--keep", type=Path, default=None, help="clone here (kept) instead")
    args = parser.parse_args(argv)
    clone = args.keep or Path(tempfile.mkdtemp(prefix="perfcore-clone-")) / "perfcore"
    subprocess.run(["git", "clone", "-q", str(ROOT), str(clone)], check=True)
    started = time.monotonic()
    subprocess.run(
        [sys.executable, "-m", "nox", "-s", "bench", "--install-only"],
        cwd=clone,
        check=True,
        capture_output=True,
    )
    print(f"environment built in {time.monotonic() - started:.0f} s ({clone})")
    extra = ("--", "--quick") if args.quick else ()
    print("| run | hog | exit | wall s | verdict line |\n|---|---|---|---|---|")
    for i in range(1, args.runs + 1):
        hog = _hog(args.hog_seconds) if args.hog else None
        try:
            code, wall, line = _nox(clone, *extra, timeout=RUN_LIMIT_S)
        finally:
            if hog is not None:
                hog.terminate()
                hog.wait(timeout=10)
        print(f"| {i} | {'yes' if hog else 'no'} | {code} | {wall:.0f} | {line} |", flush=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
