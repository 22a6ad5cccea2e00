"""The alert section: an AlertManager's statistics shown in the HTML, Markdown and JSON report."""

from __future__ import annotations

import dataclasses
import json
from pathlib import Path
from typing import Any

import pytest
from report_fixtures import XSS
from test_report_cli import _write

from perfcore.cli import main
from perfcore.errors import InputError
from perfcore.optimisation import AlertManager, AlertPolicy, DeliveryError, ThresholdRule
from perfcore.report import ReportData, render_report
from perfcore.report.alerts import alerts_view


class _Channel:
    def __init__(self, name: str, failing: bool) -> None:
        self.name = name
        self.failing = failing

    def send(self, payload: dict[str, Any]) -> None:
        if self.failing:
            raise DeliveryError("down")


def _summary(rule: str = "p99-slo") -> dict[str, Any]:
    """A real manager's summary: 3 firings, the third escalated; one channel always fails."""
    manager = AlertManager(
        [ThresholdRule(rule, "load.p99", 0.02)],
        [_Channel("log", False), _Channel("webhook", True)],
        policy=AlertPolicy(cooldown_s=0, escalate_after=3),
        clock=lambda: 0.0,
    )  # still: no retry falls due
    for value in (0.05, 0.06, 0.07):
        manager.observe("load.p99", value)
    return manager.summary()


def test_rendered_report_shows_the_alert_counts(report_data: ReportData, tmp_path: Path) -> None:
    """HTML, Markdown and verdict.json carry the totals, per-rule firings and per-channel counts."""
    view = alerts_view(_summary(), "perfcore tune")
    paths = render_report(dataclasses.replace(report_data, alerts=view), tmp_path)
    html = paths.html.read_text()
    assert '<section id="alerts"' in html
    assert '<td>escalated</td><td class="num">1</td>' in html
    assert '<td>p99-slo</td><td class="num">3</td>' in html
    assert '<td>webhook</td><td class="num">0</td><td class="num">3</td>' in html
    markdown = paths.markdown.read_text()
    assert "### Alerts (perfcore tune)" in markdown
    assert "3 fired" in markdown
    assert "| webhook | 0 | 3 |" in markdown
    alerts = json.loads(paths.verdict.read_text())["alerts"]
    assert alerts["counts"]["delivered"] == 3
    assert alerts["counts"]["delivery_failed"] == 3
    assert alerts["fired"] == {"p99-slo": 3}
    assert alerts["channels"]["log"] == {"delivered": 3, "failed": 0}


def test_no_alert_section_when_no_alerts_were_evaluated(
    report_data: ReportData, tmp_path: Path
) -> None:
    """A run without an alert manager renders no alert section and no 'alerts' key."""
    paths = render_report(report_data, tmp_path)
    assert 'id="alerts"' not in paths.html.read_text()
    assert "### Alerts" not in paths.markdown.read_text()
    assert "alerts" not in json.loads(paths.verdict.read_text())


def test_rule_names_are_escaped(report_data: ReportData, tmp_path: Path) -> None:
    """A rule named like markup is shown as text in the HTML report."""
    view = alerts_view(_summary(rule=XSS))
    html = render_report(dataclasses.replace(report_data, alerts=view), tmp_path).html
    assert XSS not in html.read_text()
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html.read_text()


@pytest.mark.parametrize(
    "summary",
    [
        {},
        {"counts": {"fired": -1}},
        {"counts": {"fired": 1.5}},
        {"counts": {}, "fired": []},
        {"counts": {}, "dead": "x"},
    ],
)
def test_malformed_summary_is_an_input_error(summary: dict[str, Any]) -> None:
    """A summary not of the manager's shape is refused, not partly shown."""
    with pytest.raises(InputError, match="alert summary"):
        alerts_view(summary)


def test_report_command_reads_tune_output(tmp_path: Path) -> None:
    """`perfcore report --alerts` with a `perfcore tune --output` file shows its alerts."""
    base = _write(tmp_path / "base.json", "a" * 40, 1.0, 1)
    curr = _write(tmp_path / "curr.json", "b" * 40, 1.0, 2)
    tune = tmp_path / "tune.json"
    tune.write_text(json.dumps({"schema": "perfcore.tune/1", "alerts": _summary()}))
    out = tmp_path / "out"
    assert (
        main(
            [
                "report",
                "--baseline",
                str(base),
                "--current",
                str(curr),
                "--out",
                str(out),
                "--history",
                str(tmp_path / "none"),
                "--alerts",
                str(tune),
            ]
        )
        == 0
    )
    assert "### Alerts (perfcore tune)" in (out / "summary.md").read_text()


def test_report_command_bad_alerts_file_is_one_line_exit_2(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """A malformed alerts file exits 2 with one line and writes no report."""
    base = _write(tmp_path / "base.json", "a" * 40, 1.0, 1)
    bad = tmp_path / "alerts.json"
    bad.write_text('{"counts": {"fired": "many"}}')
    out = tmp_path / "out"
    assert (
        main(
            [
                "report",
                "--baseline",
                str(base),
                "--current",
                str(base),
                "--out",
                str(out),
                "--alerts",
                str(bad),
            ]
        )
        == 2
    )
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1
    assert "alerts.json" in err
    assert not out.exists()
