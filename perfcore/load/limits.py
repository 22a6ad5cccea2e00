"""The bounds of a load run, shared by the settings' checks and the command-line flags.

Kept free of heavy imports so that building the ``perfcore`` parser stays cheap.
"""

from __future__ import annotations

__all__ = [
    "MAX_CONNECTIONS",
    "MAX_DURATION_S",
    "MAX_PROCESSES",
    "MAX_RATE",
    "MAX_REQUESTS",
    "MAX_USERS",
    "QUEUE_BOUND",
    "TARGETS",
]

TARGETS = ("local", "cloud", "cloud-cache")

# One generator process sends a request in tens of microseconds, so it cannot offer much
# beyond this; a larger rate is a typo (or ``inf``), not a load point.
MAX_RATE = 100_000.0
MAX_DURATION_S = 3600.0
MAX_CONNECTIONS = 1024  # each is a socket: stay well inside the usual 1,024-4,096 fd limit
MAX_USERS = 10_000
MAX_PROCESSES = 64
MAX_REQUESTS = 1 << 40
# Arrivals waiting for a free connection. When it is full the dispatcher waits, so memory
# stays bounded at any rate; each waiting arrival keeps its scheduled instant, so the
# wait still counts in the corrected latency.
QUEUE_BOUND = 65_536
