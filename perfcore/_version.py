"""perfcore's version, from the installed package's metadata (pyproject.toml is its source).

``importlib.metadata`` scans every distribution on the path and loads the ``email``
package to parse one header; ``perfcore --version`` only needs one line of one
file, so the ``perfcore-*.dist-info/METADATA`` on ``sys.path`` is read directly
(the same first-on-the-path distribution importlib.metadata would find), and
importlib.metadata is the fallback where that file is not found.
"""

from __future__ import annotations

import os
import sys
from functools import cache

__all__ = ["package_version"]

_PREFIX = "perfcore-"
_SUFFIX = ".dist-info"


def _from_dist_info() -> str | None:
    """``Version:`` of the first ``perfcore-*.dist-info`` on ``sys.path``, or None."""
    for entry in sys.path:
        try:
            names = os.listdir(entry or ".")
        except OSError:
            continue
        for name in sorted(names):
            if not (name.startswith(_PREFIX) and name.endswith(_SUFFIX)):
                continue
            try:
                with open(os.path.join(entry, name, "METADATA"), encoding="utf-8") as meta:
                    for line in meta:
                        if line.startswith("Version:"):
                            return line.partition(":")[2].strip()
                        if not line.strip():
                            break  # the headers end at the first blank line
            except OSError:
                continue
    return None


@cache
def package_version() -> str:
    """The installed distribution's version; ``0+unknown`` when run from an uninstalled tree."""
    found = _from_dist_info()
    if found:
        return found
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version("perfcore")
    except PackageNotFoundError:
        return "0+unknown"
