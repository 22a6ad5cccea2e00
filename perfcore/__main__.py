"""``python -m perfcore``: the same as the ``perfcore`` console command."""

from perfcore.cli import main

raise SystemExit(main())
