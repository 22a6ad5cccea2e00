"""Rendering: the four files, their escaping, strict JSON, JUnit semantics, atomicity."""

from __future__ import annotations

import dataclasses
import json
import xml.etree.ElementTree as ET
from collections.abc import Callable
from html.parser import HTMLParser
from pathlib import Path

import numpy as np
import pytest
from report_fixtures import XSS, FakeSuite, comparison, current_set, make_data

from perfcore.report import ReportData, build_report_data, render_report
from perfcore.report import render as render_module
from perfcore.report.render import json_for_script


class _Refs(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.refs: list[str] = []
        self.scripts = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.scripts += tag == "script"
        self.refs += [v or "" for k, v in attrs if k in ("src", "href")]


def test_writes_four_files(report_data: ReportData, tmp_path: Path) -> None:
    """render_report writes index.html, summary.md, verdict.json and junit.xml."""
    paths = render_report(report_data, tmp_path / "out")
    for path in (paths.html, paths.markdown, paths.verdict, paths.junit):
        assert path.is_file()
        assert path.stat().st_size > 0
    assert sorted(p.name for p in paths.directory.iterdir()) == [
        "index.html",
        "junit.xml",
        "summary.md",
        "verdict.json",
    ]


def test_verdict_json_is_versioned_and_strict(report_data: ReportData, tmp_path: Path) -> None:
    """verdict.json carries its schema, the counts and null (not NaN) for absent numbers."""
    paths = render_report(report_data, tmp_path)
    text = paths.verdict.read_text()
    doc = json.loads(text, parse_constant=lambda c: pytest.fail(f"non-strict JSON {c}"))
    assert doc["schema"] == "perfcore.verdict/1"
    assert doc["passed"] is False
    assert doc["exit_code"] == 1
    assert doc["counts"]["regressed"] == 1
    missing = next(r for r in doc["results"] if r["verdict"] == "missing")
    assert missing["current_median"] is None
    assert missing["ratio"] is None
    assert {r["id"] for r in doc["results"]} >= {XSS, "bench.cache.lookup"}


def test_junit_one_case_per_result_with_failures(report_data: ReportData, tmp_path: Path) -> None:
    """Regressed and missing results fail, noisy and new skip, the rest pass."""
    root = ET.parse(render_report(report_data, tmp_path).junit).getroot()
    cases = {c.get("name"): c for c in root.iter("testcase")}
    assert len(cases) == len(report_data.rows)
    assert cases["bench.cache.lookup"].find("failure") is not None
    assert cases["bench.gone.thing"].find("failure") is not None
    assert cases["bench.batch.process"].find("skipped") is not None
    assert cases["bench.new.thing"].find("skipped") is not None
    assert list(cases[XSS]) == [cases[XSS].find("system-out")]
    suite = root.find("testsuite")
    assert suite is not None
    assert (suite.get("failures"), suite.get("skipped")) == ("2", "2")


def test_junit_missing_allowed_is_skipped(report_data: ReportData, tmp_path: Path) -> None:
    """With missing results allowed, a missing result is skipped, not failed."""
    gate = dataclasses.replace(report_data.gate, allow_missing=True)
    data = dataclasses.replace(report_data, gate=gate)
    root = ET.parse(render_report(data, tmp_path).junit).getroot()
    case = next(c for c in root.iter("testcase") if c.get("name") == "bench.gone.thing")
    assert case.find("failure") is None
    assert case.find("skipped") is not None


def test_junit_survives_control_characters(tmp_path: Path) -> None:
    """A result id with characters XML cannot carry still gives parseable JUnit."""
    rng = np.random.default_rng(1)
    suite = FakeSuite((comparison("bad\x01name\x1b[0m", "regressed", 1.0, 1.3, rng),))
    data = build_report_data(suite, current=current_set(), decision=_Fail())
    root = ET.parse(render_report(data, tmp_path).junit).getroot()
    assert [c.get("name") for c in root.iter("testcase")] == ["bad\ufffdname\ufffd[0m"]


@dataclasses.dataclass(frozen=True)
class _Fail:
    passed: bool = False
    exit_code: int = 1
    reasons: tuple[str, ...] = ("regressed",)


def test_html_escapes_names_and_loads_nothing(report_data: ReportData, tmp_path: Path) -> None:
    """Result names are escaped and the page references no external resource."""
    html = render_report(report_data, tmp_path).html.read_text()
    assert XSS not in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html
    refs = _Refs()
    refs.feed(html)
    assert all(r.startswith("#") for r in refs.refs), refs.refs
    assert refs.scripts == 5
    assert "Content-Security-Policy" in html


def test_json_for_script_cannot_close_the_element() -> None:
    """The embedded JSON has no '<', '>' or '&' and still parses to the same object."""
    obj = {"id": "</script><script>alert(1)</script>", "x": "a & b <!--"}
    text = str(json_for_script(obj))
    assert not {"<", ">", "&"} & set(text)
    assert json.loads(text) == obj


def test_markdown_summary(report_data: ReportData, tmp_path: Path) -> None:
    """summary.md states the verdict, counts, the regressions table and the claims."""
    md = render_report(report_data, tmp_path).markdown.read_text()
    assert md.startswith("## ❌ perfcore: FAIL")
    assert "1 regressed" in md
    assert "| bench.cache.lookup | 1.98 ms |" in md or "| bench.cache.lookup |" in md
    assert "**regressed**" in md
    assert "| cloud-p99 | at most 50 ms | 70 ms | refuted |" in md


def test_markdown_escapes_table_breakers(
    data_factory: Callable[..., ReportData], tmp_path: Path
) -> None:
    """A pipe or markup in a result id cannot break the Markdown table."""
    rng = np.random.default_rng(2)
    suite = FakeSuite((comparison("a|b<i>", "regressed", 1.0, 1.3, rng),))
    data = build_report_data(suite, current=current_set(), decision=_Fail())
    md = render_report(data, tmp_path).markdown.read_text()
    assert "| a\\|b&lt;i&gt; |" in md


def test_failed_render_leaves_previous_report(
    report_data: ReportData, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """If any format fails to render, no file of the report is touched."""
    paths = render_report(report_data, tmp_path)
    before = {p: p.read_bytes() for p in tmp_path.iterdir()}

    def boom(_data: ReportData) -> str:
        raise RuntimeError("boom")

    monkeypatch.setattr(render_module, "junit_xml", boom)
    with pytest.raises(RuntimeError):
        render_report(make_data(passed=True), tmp_path)
    assert {p: p.read_bytes() for p in tmp_path.iterdir()} == before
    assert paths.html.is_file()


def test_passing_report_banner(tmp_path: Path) -> None:
    """A passing gate renders a PASS banner."""
    html = render_report(make_data(passed=True), tmp_path).html.read_text()
    assert '<span class="banner-label">PASS</span>' in html
    assert 'class="banner pass"' in html


def test_asv_link_is_relative(report_data: ReportData, tmp_path: Path) -> None:
    """When the ASV site exists, the report links to it with a relative path."""
    site = tmp_path / ".asv" / "html" / "index.html"
    site.parent.mkdir(parents=True)
    site.write_text("<html></html>")
    data = dataclasses.replace(report_data, asv_site=str(site))
    html = render_report(data, tmp_path / "reports" / "latest").html.read_text()
    assert 'href="../../.asv/html/index.html"' in html


def test_a_refusal_is_not_shown_as_a_failure() -> None:
    """Exit 2 reads CANNOT JUDGE with its own mark, not FAIL."""
    from perfcore.report.model import GateView

    view = GateView(passed=False, exit_code=2, reasons=("machine busy",), counts={})
    assert view.label == "CANNOT JUDGE"
    assert view.state == "refused"
    assert view.icon != "❌"
    failed = GateView(passed=False, exit_code=1, reasons=(), counts={})
    assert (failed.label, failed.state) == ("FAIL", "fail")
