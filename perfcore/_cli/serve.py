"""``perfcore serve``: run the local inference server (or the cloud simulator) in the foreground."""

from __future__ import annotations

import argparse
from pathlib import Path

from perfcore._cli._flags import float_in, int_in
from perfcore.serving.limits import MAX_BATCH_ROWS, MAX_BATCH_WAIT_MS


def register(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Add the ``serve`` subcommand."""
    p = subparsers.add_parser("serve", help="serve the promoted model over HTTP",
                              description="POST /predict, GET /health, GET /metrics.")
    p.add_argument("--host", default="127.0.0.1", help="bind address (default 127.0.0.1)")
    p.add_argument("--port", type=int_in(0, 65535), default=8000,
                   help="port to bind (default 8000; 0: a free one)")
    p.add_argument("--cloud", action="store_true", help="serve the simulated cloud endpoint")
    p.add_argument("--model-dir", default="models/current")
    p.add_argument("--synthetic-model", action="store_true",
                   help="serve a small synthetic logistic model")
    p.add_argument("--batch-rows", type=int_in(0, MAX_BATCH_ROWS), default=0,
                   help="micro-batch up to N rows (0: off)")
    p.add_argument("--batch-wait-ms", type=float_in(0, MAX_BATCH_WAIT_MS, unit="ms"),
                   default=1.0)
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
    if not args.synthetic_model:
        ensure_model(Path(args.model_dir))
    spec = ServerSpec(kind="cloud" if args.cloud else "local",
                      model_dir=None if args.synthetic_model else args.model_dir,
                      config=config, host=args.host, port=args.port)
    run_server(spec, announce=lambda port: print(
        f"serving {spec.kind} on http://{args.host}:{port} (Ctrl-C to stop)", flush=True))
    return 0
