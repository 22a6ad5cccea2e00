"""A temporary git worktree of a reference commit, removed whatever happens."""

from __future__ import annotations

import shutil
import subprocess
import tempfile
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from perfcore._procs import uninterrupted
from perfcore.errors import InputError

__all__ = ["RefTree", "Runner", "git", "ref_worktree"]

Runner = Callable[..., "subprocess.CompletedProcess[str]"]


@dataclass(frozen=True)
class RefTree:
    """The repository's top, REF's worktree in ``scratch``, and the scratch folder."""

    top: Path
    tree: Path
    scratch: Path


def git(args: Sequence[str], cwd: Path, runner: Runner) -> str:
    """``git args`` in ``cwd``; its output, or InputError with git's last line."""
    done = runner(["git", *args], cwd=cwd, capture_output=True, text=True, check=False, timeout=120)
    if done.returncode != 0:
        message = (done.stderr or done.stdout).strip().splitlines()
        raise InputError(f"git {' '.join(args)}: {message[-1] if message else 'failed'}")
    return str(done.stdout).strip()


@contextmanager
def ref_worktree(root: Path, ref: str, runner: Runner = subprocess.run) -> Iterator[RefTree]:
    """A detached worktree of ``ref`` in a fresh scratch folder, for the ``with`` block."""
    top = Path(git(["rev-parse", "--show-toplevel"], root, runner))
    commit = git(["rev-parse", "--verify", f"{ref}^{{commit}}"], top, runner)
    scratch = Path(tempfile.mkdtemp(prefix="perfcore-ab-"))
    tree = scratch / "ref"
    try:
        git(["worktree", "add", "--detach", str(tree), commit], top, runner)
        yield RefTree(top, tree, scratch)
    finally:
        # Held signals: a second Ctrl-C or SIGTERM must not leave REF's worktree registered.
        with uninterrupted():
            for cleanup in (["worktree", "remove", "--force", str(tree)], ["worktree", "prune"]):
                runner(
                    ["git", *cleanup],
                    cwd=top,
                    capture_output=True,
                    text=True,
                    check=False,
                    timeout=60,
                )
            shutil.rmtree(scratch, ignore_errors=True)
