"""Machine-readable outputs: the verdict JSON document and JUnit XML.

Verdict schema history:

* ``perfcore.verdict/1`` -- first version: ``passed``, ``exit_code``, ``reasons``,
  ``counts``, ``alpha``, ``method``, ``generated``, ``environment`` (label -> value)
  and ``results`` (one object per compared result; non-finite numbers are null).
  Later additions, optional so readers of the first version are unaffected:
  ``alerts`` (present only when the run evaluated alerts): ``source``, ``counts``
  (the alert manager's totals), ``fired`` (per rule), ``channels`` (per channel
  ``delivered`` and ``failed``), ``pending`` and ``dropped``.
"""

from __future__ import annotations

import json
import re
import xml.etree.ElementTree as ET
from typing import Any

from perfcore.report.model import AlertsView, ReportData, ResultRow
from perfcore.report.numbers import (
    fmt_interval,
    fmt_mdc,
    fmt_p,
    fmt_ratio,
    fmt_value,
    verdict_sentence,
)

__all__ = ["VERDICT_SCHEMA", "junit_xml", "verdict_document", "verdict_json"]

VERDICT_SCHEMA = "perfcore.verdict/1"

# Characters XML 1.0 cannot carry at all, even escaped; ElementTree would write them raw.
_XML_INVALID = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]")


def _result_document(row: ResultRow) -> dict[str, Any]:
    return {
        "id": row.id,
        "unit": row.unit,
        "better": row.better,
        "verdict": row.verdict,
        "baseline_median": row.baseline_median,
        "current_median": row.current_median,
        "ratio": row.ratio,
        "ci": [row.ci_low, row.ci_high],
        "p_value": row.p_value,
        "p_adjusted": row.p_adjusted,
        "threshold": row.threshold,
        "mdc": row.mdc,
        "baseline_n": len(row.baseline_samples),
        "current_n": len(row.current_samples),
    }


def verdict_document(data: ReportData) -> dict[str, Any]:
    """The verdict as a JSON-ready object (schema ``perfcore.verdict/1``)."""
    gate = data.gate
    return {
        "schema": VERDICT_SCHEMA,
        "passed": gate.passed,
        "exit_code": gate.exit_code,
        "reasons": list(gate.reasons),
        "counts": dict(gate.counts),
        "alpha": gate.alpha,
        "method": gate.method,
        "generated": data.generated,
        "environment": dict(data.environment),
        "results": [_result_document(r) for r in data.rows],
    } | ({"alerts": _alerts_document(data.alerts)} if data.alerts is not None else {})


def _alerts_document(alerts: AlertsView) -> dict[str, Any]:
    return {
        "source": alerts.source,
        "counts": dict(alerts.counts),
        "fired": dict(alerts.rules),
        "channels": {c: {"delivered": ok, "failed": bad} for c, ok, bad in alerts.channels},
        "pending": alerts.pending,
        "dropped": alerts.dropped,
    }


def verdict_json(data: ReportData) -> str:
    """The verdict document as strict JSON text (no NaN), ending in a newline."""
    return json.dumps(verdict_document(data), indent=2, allow_nan=False) + "\n"


def _xml_text(text: str) -> str:
    return _XML_INVALID.sub("\ufffd", text)


def _details(row: ResultRow) -> str:
    lines = [
        f"verdict: {row.verdict}",
        f"baseline median: {fmt_value(row.baseline_median, row.unit)}"
        f" (n={len(row.baseline_samples)})",
        f"current median: {fmt_value(row.current_median, row.unit)} (n={len(row.current_samples)})",
        f"ratio: {fmt_ratio(row.ratio)} {fmt_interval(row.ci_low, row.ci_high)}".rstrip(),
        f"p-value: {fmt_p(row.p_value)} (adjusted {fmt_p(row.p_adjusted)})",
        f"minimum detectable change: {fmt_mdc(row.mdc)}",
    ]
    return "\n".join(lines) + "\n"


def _testcase(suite: ET.Element, row: ResultRow, allow_missing: bool) -> None:
    classname, _, _ = row.id.partition(".")
    case = ET.SubElement(
        suite,
        "testcase",
        {"classname": _xml_text(f"perfcore.{classname}"), "name": _xml_text(row.id), "time": "0"},
    )
    message = _xml_text(verdict_sentence(row.verdict, row.ratio, row.better))
    if row.verdict == "regressed" or (row.verdict == "missing" and not allow_missing):
        failure = ET.SubElement(case, "failure", {"message": message, "type": row.verdict})
        failure.text = _xml_text(_details(row))
    elif row.verdict in ("noisy", "new", "missing", "disturbed", "incomparable"):
        ET.SubElement(case, "skipped", {"message": message})
    out = ET.SubElement(case, "system-out")
    out.text = _xml_text(_details(row))


def junit_xml(data: ReportData) -> str:
    """One JUnit test case per result: regressed (and missing unless allowed) fail.

    Noisy, new and allowed-missing results are skipped; the rest pass.
    """
    counts, allow_missing = data.gate.counts, data.gate.allow_missing
    failures = counts.get("regressed", 0) + (0 if allow_missing else counts.get("missing", 0))
    skipped = sum(counts.get(v, 0) for v in ("noisy", "new", "disturbed", "incomparable"))
    skipped += counts.get("missing", 0) if allow_missing else 0
    attrs = {
        "name": "perfcore",
        "tests": str(len(data.rows)),
        "failures": str(failures),
        "errors": "0",
        "skipped": str(skipped),
        "timestamp": data.generated,
    }
    root = ET.Element("testsuites", {k: v for k, v in attrs.items() if k != "timestamp"})
    suite = ET.SubElement(root, "testsuite", attrs)
    props = ET.SubElement(suite, "properties")
    for name, value in data.environment:
        ET.SubElement(props, "property", {"name": _xml_text(name), "value": _xml_text(value)})
    for row in data.rows:
        _testcase(suite, row, allow_missing)
    ET.indent(root)
    return ET.tostring(root, encoding="unicode", xml_declaration=True) + "\n"
