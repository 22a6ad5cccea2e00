"""``perfcore audit verify PATH``: check a training audit log for tampering."""

from __future__ import annotations

import argparse
from pathlib import Path

from perfcore._cli._options import add_actions

DESCRIPTION = (
    "Verify an append-only training audit log against its hash chain, "
    "Merkle root and the root's HMAC signature. Exit 0: intact; 1: tampered; "
    "2: unreadable."
)


def configure(parser: argparse.ArgumentParser) -> None:
    """The options of the ``audit`` command and its ``verify`` action."""
    actions = add_actions(parser)
    verify = actions.add_parser(
        "verify",
        help="detect edited, removed, reordered or forged lines",
        description="Without a key only internal consistency can be checked: whoever can "
        "edit the log can also recompute its chain and root. The key is found as in "
        "'perfcore train --enable-audit': --key-file, $PERFCORE_AUDIT_KEY, "
        "$PERFCORE_AUDIT_KEY_FILE, then ~/.config/perfcore/audit.key.",
    )
    verify.add_argument("path", type=Path, help="the audit log (JSON lines)")
    verify.add_argument(
        "--key-file", type=Path, default=None, help="the key that signed the log's root (mode 0600)"
    )
    verify.set_defaults(handler=_verify)


def _verify(args: argparse.Namespace) -> int:
    from perfcore.training.audit import verify_audit_log
    from perfcore.training.audit_key import ENV_KEY, load_key

    key = load_key(args.key_file)
    outcome = verify_audit_log(args.path, key)
    if outcome.intact and key is not None:
        print(
            f"{outcome.path}: intact and signed, {outcome.entries} entries, Merkle root "
            f"{outcome.root}, signature verified with key {key.key_id} ({key.source})"
        )
        return 0
    if outcome.intact:
        print(
            f"{outcome.path}: internally consistent, {outcome.entries} entries, Merkle root "
            f"{outcome.root}; signature NOT checked (no key: pass --key-file or set "
            f"{ENV_KEY}), so a rewritten log would also pass"
        )
        return 0
    print(f"{outcome.path}: TAMPERED ({len(outcome.problems)} problem(s))")
    for problem in outcome.problems:
        print(f"  - {problem}")
    return 1
