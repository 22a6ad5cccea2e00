"""perfcore.report: the verdict told as HTML, Markdown, JSON and JUnit.

One call from results to files: ``make_report(baseline, current, out_dir, history=...,
claims=..., load=...)`` compares, finds change points, judges claims and renders;
``report.verdict_line`` is the line to end a command with. Step by step::

    suite, decision = judge(baseline, current, JudgeSettings(...))
    data = build_report_data(suite, current=current, baseline=baseline, decision=decision,
                             history=runs, change_points=steps, claims=outcomes)
    paths = render_report(data, "reports/latest")
    # -> index.html, summary.md, verdict.json and junit.xml in reports/latest/
"""

from perfcore.report.build import build_report_data
from perfcore.report.documents import VERDICT_SCHEMA, junit_xml, verdict_document, verdict_json
from perfcore.report.model import ReportData
from perfcore.report.pipeline import Report, make_report
from perfcore.report.render import ReportPaths, render_html, render_markdown, render_report

__all__ = [
    "VERDICT_SCHEMA",
    "Report",
    "ReportData",
    "ReportPaths",
    "build_report_data",
    "junit_xml",
    "make_report",
    "render_html",
    "render_markdown",
    "render_report",
    "verdict_document",
    "verdict_json",
]
