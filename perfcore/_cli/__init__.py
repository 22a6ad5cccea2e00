"""Subcommand modules of the ``perfcore`` command; each exposes ``register(subparsers)``.

A module registers one or more subcommands with ``set_defaults(handler=...)``;
handlers take the namespace, build typed settings, call the public API and
return an exit status. Keep them thin.
"""
