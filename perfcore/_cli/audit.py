"""``perfcore audit verify PATH``: check a training audit log for tampering."""

from __future__ import annotations

import argparse
from pathlib import Path


def register(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Add the ``audit`` command and its ``verify`` action."""
    parser = subparsers.add_parser(
        "audit", help="verify a training audit log",
        description="Verify an append-only training audit log against its hash chain and "
        "Merkle root. Exit 0: intact; 1: tampered; 2: unreadable.")
    actions = parser.add_subparsers(dest="action", metavar="ACTION", required=True)
    verify = actions.add_parser("verify", help="detect edited, removed or reordered lines")
    verify.add_argument("path", type=Path, help="the audit log (JSON lines)")
    verify.set_defaults(handler=_verify)


def _verify(args: argparse.Namespace) -> int:
    from perfcore.training.audit import verify_audit_log

    outcome = verify_audit_log(args.path)
    if outcome.intact:
        print(f"{outcome.path}: intact, {outcome.entries} entries, Merkle root {outcome.root}")
        return 0
    print(f"{outcome.path}: TAMPERED ({len(outcome.problems)} problem(s))")
    for problem in outcome.problems:
        print(f"  - {problem}")
    return 1
