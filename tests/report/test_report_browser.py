"""The HTML report in a real headless Chromium: it renders, sorts, filters, and is XSS-safe."""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from report_fixtures import XSS, make_data

from perfcore.report import render_report

CHROMIUM = "/usr/bin/chromium"
ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
REPO = Path(__file__).resolve().parents[2]

pytestmark = pytest.mark.browser


def _chromium_or_skip() -> str:
    path = CHROMIUM if os.path.exists(CHROMIUM) else shutil.which("chromium")
    reason = None
    if path is None:
        reason = "chromium is not installed (nox -s tests installs it with apt)"
    else:
        try:
            import playwright.sync_api  # noqa: F401
        except ImportError:
            reason = "the playwright package is not installed"
    if reason is not None:
        if os.environ.get("PERFCORE_REQUIRE_BROWSER") == "1":
            pytest.fail(f"PERFCORE_REQUIRE_BROWSER=1 but {reason}")
        pytest.skip(reason)
    assert path is not None
    return path


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    """One headless Chromium for the module."""
    path = _chromium_or_skip()
    from playwright.sync_api import sync_playwright

    with sync_playwright() as pw:
        instance = pw.chromium.launch(executable_path=path, args=ARGS, headless=True)
        yield instance
        instance.close()


@pytest.fixture
def opened(browser: Any, tmp_path: Path) -> Iterator[tuple[Any, dict[str, list[str]]]]:
    """The standard report opened over file://, with console errors, page errors,
    dialogs and network requests recorded."""
    paths = render_report(make_data(n_extra=30), tmp_path / "report")
    page = browser.new_page(viewport={"width": 1280, "height": 900})
    seen: dict[str, list[str]] = {"console": [], "page": [], "dialog": [], "request": []}
    page.on("console", lambda m: seen["console"].append(m.text) if m.type == "error" else None)
    page.on("pageerror", lambda e: seen["page"].append(str(e)))

    def on_dialog(dialog: Any) -> None:
        seen["dialog"].append(dialog.message)
        dialog.dismiss()

    page.on("dialog", on_dialog)
    page.on(
        "request",
        lambda r: (
            None
            if r.url.startswith(("file:", "data:", "about:"))
            else seen["request"].append(r.url)
        ),
    )
    page.goto(paths.html.as_uri())
    page.wait_for_selector(
        ".chart[data-chart='training'][data-state='rendered'] svg", timeout=30_000
    )
    yield page, seen
    page.close()


def _ids(page: Any) -> list[str]:
    return page.eval_on_selector_all(
        "#results-table tbody tr.result:not([hidden]) td.rid",
        "cells => cells.map(c => c.textContent)",
    )


def test_report_renders_verdict_rows_and_charts(
    opened: tuple[Any, dict[str, list[str]]], tmp_path: Path
) -> None:
    """The banner says FAIL, every result has a row, charts draw, and nothing errs."""
    page, seen = opened
    assert page.inner_text(".banner-label") == "FAIL"
    assert page.locator("#verdict.fail").count() == 1
    assert page.locator("#results-table tbody tr.result").count() == 36
    for name in ("training", "spectrum", "throughput", "errors", "costs"):
        page.wait_for_selector(
            f".chart[data-chart='{name}'][data-state='rendered'] svg", timeout=30_000
        )
    page.locator("#history").scroll_into_view_if_needed()
    page.wait_for_selector(".chart[data-kind='history'][data-state='rendered'] svg", timeout=30_000)
    page.wait_for_selector(".chart[data-kind='dist'][data-state='rendered'] svg", timeout=30_000)
    page.locator("#verdict").scroll_into_view_if_needed()
    assert page.locator(".chart-error").count() == 0
    shot = tmp_path / "report-screenshot.png"
    page.screenshot(path=str(shot), full_page=True)
    artifacts = REPO / "artifacts"
    artifacts.mkdir(exist_ok=True)
    shutil.copyfile(shot, artifacts / "report-screenshot.png")
    print(f"screenshot: {shot} (copy: {artifacts / 'report-screenshot.png'})")
    assert seen == {"console": [], "page": [], "dialog": [], "request": []}


def test_sorting_and_filtering_respond_to_clicks(opened: tuple[Any, dict[str, list[str]]]) -> None:
    """Clicking a header sorts the table both ways; typing and choosing a verdict filter it."""
    page, seen = opened
    header = page.locator("#results-table th", has_text="Result")
    header.click()
    ascending = _ids(page)
    assert ascending == sorted(ascending, key=str.lower)
    header.click()
    assert _ids(page) == ascending[::-1]
    page.fill("#filter", "synthetic.r00")
    assert len(_ids(page)) == 10
    assert page.inner_text("#shown") == "10 of 36 shown"
    page.fill("#filter", "")
    page.select_option("#verdict-filter", "regressed")
    assert _ids(page) == ["bench.cache.lookup"]
    page.select_option("#verdict-filter", "")
    row = page.locator("tr.result", has=page.locator("td.rid", has_text="synthetic.r029"))
    row.locator(".plot-toggle").click()
    page.wait_for_selector("tr.detail .chart[data-state='rendered'] svg", timeout=30_000)
    assert seen["console"] == []
    assert seen["page"] == []


def test_script_tag_result_name_shows_as_text(opened: tuple[Any, dict[str, list[str]]]) -> None:
    """A result named <script>alert(1)</script> appears literally and runs nothing."""
    page, seen = opened
    page.fill("#filter", "alert")
    assert _ids(page) == [XSS]
    page.select_option("#history-pick", label=XSS)
    page.wait_for_selector("#history-picked[data-state='rendered'] svg", timeout=30_000)
    assert seen["dialog"] == []
    assert page.evaluate("typeof window.alert") == "function"
    assert page.locator("td.rid script").count() == 0
