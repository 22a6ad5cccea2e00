"""Settings from [tool.perfcore]: defaults, overrides, strictness."""

from pathlib import Path

import pytest

from perfcore.config import load_settings
from perfcore.errors import ConfigError


def _project(tmp_path: Path, body: str) -> Path:
    (tmp_path / "pyproject.toml").write_text(body)
    return tmp_path


def test_per_benchmark_threshold_most_specific_wins(tmp_path: Path) -> None:
    """The longest matching pattern decides a result's threshold."""
    root = _project(
        tmp_path,
        "[tool.perfcore]\nthreshold = 0.05\n"
        '[tool.perfcore.thresholds]\n"bench.*" = 0.1\n"bench.cache.*" = 0.2\n',
    )
    settings = load_settings(root)
    assert settings.threshold_for("bench.cache.hit") == 0.2
    assert settings.threshold_for("bench.validator") == 0.1
    assert settings.threshold_for("other") == 0.05


def test_unknown_setting_is_an_error(tmp_path: Path) -> None:
    """A misspelt key fails loudly."""
    root = _project(tmp_path, "[tool.perfcore]\nthreshhold = 0.05\n")
    with pytest.raises(ConfigError, match="threshhold"):
        load_settings(root)


def test_overrides_apply(tmp_path: Path) -> None:
    """Command-line overrides replace file values; None means 'not given'."""
    root = _project(tmp_path, "[tool.perfcore]\nalpha = 0.05\n")
    assert load_settings(root, alpha=0.001, threshold=None).alpha == 0.001


def test_positive_int_names_what_is_wrong() -> None:
    """Whole numbers of at least 1 pass; anything else is a ValueError saying why."""
    import pytest

    from perfcore.config import positive_int

    assert positive_int("3") == 3
    with pytest.raises(ValueError, match="not a whole number"):
        positive_int("x")
    with pytest.raises(ValueError, match="at least 1"):
        positive_int("0")
