"""``__version__`` is read from the installed metadata without importlib.metadata's scan."""

from __future__ import annotations

from importlib.metadata import version

from perfcore._version import _from_dist_info, package_version
from perfcore.cli import main


def test_the_dist_info_version_is_importlib_metadatas() -> None:
    """The METADATA file read directly gives the version importlib.metadata gives."""
    assert _from_dist_info() == version("perfcore")
    assert package_version() == version("perfcore")


def test_version_flag_prints_the_package_version(capsys: object) -> None:
    """``perfcore --version`` prints ``perfcore <version>`` and exits 0."""
    import pytest

    assert isinstance(capsys, pytest.CaptureFixture)
    assert main(["--version"]) == 0
    assert capsys.readouterr().out == f"perfcore {version('perfcore')}\n"
