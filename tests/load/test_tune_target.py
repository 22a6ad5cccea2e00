"""perfcore tune's load target: worker processes on one loopback port, one bounded step."""

from perfcore.load.tune import ServerTarget, StepSettings
from perfcore.optimisation.alertmanager import AlertManager
from perfcore.optimisation.alerts import ThresholdRule
from perfcore.optimisation.profiles import ServerSettings


def test_two_workers_answer_a_step_and_stop(tmp_path) -> None:
    """Two int8 workers share one 127.0.0.1 port, a short step completes, close stops both."""
    alerts = AlertManager([ThresholdRule("slow", "load.p99_s", 1e-9)], [])
    with ServerTarget(
        None, tmp_path, StepSettings(duration_s=0.5, connections=4), alerts=alerts
    ) as target:
        target.apply(ServerSettings(workers=2, precision="int8"))
        procs = list(target._procs)
        assert len(procs) == 2
        assert procs[0].url.startswith("http://127.0.0.1:")
        step = target.run(100.0)
    assert step.errors == 0
    assert step.requests >= 45
    assert step.p99_s is not None
    assert alerts.summary()["fired"]["slow"] == 1
    assert not any(p.alive() for p in procs)
