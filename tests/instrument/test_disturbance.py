"""The disturbance probe: foreign and own CPU over a stretch, and what a load can explain."""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Callable
from typing import ClassVar

import pytest

from perfcore.instrument.disturbance import (
    INTERFERENCE_PER_CORE,
    TICK_SLACK_S,
    Disturbance,
    DisturbanceProbe,
    explainable_slowdown,
)


def _counter(values: list[float]) -> Callable[[], float]:
    it = iter(values)
    return lambda: next(it)


def _probe(
    busy: tuple[float, float],
    own: tuple[float, float],
    steal: tuple[float, float] = (0.0, 0.0),
    wall: float = 2.0,
) -> Disturbance:
    system = iter([(busy[0], steal[0]), (busy[1], steal[1])])
    probe = DisturbanceProbe(
        clock=_counter([10.0, 10.0 + wall]),
        system=lambda: next(system),
        tree=_counter(list(own)),
        cores=2,
    )
    probe.start()
    return probe.stop()


def test_foreign_is_system_busy_minus_own_tree() -> None:
    """Busy time not spent by the measured tree is foreign (beyond the counters'
    resolution), in cores over the stretch."""
    d = _probe(busy=(100.0, 103.0), own=(5.0, 7.0), wall=2.0)
    foreign = (1.0 - 2 * TICK_SLACK_S) / 2.0
    assert d.own_cores == pytest.approx(1.0)
    assert d.foreign_cores == pytest.approx(foreign)
    assert d.foreign_share == pytest.approx(foreign / 2)


def test_stray_ticks_in_a_short_stretch_are_not_load() -> None:
    """A 0.17 s benchmark with two 10 ms ticks nobody of ours spent: quiet, not 0.12 cores."""
    d = _probe(busy=(100.0, 100.19), own=(5.0, 5.17), wall=0.17)
    assert d.foreign_cores == 0.0


def test_kernel_work_is_not_foreign() -> None:
    """Interrupts and kernel threads (writeback of the work's own files) are the kernel's,
    not another process's: an fsync-heavy benchmark on an idle machine is not busy."""
    system = iter([(100.0, 0.0), (103.0, 0.0)])
    probe = DisturbanceProbe(
        clock=_counter([10.0, 12.0]),
        system=lambda: next(system),
        tree=_counter([5.0, 7.0]),
        kernel=_counter([1.0, 1.4]),
        cores=2,
    )
    probe.start()
    d = probe.stop()
    assert d.kernel_cores == pytest.approx(0.2)
    assert d.foreign_cores == pytest.approx((0.6 - 2 * TICK_SLACK_S) / 2.0)


def test_the_kernel_read_counts_kernel_threads() -> None:
    """The real kernel read is a non-decreasing count of CPU seconds."""
    from perfcore.instrument.disturbance import _kernel_seconds

    first = _kernel_seconds()
    assert 0.0 <= first <= _kernel_seconds()


def test_readings_stored_before_the_kernel_field_still_read() -> None:
    """A reading saved without ``kernel_cores`` reads back with none."""
    data = _d(1.0, 0.2).to_dict()
    del data["kernel_cores"]
    assert Disturbance.from_dict(data).kernel_cores == 0.0


def test_steal_is_reported_in_cores() -> None:
    """Steal time over the stretch becomes cores of steal."""
    d = _probe(busy=(0.0, 2.0), own=(0.0, 2.0), steal=(1.0, 1.5), wall=2.0)
    assert d.steal_cores == pytest.approx(0.25)


def test_counter_skew_never_gives_negative_foreign_load() -> None:
    """Our tree's clock running ahead of the system's 100 Hz counter clamps at zero."""
    d = _probe(busy=(0.0, 1.9), own=(0.0, 2.0), wall=2.0)
    assert d.foreign_cores == 0.0


def test_stop_before_start_is_an_error() -> None:
    """A probe read once cannot say what happened since."""
    with pytest.raises(RuntimeError):
        DisturbanceProbe().stop()


def test_a_waited_child_counts_as_own_cpu() -> None:
    """CPU burnt by a child process is ours, not foreign (a worker pool is the work)."""
    probe = DisturbanceProbe()
    probe.start()
    subprocess.run(
        [
            sys.executable,
            "-c",
            "import time\nt=time.process_time()\nwhile time.process_time()-t<0.4: pass",
        ],
        check=True,
    )
    d = probe.stop()
    assert d.own_cores * d.wall_s >= 0.35


def test_round_trip_through_a_dict() -> None:
    """The stored form reads back to the same readings."""
    d = Disturbance(
        wall_s=1.5, own_cores=1.0, foreign_cores=0.61, steal_cores=0.0, cores=2, freq_mhz=None
    )
    assert Disturbance.from_dict(d.to_dict()) == d


def _d(own: float, foreign: float, cores: int = 2) -> Disturbance:
    return Disturbance(
        wall_s=1.0,
        own_cores=own,
        foreign_cores=foreign,
        steal_cores=0.0,
        cores=cores,
        freq_mhz=None,
    )


def test_a_serial_benchmark_beside_a_one_core_hog_explains_only_interference() -> None:
    """One core left free: a 30% slowdown of serial work is beyond what the hog explains."""
    bound = explainable_slowdown(_d(1.0, 1.0), _d(1.0, 0.0))
    assert bound == pytest.approx(1.0 + INTERFERENCE_PER_CORE)
    assert bound < 1.3


def test_a_parallel_benchmark_starved_by_a_hog_is_explained() -> None:
    """Two-core work that got 1.33 cores can be 1.5 times slower from the hog alone."""
    assert explainable_slowdown(_d(1.33, 0.67), _d(1.95, 0.0)) == pytest.approx(1.95 / 1.33)


def test_saturated_parallel_work_without_a_quiet_record() -> None:
    """Without a quiet baseline, saturated parallel work may have been denied the rest."""
    assert explainable_slowdown(_d(1.33, 0.67)) == pytest.approx(2.0 / 1.33)


def test_a_quiet_machine_explains_nothing() -> None:
    """No foreign load: nothing is explainable beyond 1."""
    assert explainable_slowdown(_d(1.0, 0.0), _d(1.0, 0.0)) == pytest.approx(1.0)


def test_the_pytest_plugin_records_each_benchmark(tmp_path: pytest.TempPathFactory) -> None:
    """With perfcore installed, every pytest-benchmark result carries its disturbance."""
    import json
    from pathlib import Path

    folder = Path(str(tmp_path))
    (folder / "test_b.py").write_text(
        "def test_b(benchmark):\n    benchmark(sum, range(100))\n", encoding="utf-8"
    )
    out = folder / "out.json"
    subprocess.run(
        [
            sys.executable,
            "-m",
            "pytest",
            "-q",
            "-p",
            "no:cacheprovider",
            str(folder / "test_b.py"),
            f"--benchmark-json={out}",
            "--benchmark-max-time=0.01",
            "-o",
            "addopts=",
        ],
        check=True,
        capture_output=True,
        cwd=folder,
        timeout=120,
    )
    reading = json.loads(out.read_text())["benchmarks"][0]["extra_info"]["perfcore_disturbance"]
    assert Disturbance.from_dict(reading).cores >= 1


class _FakeProbe:
    """A probe whose readings come from a list of foreign loads."""

    loads: ClassVar[list[float]] = []

    def start(self) -> None:
        """Nothing to read."""

    def stop(self) -> Disturbance:
        """The next foreign load."""
        return _d(1.0, _FakeProbe.loads.pop(0))


def test_waiting_for_quiet_stops_when_the_load_drops() -> None:
    """Busy, busy, quiet: three windows and a quiet machine."""
    from perfcore.instrument.disturbance import wait_for_quiet

    _FakeProbe.loads = [1.0, 0.9, 0.1]
    slept: list[float] = []
    quiet, load = wait_for_quiet(0.25, 60, sleep=slept.append, probe=_FakeProbe)
    assert (quiet, load, len(slept)) == (True, 0.1, 3)


def test_waiting_for_quiet_is_bounded() -> None:
    """A machine that stays busy is given up on after the time allowed."""
    from perfcore.instrument.disturbance import wait_for_quiet

    _FakeProbe.loads = [1.0] * 100
    slept: list[float] = []
    quiet, _ = wait_for_quiet(0.25, 5, sleep=slept.append, probe=_FakeProbe)
    assert not quiet
    assert sum(slept) == 5


def test_work_time_sliced_on_a_saturated_machine_is_explained() -> None:
    """A third of a core beside 1.7 foreign cores, no quiet record: it may have wanted
    both cores, so up to 2 / 0.3 is explained."""
    assert explainable_slowdown(_d(0.3, 1.7)) == pytest.approx(2 / 0.3)


def test_one_core_beside_a_hog_without_a_record_is_starved() -> None:
    """One core got beside a one-core hog, no quiet record (a load test's first judging):
    serial or parallel cannot be told, so up to 2x is explained and it counts as starved."""
    from perfcore.instrument.disturbance import starved

    assert explainable_slowdown(_d(1.0, 1.0)) == pytest.approx(2.0)
    assert starved(_d(1.0, 1.0))
