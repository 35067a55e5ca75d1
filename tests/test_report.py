"""The HTML report: built from a results directory for tiny and base, self-contained."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from typer.testing import CliRunner

from planner import load_instance, solve
from planner.cli import app
from planner.report.html import build_report
from planner.results.io import write_results

ROOT = Path(__file__).resolve().parents[1]
CHARTS = ("capacity", "builds", "commissioning", "balances", "resources", "prices", "costs")


@pytest.fixture(scope="module", params=["tiny", "base"])
def run_dir(request, tmp_path_factory):
    results = solve(load_instance(ROOT / "instances" / f"{request.param}.yaml"))
    assert results.status == "optimal"
    return write_results(results, tmp_path_factory.mktemp(request.param) / "out")


def test_report_is_self_contained_with_every_chart(run_dir, tmp_path):
    path = build_report(run_dir, tmp_path / "report.html")
    text = path.read_text()
    # plotly.js inlined once, no script or stylesheet fetched from the network
    assert text.count("plotly.js v") >= 1
    assert not re.search(r"<script[^>]+src=", text)
    for chart in CHARTS:
        assert f'id="fig-{chart}"' in text, chart
    assert "Why the plan looks like this" in text
    # units from the instance appear in titles and axes
    assert "Ptokens" in text


def test_cli_report_and_solve_report(tmp_path):
    runner = CliRunner()
    inst = ROOT / "instances" / "tiny.yaml"
    res = runner.invoke(app, ["solve", str(inst), "--out", str(tmp_path / "o"), "--report"])
    assert res.exit_code == 0, res.output
    assert (tmp_path / "o" / "report.html").is_file()
    res = runner.invoke(app, ["report", str(tmp_path / "o"), "-o", str(tmp_path / "r.html")])
    assert res.exit_code == 0, res.output
    assert 'id="fig-capacity"' in (tmp_path / "r.html").read_text()
    res = runner.invoke(app, ["report", str(tmp_path), "-o", str(tmp_path / "x.html")])
    assert res.exit_code == 1
    assert "no summary.json" in res.output


def test_cli_explain_on_directory_and_instance(tmp_path):
    runner = CliRunner()
    inst = ROOT / "instances" / "tiny.yaml"
    res = runner.invoke(app, ["explain", str(inst)])
    assert res.exit_code == 0, res.output
    assert "2026: solar (world) cannot be commissioned before 2027" in res.output
    assert "electricity (cost units per TWh, world)" in res.output
    runner.invoke(app, ["solve", str(inst), "--out", str(tmp_path / "o")])
    res = runner.invoke(app, ["explain", str(tmp_path / "o"), "--money", "M$"])
    assert res.exit_code == 0, res.output
    assert "tokens (M$ per Ptokens, world)" in res.output


def test_infeasible_solve_prints_diagnosis_and_exits_2(tmp_path):
    inst = tmp_path / "bad.yaml"
    inst.write_text(
        "name: bad\nyears: {start: 2026, end: 2026}\n"
        "commodities: {power: {layer: energy, unit: GWh, demand: 10}}\n"
        "resources: {crews: {unit: crew-years, limit: 4}}\n"
        "technologies:\n  new: {layer: energy, output: power, output_per_capacity: 1,"
        " lifetime: 10, inputs: {per_build: {crews: 1}}}\n"
    )
    res = CliRunner().invoke(app, ["solve", str(inst), "--out", str(tmp_path / "o"), "--report"])
    assert res.exit_code == 2, res.output
    assert "resource crews (region world) limit in 2026 is too low" in res.output
    # the report of an infeasible run carries the diagnosis
    assert "raise resources.crews.limit" in (tmp_path / "o" / "report.html").read_text()


def test_png_export(tmp_path):
    pytest.importorskip("kaleido")
    import shutil

    if not (shutil.which("chromium") or shutil.which("google-chrome")):
        pytest.skip("no Chromium for kaleido")
    results = solve(load_instance(ROOT / "instances" / "tiny.yaml"))
    build_report(results, tmp_path / "r.html", png=True)
    pngs = sorted(p.name for p in (tmp_path / "r_figures").glob("*.png"))
    assert "capacity.png" in pngs
    assert (tmp_path / "r_figures" / "capacity.png").read_bytes()[:4] == b"\x89PNG"
