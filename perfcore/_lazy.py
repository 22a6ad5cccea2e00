"""Lazy public names for a package (PEP 562): imported from their module on first use.

``perfcore --help`` must not pay for numpy, psutil or scikit-learn, yet the packages
re-export names from modules that need them; a package's ``__getattr__`` built here
imports such a name's module only when the name is first read.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable, Mapping
from typing import Any

__all__ = ["lazy_attributes"]


def lazy_attributes(
    package: str, names: Mapping[str, str], namespace: dict[str, Any]
) -> Callable[[str], Any]:
    """A module ``__getattr__`` for ``package``: ``names`` maps a public name to the
    module defining it; a resolved name is cached in ``namespace`` (the package's
    globals), so it is looked up once."""

    def attribute(name: str) -> Any:
        module = names.get(name)
        if module is None:
            raise AttributeError(f"module {package!r} has no attribute {name!r}")
        value = getattr(importlib.import_module(module), name)
        namespace[name] = value
        return value

    return attribute
