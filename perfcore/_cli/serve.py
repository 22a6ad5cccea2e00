"""``perfcore serve``: run the local inference server (or the cloud simulator) in the foreground."""

from __future__ import annotations

import argparse
from pathlib import Path

from perfcore._cli import _optimise
from perfcore._cli._flags import int_in
from perfcore._cli._options import add_batching_options, named
from perfcore._cli.models import add_store_flag, open_store

DESCRIPTION = "POST /predict, GET /health, GET /metrics."


def configure(p: argparse.ArgumentParser) -> None:
    """The options of the ``serve`` subcommand."""
    p.add_argument("--host", default="127.0.0.1", help="bind address (default 127.0.0.1)")
    p.add_argument(
        "--port",
        type=int_in(0, 65535),
        default=8000,
        help="port to bind (default 8000; 0: a free one)",
    )
    p.add_argument("--cloud", action="store_true", help="serve the simulated cloud endpoint")
    add_store_flag(p)
    p.add_argument("--model-dir", default=None, help=argparse.SUPPRESS)  # older spelling
    p.add_argument(
        "--reload-ms",
        type=int,
        default=500,
        help="check the store's current model this often (0: never; default 500)",
    )
    p.add_argument(
        "--synthetic-model", action="store_true", help="serve a small synthetic logistic model"
    )
    add_batching_options(p)
    _optimise.add_arguments(p)
    p.set_defaults(handler=_run)


def _run(args: argparse.Namespace) -> int:
    from perfcore.errors import ConfigError
    from perfcore.serving.app import ServerConfig
    from perfcore.serving.model import ensure_model
    from perfcore.serving.server import ServerSpec, run_server

    try:
        config = ServerConfig(batch_rows=args.batch_rows, batch_wait_ms=args.batch_wait_ms)
    except ValueError as exc:
        raise ConfigError(str(exc)) from None
    if args.reload_ms < 0:
        raise ConfigError(f"--reload-ms must be >= 0, got {args.reload_ms}")
    model_dir: str | None = None
    if args.model_dir and not args.synthetic_model:
        ensure_model(Path(args.model_dir))
        model_dir = args.model_dir
    elif not args.synthetic_model:
        model_dir = str(_store_current(args.model_store))
    args.model_dir = model_dir  # the precision gate judges the model that will be served
    choice = _optimise.choose(args, config)  # a variant refused by the gate stops here (exit 2)
    spec = ServerSpec(
        kind="cloud" if args.cloud else "local",
        model_dir=model_dir,
        config=choice.config,
        precision=choice.precision,
        **named(args, "host", "port", "reload_ms"),
    )
    if choice.note:
        print(choice.note)
    if choice.workers > 1:
        print(
            f"serving {spec.kind} with {choice.workers} workers on "
            f"http://{args.host}:{args.port} (Ctrl-C to stop)",
            flush=True,
        )
        _optimise.serve_workers(spec, choice.workers, Path("reports/latest/serve"))
        return 0
    run_server(
        spec,
        announce=lambda port: print(
            f"serving {spec.kind} on http://{args.host}:{port} (Ctrl-C to stop)", flush=True
        ),
    )
    return 0


def _store_current(flag: Path | None) -> Path:
    """The store's current model, trained and published first when the store has none."""
    from perfcore.retraining.publish import ensure_current

    store = open_store(flag)
    ensure_current(store)
    return store.current_path
