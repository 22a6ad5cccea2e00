"""Start-up stays light: ``perfcore --help``/``--version`` and ``import perfcore`` load no
numpy or psutil (the time it saves is measured in docs/development.md, not asserted)."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

HEAVY = ("numpy", "psutil", "scipy", "sklearn", "jinja2", "matplotlib", "asyncio")

_PROBE = """
import json, sys
argv = {argv!r}
if argv is None:
    import perfcore
else:
    from perfcore.cli import main
    try:
        main(argv)
    except SystemExit:
        pass
print(json.dumps(sorted(m for m in {heavy!r} if m in sys.modules)), file=sys.stderr)
"""


def _heavy_loaded(argv: list[str] | None) -> list[str]:
    code = _PROBE.format(argv=argv, heavy=HEAVY)
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    loaded: list[str] = json.loads(done.stderr.strip().splitlines()[-1])
    return loaded


@pytest.mark.parametrize(
    "argv",
    [["--help"], ["--version"], ["gate", "--help"], None],
    ids=["help", "version", "gate-help", "import"],
)
def test_start_up_loads_no_heavy_module(argv: list[str] | None) -> None:
    """Printing help or the version, or importing the package, loads no heavy library."""
    assert _heavy_loaded(argv) == []


def test_the_probe_sees_a_heavy_import() -> None:
    """The check can fail: a command that judges loads numpy, and the probe says so."""
    assert "numpy" in _heavy_loaded(["compare", "/nonexistent-a", "/nonexistent-b"])
