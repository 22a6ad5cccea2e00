"""The open-loop generator: its schedule, rate, coordinated-omission correction and bounds."""

import asyncio
import itertools
import socket

import numpy as np
import pytest

from perfcore.errors import ConfigError
from perfcore.load.limits import MAX_RATE, QUEUE_BOUND
from perfcore.load.openloop import OpenLoopConfig, _Generator, arrival_offsets, run_open_loop
from perfcore.serving.app import ServerConfig
from perfcore.serving.process import start_server
from perfcore.serving.server import ServerSpec

BODY = (b'{"features": [' + b", ".join([b"0.5"] * 16) + b"]}",)


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    with start_server(ServerSpec(model_dir=None, port=0), tmp_path_factory.mktemp("logs")) as proc:
        yield proc


def test_constant_arrivals_are_evenly_spaced() -> None:
    """Constant arrivals at 100/s are due every 10 ms from zero."""
    offsets = list(itertools.islice(arrival_offsets(100, "constant", np.random.default_rng(0)), 4))
    assert offsets == pytest.approx([0.0, 0.01, 0.02, 0.03])


def test_poisson_arrivals_have_the_target_mean_rate() -> None:
    """Poisson arrivals at 1,000/s average 1,000 per second (seeded)."""
    gen = arrival_offsets(1000, "poisson", np.random.default_rng(1))
    offsets = list(itertools.islice(gen, 20_000))
    assert 20_000 / offsets[-1] == pytest.approx(1000, rel=0.03)


def test_bad_rate_is_a_config_error() -> None:
    """A non-positive rate is refused before any request is sent."""
    with pytest.raises(ConfigError):
        OpenLoopConfig(url="http://127.0.0.1:1/predict", bodies=BODY, rate=0)


def test_open_loop_sends_every_scheduled_request(server) -> None:
    """At a modest rate every scheduled request is sent and answered, timed both ways."""
    report = run_open_loop(
        OpenLoopConfig(
            url=f"{server.url}/predict", bodies=BODY, rate=400, duration_s=1.0, connections=8
        )
    )
    assert report.scheduled == 400
    assert report.ok == report.sent == 400
    assert report.corrected.get_total_count() == report.uncorrected.get_total_count() == 400
    assert not report.errors


def test_max_requests_bounds_a_closed_loop_run(server) -> None:
    """A closed-loop run stops at the request bound long before its duration."""
    report = run_open_loop(
        OpenLoopConfig(
            url=f"{server.url}/predict",
            bodies=BODY,
            rate=None,
            duration_s=30.0,
            max_requests=300,
            connections=4,
        )
    )
    assert 300 <= report.sent <= 304
    assert report.elapsed_s < 30


def test_stall_shows_in_corrected_not_uncorrected_latency(tmp_path) -> None:
    """A 0.5 s server stall: many corrected latencies exceed 0.3 s, only a few uncorrected."""
    spec = ServerSpec(model_dir=None, port=0, config=ServerConfig(stall_at_s=0.4, stall_for_s=0.5))
    with start_server(spec, tmp_path) as proc:
        report = run_open_loop(
            OpenLoopConfig(
                url=f"{proc.url}/predict", bodies=BODY, rate=200, duration_s=1.5, connections=4
            )
        )
    slow = 300_000  # µs
    corrected_slow = sum(1 for v in _values(report.corrected) if v >= slow)
    uncorrected_slow = sum(1 for v in _values(report.uncorrected) if v >= slow)
    assert corrected_slow >= 40  # ~100 arrivals fall in the stall
    assert uncorrected_slow <= 4  # only the requests in flight when it began


def _values(hist):
    for item in hist.get_recorded_iterator():
        yield from [item.value_iterated_to] * item.count_at_value_iterated_to


def test_dead_server_counts_errors_and_stops(tmp_path) -> None:
    """Against a port with no server, every request is an error and the run still ends."""
    with start_server(ServerSpec(model_dir=None, port=0), tmp_path) as proc:
        url = f"{proc.url}/predict"
    report = run_open_loop(
        OpenLoopConfig(url=url, bodies=BODY, rate=200, duration_s=0.5, connections=4, timeout_s=1.0)
    )
    assert report.ok == 0
    assert sum(report.errors.values()) == report.scheduled == 100


def test_nan_and_absurd_rates_are_config_errors() -> None:
    """NaN, infinite and beyond-the-generator rates are refused before anything is sent."""
    for rate in (float("nan"), float("inf"), MAX_RATE * 10):
        with pytest.raises(ConfigError):
            OpenLoopConfig(url="http://127.0.0.1:1/predict", bodies=BODY, rate=rate)


def test_dispatcher_queue_stays_bounded_far_behind_schedule() -> None:
    """Every arrival already due: the dispatcher queues QUEUE_BOUND of them, then waits."""
    cfg = OpenLoopConfig(
        url="http://127.0.0.1:1/predict",
        bodies=BODY,
        rate=MAX_RATE,
        duration_s=60,
        max_requests=3 * QUEUE_BOUND,
        connections=1,
    )

    async def go() -> tuple[int, bool]:
        gen = _Generator(cfg, clock=lambda: 10**18)  # far past every scheduled instant
        task = asyncio.create_task(gen.dispatch())
        await asyncio.sleep(0.5)
        size, done = gen.queue.qsize(), task.done()
        task.cancel()
        return size, done

    size, done = asyncio.run(go())
    assert size == QUEUE_BOUND
    assert not done


@pytest.mark.slow
def test_hard_limit_stops_a_run_whose_server_never_answers() -> None:
    """A server that accepts and never answers: the run ends by its hard limit, and every
    arrival of the schedule is counted, the unsent ones as not_sent."""
    with socket.socket() as silent:
        silent.bind(("127.0.0.1", 0))
        silent.listen(16)
        url = f"http://127.0.0.1:{silent.getsockname()[1]}/predict"
        report = run_open_loop(
            OpenLoopConfig(
                url=url, bodies=BODY, rate=MAX_RATE, duration_s=0.5, connections=2, timeout_s=0.3
            )
        )
    assert report.ok == 0
    assert report.scheduled == int(MAX_RATE * 0.5)
    assert report.errors["not_sent"] > report.scheduled // 2
    assert report.elapsed_s < 30
