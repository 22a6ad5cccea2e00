"""Render a ReportData into index.html, summary.md, verdict.json and junit.xml.

Every template is rendered with HTML autoescaping on; the chart data travels as one
JSON blob inside ``<script type="application/json">`` with ``<``, ``>`` and ``&``
escaped, so no result name can close the script element or inject markup. All four
outputs are rendered in memory first, staged as temporary files beside their targets,
and renamed into place only once all four are on disk, so a failure (an unwritable
folder, a full disk) leaves the previous report whole and no new file behind.
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass
from functools import lru_cache
from importlib import resources
from pathlib import Path
from typing import Any

import jinja2
from markupsafe import Markup

from perfcore._atomic import atomic_write_many
from perfcore.analysis.comparison import VERDICTS
from perfcore.errors import InputError
from perfcore.report.charts import chart_payload
from perfcore.report.documents import junit_xml, verdict_json
from perfcore.report.model import ReportData
from perfcore.report.numbers import TEMPLATE_FILTERS, TEMPLATE_FUNCTIONS

__all__ = ["ReportPaths", "json_for_script", "render_html", "render_markdown", "render_report"]

_VENDORED = ("vega.min.js", "vega-lite.min.js", "vega-embed.min.js")
# History charts drawn without asking: the series with a change point or a verdict.
MAX_DEFAULT_HISTORY = 12
# Distribution plots drawn in their own section; every other one opens from the table.
MAX_DISTRIBUTIONS = 48


@dataclass(frozen=True)
class ReportPaths:
    """Where one rendered report lives."""

    directory: Path
    html: Path
    markdown: Path
    verdict: Path
    junit: Path


def json_for_script(obj: Any) -> Markup:
    """JSON safe to place inside a ``<script>`` element (no ``</script>``, no ``<!--``)."""
    text = json.dumps(obj, separators=(",", ":"), allow_nan=False, ensure_ascii=False)
    text = text.replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026")
    text = text.replace("\u2028", "\\u2028").replace("\u2029", "\\u2029")
    return Markup(text)  # noqa: S704 -- escaped above for the script-data context


def _md_cell(value: object) -> str:
    # Inside a Markdown table a pipe ends the cell and a newline ends the row.
    text = str(value).replace("\\", "\\\\").replace("|", "\\|").replace("`", "\\`")
    return " ".join(text.split())


@lru_cache(maxsize=1)
def _environment() -> jinja2.Environment:
    env = jinja2.Environment(
        loader=jinja2.PackageLoader("perfcore.report", "templates"),
        autoescape=jinja2.select_autoescape(default=True, default_for_string=True),
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.filters.update(TEMPLATE_FILTERS, md=_md_cell)
    env.globals.update(TEMPLATE_FUNCTIONS, VERDICTS=VERDICTS)
    return env


@lru_cache(maxsize=1)
def _static_assets() -> dict[str, Markup]:
    folder = resources.files("perfcore.report") / "static"
    assets: dict[str, Markup] = {}
    for name in (*_VENDORED, "report.js", "report.css"):
        text = (folder / name).read_text(encoding="utf-8")
        if "</script" in text.lower() or "</style" in text.lower():
            raise RuntimeError(f"static asset {name} cannot be inlined safely")
        assets[name] = Markup(text)  # noqa: S704 -- our own and vendored files, checked above
    return assets


def _history_defaults(data: ReportData) -> list[int]:
    flagged = {r.id for r in data.rows if r.verdict != "unchanged"}
    picks = [i for i, s in enumerate(data.history) if s.change_points or s.id in flagged]
    return picks[:MAX_DEFAULT_HISTORY] or list(range(min(3, len(data.history))))


def _asv_href(data: ReportData, out_dir: Path) -> str | None:
    if data.asv_site is None:
        return None
    return Path(os.path.relpath(data.asv_site, out_dir.resolve())).as_posix()


def render_html(data: ReportData, out_dir: Path | None = None) -> str:
    """The self-contained HTML report (works from file:// with no network)."""
    directory = out_dir if out_dir is not None else Path.cwd()
    payload = chart_payload(data)
    payload["historyDefault"] = _history_defaults(data)
    # Rows come regressed first, so the cap keeps what matters most.
    changed = [
        (i, r) for i, r in enumerate(data.rows) if r.verdict in ("regressed", "noisy", "improved")
    ]
    return (
        _environment()
        .get_template("report.html.j2")
        .render(
            data=data,
            gate=data.gate,
            blob=json_for_script(payload),
            assets=_static_assets(),
            charts=payload["charts"],
            history_defaults=payload["historyDefault"],
            asv_href=_asv_href(data, directory),
            changed=changed[:MAX_DISTRIBUTIONS],
            changed_total=len(changed),
        )
    )


def render_markdown(data: ReportData, report_link: str | None = None) -> str:
    """The Markdown summary for CI step summaries and pull-request comments."""
    return (
        _environment()
        .get_template("summary.md.j2")
        .render(
            data=data,
            gate=data.gate,
            report_link=report_link,
            changed=data.rows_with("regressed", "missing", "improved"),
            noisy=data.rows_with("noisy"),
        )
    )


def check_output_dir(path: Path) -> None:
    """InputError (exit 2) when ``path`` cannot take a report; checked before any write."""
    try:
        str(path).encode("utf-8")
    except UnicodeEncodeError:  # bytes that are not UTF-8: the report could not link or name it
        raise InputError(f"output directory {str(path)!r}: its name is not valid UTF-8") from None
    if path.exists() and not path.is_dir():
        raise InputError(f"output directory {path}: exists and is not a directory")


def _write_all(texts: dict[Path, str], directory: Path) -> None:
    # All four written and fsynced before any is renamed: a full disk leaves the old
    # report whole (atomic_open renamed each file as soon as it was synced).
    try:
        atomic_write_many(texts)
    except OSError as exc:
        raise InputError(
            f"cannot write the report into {directory}: {exc.strerror or exc}"
        ) from None


def render_report(data: ReportData, out_dir: str | os.PathLike[str]) -> ReportPaths:
    """Write index.html, summary.md, verdict.json and junit.xml into ``out_dir``, all or none."""
    directory = Path(out_dir)
    check_output_dir(directory)
    paths = ReportPaths(
        directory=directory,
        html=directory / "index.html",
        markdown=directory / "summary.md",
        verdict=directory / "verdict.json",
        junit=directory / "junit.xml",
    )
    texts = {
        paths.html: render_html(data, directory),
        paths.markdown: render_markdown(data, report_link=str(paths.html)),
        paths.verdict: verdict_json(data),
        paths.junit: junit_xml(data),
    }
    _write_all(texts, directory)
    return paths
