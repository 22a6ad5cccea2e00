"""The bounds of a server's options, shared by its config checks and the command-line flags.

Kept free of heavy imports so that building the ``perfcore`` parser stays cheap.
"""

from __future__ import annotations

__all__ = ["BODY_TIMEOUT_S", "MAX_BATCH_ROWS", "MAX_BATCH_WAIT_MS", "SHUTDOWN_TIMEOUT_S"]

MAX_BATCH_ROWS = 1024  # the default max_batch: one micro-batch is at most one full request
MAX_BATCH_WAIT_MS = 1000.0  # a batch that waits longer than a second is a mistake
# A client that sends headers and then stalls its body is answered 408 after this long.
BODY_TIMEOUT_S = 10.0
# On SIGTERM, requests still in progress get this long before they are cancelled, so a
# client holding a half-sent request cannot keep the server alive. Longer than the body
# timeout: a stalled upload then ends with its 408, not a cancelled task's traceback.
SHUTDOWN_TIMEOUT_S = 15
