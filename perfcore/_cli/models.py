"""``perfcore models list|show|rollback``: the shared versioned model store."""

from __future__ import annotations

import argparse
import time
from pathlib import Path
from typing import TYPE_CHECKING

from perfcore._cli._options import add_actions

if TYPE_CHECKING:
    from perfcore.retraining import ModelStore


def add_store_flag(p: argparse.ArgumentParser | argparse._ArgumentGroup) -> None:
    """The one flag naming the model store (train, serve, load, models, retrain)."""
    p.add_argument(
        "--model-store",
        type=Path,
        default=None,
        metavar="DIR",
        help="the versioned model store (default: [tool.perfcore] model_store, 'models')",
    )


def open_store(flag: Path | None) -> ModelStore:
    """The model store, with retention from [tool.perfcore.retraining]."""
    from perfcore.config import load_settings
    from perfcore.retraining import ModelStore, RetrainingSettings

    settings = load_settings()
    root = flag if flag is not None else settings.resolve(settings.model_store)
    return ModelStore(root, RetrainingSettings.from_mapping(settings.retraining))


DESCRIPTION = (
    "The versioned model store shared by train, serve, "
    "load and retrain; servers follow its 'current' pointer."
)


def configure(p: argparse.ArgumentParser) -> None:
    """The options of ``models`` with its list, show and rollback actions."""
    actions = add_actions(p)
    listing = actions.add_parser("list", help="every stored version, current marked")
    show = actions.add_parser("show", help="one version's metadata")
    show.add_argument("version", metavar="VERSION")
    rollback = actions.add_parser("rollback", help="make VERSION current again")
    rollback.add_argument("version", metavar="VERSION")
    for sub, handler in ((listing, _list), (show, _show), (rollback, _rollback)):
        add_store_flag(sub)
        sub.set_defaults(handler=handler)


def _store(args: argparse.Namespace) -> ModelStore:
    return open_store(args.model_store)


def _list(args: argparse.Namespace) -> int:
    store = _store(args)
    current = store.current()
    versions = store.versions()
    if not versions:
        print(f"no versions in {store.root}")
        return 0
    print(f"{'':2}{'version':<10} {'model':<18} {'accuracy':>8}  {'stored (UTC)':<17} note")
    for v in versions:
        accuracy = (v.metadata.get("metrics") or {}).get("accuracy")
        acc = f"{accuracy:.4f}" if isinstance(accuracy, int | float) else "-"
        stored = time.strftime("%Y-%m-%d %H:%M", time.gmtime(v.stored))
        mark = "* " if v.version == current else "  "
        print(
            f"{mark}{v.version:<10} {v.metadata.get('model_type', '-')!s:<18} {acc:>8}  "
            f"{stored:<17} {v.metadata.get('note', '')}"
        )
    return 0


def _show(args: argparse.Namespace) -> int:
    stored = _store(args).get(args.version)
    import json

    print(
        json.dumps(
            {"version": stored.version, "path": str(stored.path), **stored.metadata},
            indent=2,
            default=str,
        )
    )
    return 0


def _rollback(args: argparse.Namespace) -> int:
    store = _store(args)
    previous = store.current()
    store.rollback(args.version, reason="perfcore models rollback")
    print(f"current: {previous or '-'} -> {args.version} ({store.current_path})")
    return 0
