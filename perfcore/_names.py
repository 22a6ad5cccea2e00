"""Names that become one path component: machine ids, commit tags, model types, cohorts.

Every name read from a file, a flag or a request that perfcore joins onto a
directory passes :func:`safe_name` first. The allowed set is deliberately small
(ASCII letters, digits, ``_``, ``.``, ``-``, starting with a letter, digit or
``_``), so ``.``, ``..``, hidden names, separators, NUL, newlines and names the
file system cannot hold never reach ``Path.__truediv__``.
"""

from __future__ import annotations

import re

from perfcore.errors import InputError, PerfcoreError

__all__ = ["MAX_NAME", "commit_tag", "is_safe_name", "safe_name"]

MAX_NAME = 128
# A whole safe name (fullmatch): starting with a letter, digit or '_' rules out '.',
# '..', '.hidden' and '-flag'.
_SAFE_NAME = re.compile(rf"[A-Za-z0-9_][A-Za-z0-9_.-]{{0,{MAX_NAME - 1}}}")
_HEX = re.compile(r"[0-9a-f]{7,64}")


def is_safe_name(name: object) -> bool:
    """Whether ``name`` may be used as one path component under a perfcore store."""
    return isinstance(name, str) and _SAFE_NAME.fullmatch(name) is not None


def safe_name(name: object, what: str, error: type[PerfcoreError] = InputError) -> str:
    """``name`` unchanged if it is a safe path component, else ``error`` naming ``what``."""
    if is_safe_name(name):
        return str(name)
    shown = repr(name) if not isinstance(name, str) or len(name) <= 40 else repr(name[:40] + "…")
    raise error(
        f"{what} {shown} cannot name a file or folder: use 1-{MAX_NAME} letters, "
        "digits, '_', '.' or '-', not starting with '.' or '-'"
    )


def commit_tag(commit_id: str, length: int) -> str:
    """The first ``length`` characters of a hex commit id (lower-cased), else ``nocommit``."""
    commit_id = commit_id.lower()
    return commit_id[:length] if _HEX.fullmatch(commit_id) else "nocommit"
