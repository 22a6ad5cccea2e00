"""perfcore's version, from the installed package's metadata (pyproject.toml is its source)."""

from __future__ import annotations

from functools import cache

__all__ = ["package_version"]


@cache
def package_version() -> str:
    """The installed distribution's version; ``0+unknown`` when run from an uninstalled tree."""
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version("perfcore")
    except PackageNotFoundError:
        return "0+unknown"
