"""Fixtures for the report tests."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from report_fixtures import make_data

from perfcore.report import ReportData


@pytest.fixture
def report_data() -> ReportData:
    """The standard full report (failing gate)."""
    return make_data()


@pytest.fixture
def data_factory() -> Callable[..., ReportData]:
    """Build a report with options (``n_extra``, ``history_runs``, ``passed``)."""
    return make_data
