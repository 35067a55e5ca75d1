"""Open the HTML report in headless Chromium: every chart renders, no console errors.

Needs Debian's `chromium` and the `playwright` Python package (no Playwright browser
download: the system Chromium is launched). Skipped only where they are missing, and never
when CI=true. A screenshot is saved to artifacts/report_<instance>.png (the time-sliced
tests/data/sliced.yaml: artifacts/report_sliced.png; the two-stage instances/boom_bust.yaml:
artifacts/report_boom_bust.png).
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest

from planner import load_instance, solve
from planner.report.html import build_report
from planner.results.io import write_results

ROOT = Path(__file__).resolve().parents[1]
ARTIFACTS = ROOT / "artifacts"
CHROMIUM = os.environ.get("CHROMIUM", "/usr/bin/chromium")
ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]


def _browser_or_skip():
    missing = []
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        missing.append("the playwright package (pip install playwright)")
        sync_playwright = None
    if not (Path(CHROMIUM).is_file() or shutil.which(CHROMIUM)):
        missing.append(f"Chromium at {CHROMIUM} (apt-get install chromium chromium-driver)")
    if missing:
        reason = "browser test needs " + " and ".join(missing)
        if os.environ.get("CI") == "true":
            pytest.fail(reason + " -- CI must install them")
        pytest.skip(reason)
    return sync_playwright


def _open(report: Path, shot: str, charts: int) -> tuple[list, list[str]]:
    """Open the report offline in Chromium, wait for `charts` plotly charts and save a
    full-page screenshot to artifacts/<shot>.png; (id, data traces, SVGs) per chart, and
    the console errors."""
    sync_playwright = _browser_or_skip()
    errors: list[str] = []
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=ARGS, headless=True)
        page = browser.new_page(viewport={"width": 1400, "height": 1000})
        page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
        page.on("pageerror", lambda e: errors.append(str(e)))
        # offline: any request that is not the file itself is refused
        page.route(
            "**/*", lambda r: r.continue_() if r.request.url.startswith("file:") else r.abort()
        )
        page.goto(report.resolve().as_uri(), wait_until="load")
        page.wait_for_function(
            f"document.querySelectorAll('.js-plotly-plot').length >= {charts}", timeout=30_000
        )
        counts = page.evaluate(
            "Array.from(document.querySelectorAll('.js-plotly-plot'))"
            ".map(d => [d.id, (d.data || []).length, d.querySelectorAll('.main-svg').length])"
        )
        ARTIFACTS.mkdir(exist_ok=True)
        page.screenshot(path=str(ARTIFACTS / f"{shot}.png"), full_page=True)
        browser.close()
    return counts, errors


@pytest.mark.parametrize("name", ["tiny", "base"])
def test_report_renders_in_chromium(name, tmp_path):
    _browser_or_skip()
    results = solve(load_instance(ROOT / "instances" / f"{name}.yaml"))
    out = write_results(results, tmp_path / "out")
    report = build_report(
        out, tmp_path / "report.html", money="B$" if name == "base" else "cost units"
    )
    counts, errors = _open(report, f"report_{name}", 7)
    ids = [c[0] for c in counts]
    for chart in (
        "capacity",
        "builds",
        "commissioning",
        "balances",
        "resources",
        "prices",
        "costs",
    ):
        assert f"fig-{chart}" in ids
    empty = [c for c in counts if c[1] == 0 or c[2] == 0]
    assert not empty, f"charts without data traces or SVG: {empty}"
    assert not errors, errors


def test_time_sliced_report_renders_in_chromium(tmp_path):
    _browser_or_skip()
    results = solve(load_instance(ROOT / "tests" / "data" / "sliced.yaml"))
    report = build_report(write_results(results, tmp_path / "out"), tmp_path / "report.html")
    counts, errors = _open(report, "report_sliced", 10)
    ids = [c[0] for c in counts]
    for chart in ("dispatch", "state-of-charge", "firm-capacity"):
        assert f"fig-{chart}" in ids
    empty = [c for c in counts if c[1] == 0 or c[2] == 0]
    assert not empty, f"charts without data traces or SVG: {empty}"
    assert not errors, errors


def test_two_stage_report_renders_in_chromium(tmp_path):
    _browser_or_skip()
    results = solve(load_instance(ROOT / "instances" / "boom_bust.yaml"), evpi=True)
    report = build_report(write_results(results, tmp_path / "out"), tmp_path / "report.html")
    counts, errors = _open(report, "report_boom_bust", 10)
    ids = [c[0] for c in counts]
    assert ids[:3] == ["fig-fan", "fig-fan-cost", "fig-capacity"]
    # boom_bust has no scarce resources: that chart is a note saying so, without traces
    assert results.tables["resources"].empty
    empty = [c for c in counts if (c[1] == 0 and c[0] != "fig-resources") or c[2] == 0]
    assert not empty, f"charts without data traces or SVG: {empty}"
    assert not errors, errors
