"""A pytest plugin (entry point ``perfcore``): how busy the machine was during each benchmark.

Installed with perfcore, it wraps every test that uses pytest-benchmark's ``benchmark``
fixture in a :class:`~perfcore.instrument.disturbance.DisturbanceProbe` and stores the
reading in the benchmark's ``extra_info["perfcore_disturbance"]``, so any saved run or
``--benchmark-json`` file says how much CPU other processes used while it was timed.
perfcore's readers carry it into ``Result.extra["disturbance"]`` and the judge uses it.
``-p no:perfcore`` turns it off.
"""

from __future__ import annotations

from collections.abc import Generator
from typing import Any

import pytest

EXTRA_KEY = "perfcore_disturbance"


@pytest.hookimpl(wrapper=True)
def pytest_runtest_call(item: pytest.Item) -> Generator[None, Any, Any]:
    """Probe the machine around a benchmark test and record the reading."""
    fixture = getattr(item, "funcargs", {}).get("benchmark")
    if fixture is None or not isinstance(getattr(fixture, "extra_info", None), dict):
        return (yield)
    from perfcore.instrument.disturbance import DisturbanceProbe

    probe = DisturbanceProbe()
    probe.start()
    try:
        return (yield)
    finally:
        fixture.extra_info[EXTRA_KEY] = probe.stop().to_dict()
