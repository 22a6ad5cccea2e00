"""A pytest plugin for :func:`perfcore.runner.coverage_map.record_map`: a context per test."""

from __future__ import annotations

import pytest


@pytest.hookimpl(tryfirst=True)
def pytest_runtest_setup(item: pytest.Item) -> None:
    """Record what this test executes (its setup included) under its node id."""
    import coverage

    current = coverage.Coverage.current()
    if current is not None:
        current.switch_context(item.nodeid)


@pytest.hookimpl(trylast=True)
def pytest_runtest_teardown(item: pytest.Item) -> None:
    """Stop attributing lines to the test once it is done."""
    import coverage

    del item
    current = coverage.Coverage.current()
    if current is not None:
        current.switch_context("")
