"""ResourceMonitor: samples in the background, stops cleanly, alerts with hold and cooldown."""

from __future__ import annotations

import logging
import threading
import time

import pytest

from perfcore.instrument import Alert, AlertRule, ResourceMonitor
from perfcore.instrument import monitor as monitor_module


class FakeClock:
    """A clock the test moves by hand."""

    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


def test_samples_in_background_and_stops_cleanly() -> None:
    """A 10 Hz monitor collects samples, then its thread ends on exit of the block."""
    with ResourceMonitor(0.01, gpu=False) as monitor:
        deadline = time.monotonic() + 10
        while len(monitor.samples()) < 5 and time.monotonic() < deadline:
            time.sleep(0.01)
    assert len(monitor.samples()) >= 5
    assert not [t for t in threading.enumerate() if t.name == "perfcore-monitor"]
    summary = monitor.summary()
    assert summary.metrics["rss_bytes"].peak > 0
    assert summary.sampler_cpu_s > 0
    assert "gpu_util_percent" not in summary.metrics
    count = len(monitor.samples())
    time.sleep(0.05)
    assert len(monitor.samples()) == count  # stopped means stopped


def test_buffer_is_bounded() -> None:
    """Only the newest max_samples samples are kept."""
    monitor = ResourceMonitor(1.0, max_samples=3, gpu=False)
    for _ in range(5):
        monitor.sample()
    assert len(monitor.samples()) == 3


def _alerting_monitor(rule: AlertRule) -> tuple[ResourceMonitor, FakeClock, list[Alert]]:
    clock = FakeClock()
    received: list[Alert] = []
    monitor = ResourceMonitor(
        1.0, rules=[rule], callbacks=[received.append], gpu=False, clock=clock
    )
    return monitor, clock, received


def test_alert_fires_after_hold_and_respects_cooldown(caplog: pytest.LogCaptureFixture) -> None:
    """An RSS rule fires after N samples past the threshold, then waits out its cooldown."""
    rule = AlertRule("rss_bytes", threshold=1.0, for_samples=3, cooldown_s=10.0)
    monitor, clock, received = _alerting_monitor(rule)
    with caplog.at_level(logging.WARNING, logger=monitor_module.__name__):
        for _ in range(2):
            clock.now += 1
            monitor.sample()
        assert received == []
        for _ in range(5):  # third sample fires; the rest are inside the cooldown
            clock.now += 1
            monitor.sample()
        assert len(received) == 1
        clock.now += 10
        monitor.sample()
    assert len(received) == 2 == len(monitor.alerts())
    assert "resource alert: rss_bytes" in caplog.text


def test_streak_resets_when_metric_recovers() -> None:
    """A 'below' rule that is not breached never fires."""
    rule = AlertRule("rss_bytes", threshold=1.0, above=False, for_samples=1, cooldown_s=0)
    monitor, clock, received = _alerting_monitor(rule)
    for _ in range(3):
        clock.now += 1
        monitor.sample()
    assert received == []


def test_broken_callback_does_not_stop_sampling() -> None:
    """A callback that raises is logged; sampling and other callbacks go on."""
    rule = AlertRule("rss_bytes", threshold=1.0, for_samples=1, cooldown_s=0)
    monitor, clock, received = _alerting_monitor(rule)

    def broken(alert: Alert) -> None:
        raise RuntimeError("callback bug")

    monitor.add_callback(broken)
    clock.now += 1
    monitor.sample()
    assert len(received) == 1


def test_unknown_metric_is_rejected() -> None:
    """A rule on a metric the monitor does not sample is an error."""
    with pytest.raises(ValueError, match="unknown metric"):
        AlertRule("temperature", 1.0)
