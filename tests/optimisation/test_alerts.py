"""The alert manager: rule types, cooldown, escalation, acknowledgement, suppression, channels."""

import itertools
import json
import sys
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import ClassVar

import pytest

from perfcore.instrument.monitor import ResourceMonitor
from perfcore.optimisation import (
    AlertManager,
    AlertPolicy,
    CommandChannel,
    DeliveryError,
    RateOfChangeRule,
    ThresholdRule,
    WebhookChannel,
    ZScoreRule,
)


class Clock:
    """A settable clock."""

    def __init__(self) -> None:
        self.t = 0.0

    def __call__(self) -> float:
        return self.t


class Sink:
    """A channel that records payloads, or fails while ``failing``."""

    name = "sink"

    def __init__(self, failing: bool = False) -> None:
        self.failing = failing
        self.got: list[dict] = []

    def send(self, payload: dict) -> None:
        if self.failing:
            raise DeliveryError("down")
        self.got.append(payload)


def _manager(rule, *, policy=None, escalation=()):
    clock, sink = Clock(), Sink()
    policy = policy or AlertPolicy(cooldown_s=0)
    return (
        AlertManager([rule], [sink], policy=policy, escalation_channels=escalation, clock=clock),
        clock,
        sink,
    )


def test_threshold_rule_fires_only_past_the_threshold() -> None:
    """A value above the threshold notifies; one below does not."""
    mgr, _, sink = _manager(ThresholdRule("cpu", "resource.cpu", 90))
    mgr.observe("resource.cpu", 50)
    mgr.observe("resource.cpu", 95)
    assert [p["value"] for p in sink.got] == [95]


def test_rate_of_change_rule_fires_on_a_fast_rise() -> None:
    """A rise of 100/s breaches a 10/s limit; a rise of 5/s does not."""
    mgr, clock, sink = _manager(RateOfChangeRule("rss", "rss", max_per_s=10))
    for t, v in [(0, 0), (1, 5), (2, 105)]:
        clock.t = t
        mgr.observe("rss", v)
    assert [p["value"] for p in sink.got] == [105]


def test_zscore_rule_flags_an_outlier_after_the_window_fills() -> None:
    """Noise around 10 is quiet; a value 20 sd away fires once the window is full."""
    mgr, clock, sink = _manager(ZScoreRule("lat", "p99", window_size=10, z=4))
    for i in range(12):
        clock.t = i
        mgr.observe("p99", 10 + (0.1 if i % 2 else -0.1))
    assert not sink.got
    clock.t = 12
    mgr.observe("p99", 12.0)
    assert [p["value"] for p in sink.got] == [12.0]


def test_cooldown_holds_back_repeats() -> None:
    """Within the cooldown a repeat is counted, not sent; after it, it is sent."""
    mgr, clock, sink = _manager(
        ThresholdRule("cpu", "cpu", 90), policy=AlertPolicy(cooldown_s=60, escalate_after=99)
    )
    for t in (0, 30, 61):
        clock.t = t
        mgr.observe("cpu", 95)
    assert [p["t"] for p in sink.got] == [0, 61]
    assert mgr.summary()["counts"]["cooldown"] == 1


def test_escalation_after_repeats_goes_critical_and_to_escalation_channels() -> None:
    """The third firing in a row is critical and also reaches the escalation channel."""
    pager = Sink()
    mgr, clock, sink = _manager(
        ThresholdRule("cpu", "cpu", 90),
        policy=AlertPolicy(cooldown_s=0, escalate_after=3),
        escalation=[pager],
    )
    for t in range(3):
        clock.t = t
        mgr.observe("cpu", 95)
    assert [p["severity"] for p in sink.got] == ["warning", "warning", "critical"]
    assert len(pager.got) == 1
    assert pager.got[0]["escalated"]


def test_acknowledged_alert_is_quiet_until_its_condition_clears() -> None:
    """After acknowledge, breaches are silent; after a clear, a new breach notifies again."""
    mgr, _, sink = _manager(ThresholdRule("cpu", "cpu", 90))
    mgr.observe("cpu", 95)
    mgr.acknowledge("cpu")
    mgr.observe("cpu", 96)
    mgr.observe("cpu", 97)
    assert len(sink.got) == 1
    mgr.observe("cpu", 10)
    mgr.observe("cpu", 98)
    assert [p["value"] for p in sink.got] == [95, 98]


def test_suppression_window_silences_then_lets_through() -> None:
    """Breaches inside [start, end) are suppressed and counted; later ones are sent."""
    mgr, clock, sink = _manager(ThresholdRule("cpu", "cpu", 90))
    mgr.suppress(10, 20)
    for t in (12, 19, 20):
        clock.t = t
        mgr.observe("cpu", 95)
    assert [p["t"] for p in sink.got] == [20]
    assert mgr.summary()["counts"]["suppressed"] == 2


class _Receiver(BaseHTTPRequestHandler):
    status = 200
    bodies: ClassVar[list] = []

    def do_POST(self) -> None:
        length = int(self.headers["Content-Length"])
        type(self).bodies.append(json.loads(self.rfile.read(length)))
        self.send_response(type(self).status)
        self.send_header("Content-Length", "0")
        self.end_headers()

    def log_message(self, *args) -> None:
        pass


@pytest.fixture
def receiver():
    """A local HTTP receiver on 127.0.0.1; its handler class records bodies and sets status."""
    handler = type("Handler", (_Receiver,), {"bodies": [], "status": 200})
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}/hook", handler
    server.shutdown()
    server.server_close()


def test_webhook_delivers_json_to_a_local_receiver(receiver) -> None:
    """A notification is POSTed as JSON to the webhook and counted delivered."""
    url, handler = receiver
    mgr = AlertManager([ThresholdRule("cpu", "cpu", 90)], [WebhookChannel(url)], clock=Clock())
    mgr.observe("cpu", 95)
    assert handler.bodies[0]["rule"] == "cpu"
    assert handler.bodies[0]["value"] == 95
    assert mgr.summary()["counts"]["delivered"] == 1


def test_failing_webhook_keeps_the_alert_and_retries_with_bounded_backoff(receiver) -> None:
    """A 500 keeps the alert; retries wait 1, 2, 4 s (capped at 4); it lands once the hook heals."""
    url, handler = receiver
    handler.status = 500
    clock = Clock()
    policy = AlertPolicy(cooldown_s=0, backoff_s=1, max_backoff_s=4, max_attempts=10)
    mgr = AlertManager(
        [ThresholdRule("cpu", "cpu", 90)], [WebhookChannel(url)], policy=policy, clock=clock
    )
    mgr.observe("cpu", 95)
    dues = [mgr.pending[0].due]
    for _ in range(3):
        clock.t = mgr.pending[0].due
        mgr.retry_due()
        dues.append(mgr.pending[0].due)
    assert [b - a for a, b in itertools.pairwise(dues)] == [2, 4, 4]
    handler.status = 200
    clock.t = mgr.pending[0].due
    mgr.retry_due()
    assert not mgr.pending
    assert len(handler.bodies) == 5
    assert mgr.summary()["counts"]["delivered"] == 1


def test_alert_is_dropped_to_dead_letters_after_max_attempts() -> None:
    """A channel that never recovers ends in the dead list after max_attempts, counted."""
    clock, sink = Clock(), Sink(failing=True)
    mgr = AlertManager(
        [ThresholdRule("cpu", "cpu", 90)],
        [sink],
        policy=AlertPolicy(max_attempts=2, backoff_s=1),
        clock=clock,
    )
    mgr.observe("cpu", 95)
    clock.t = 100
    mgr.retry_due()
    assert not mgr.pending
    assert len(mgr.dead) == 1
    assert mgr.summary()["counts"]["dropped"] == 1


def test_monitor_keeps_sampling_when_the_webhook_fails(receiver) -> None:
    """A ResourceMonitor feeding a manager whose webhook fails still takes every sample."""
    url, handler = receiver
    handler.status = 503
    clock = Clock()
    mgr = AlertManager(
        [ThresholdRule("rss", "resource.rss_bytes", 0)],
        [WebhookChannel(url)],
        policy=AlertPolicy(cooldown_s=0),
        clock=clock,
    )
    monitor = ResourceMonitor(gpu=False, clock=clock)
    mgr.watch(monitor)
    for t in range(1, 4):
        clock.t = t
        monitor.sample()
    assert len(monitor.samples()) == 3
    assert mgr.summary()["fired"]["rss"] == 3
    assert mgr.pending


def test_command_hook_gets_the_alert_on_stdin_without_a_shell(tmp_path) -> None:
    """The hook runs with its fixed argv; exit 0 delivers, a non-zero exit is kept for retry."""
    out = tmp_path / "got.json"
    ok = CommandChannel(
        (sys.executable, "-c", f"import sys; open({str(out)!r}, 'w').write(sys.stdin.read())")
    )
    bad = CommandChannel((sys.executable, "-c", "raise SystemExit(3)"), timeout_s=10)
    mgr = AlertManager([ThresholdRule("cpu", "cpu", 90)], [ok, bad], clock=Clock())
    mgr.observe("cpu", 95)
    assert json.loads(out.read_text())["rule"] == "cpu"
    assert len(mgr.pending) == 1
    assert mgr.pending[0].channel is bad
    assert "exit 3" in mgr.pending[0].error


def test_gate_and_load_results_feed_rules() -> None:
    """A failed gate and a slow load result each fire their rules."""
    clock, sink = Clock(), Sink()
    mgr = AlertManager(
        [ThresholdRule("gate", "gate.failed", 0.5), ThresholdRule("slow", "load.p99_s", 0.02)],
        [sink],
        clock=clock,
    )
    mgr.observe_gate(passed=True)
    mgr.observe_gate(passed=False)
    mgr.observe_load(p99_s=0.05, error_rate=0.0, throughput=100.0)
    assert [p["rule"] for p in sink.got] == ["gate", "slow"]
