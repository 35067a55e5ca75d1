"""The HTML report: built from a results directory for tiny and base, self-contained."""

from __future__ import annotations

import re
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from typer.testing import CliRunner

from planner import fmt, load_instance, solve
from planner.cli import app
from planner.instance.paths import with_foresight
from planner.report.figures import figures
from planner.report.html import build_report
from planner.report.scenarios import fan_technologies
from planner.report.select import ReportCaseError, ReportYearError
from planner.results.io import load_results, write_results

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
    # neither two-stage nor myopic: no fan chart, no windows, no case said
    assert 'id="fig-fan' not in text
    assert "id='myopic'" not in text
    assert "case shown" not in text


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


# --- time slices (docs/model.md §11-§15): tests/data/sliced.yaml has two regions, three
# representative days of uneven slices, storage, a reserve margin, flexible load and two
# extension years (2031, 2032) after the horizon 2026-2030.
SLICE_CHARTS = ("dispatch", "state-of-charge", "firm-capacity")
SLICED = ROOT / "tests" / "data" / "sliced.yaml"


@pytest.fixture(scope="module")
def sliced():
    results = solve(load_instance(SLICED))
    assert results.status == "optimal"
    return results


@pytest.fixture(scope="module")
def sliced_figures(sliced):
    return figures(sliced)


def test_slice_tables_round_trip_through_a_results_directory(sliced, tmp_path):
    # the report and explain of a directory read the slice tables back, column for column
    write_results(sliced, tmp_path / "out")
    back = load_results(tmp_path / "out")
    for name in ("slices", "dispatch"):
        pd.testing.assert_frame_equal(
            back.tables[name].reset_index(drop=True),
            sliced.tables[name].reset_index(drop=True),
            check_dtype=False,
            check_categorical=False,
        )


ANNUAL = {
    "tiny": ROOT / "instances" / "tiny.yaml",
    # the pre-calibration base: five layers, yearly balances (instances/base.yaml has slices)
    "base_2025": ROOT / "tests" / "data" / "base_2025.yaml",
}


@pytest.fixture(scope="module", params=sorted(ANNUAL))
def annual_dir(request, tmp_path_factory):
    results = solve(load_instance(ANNUAL[request.param]))
    assert results.status == "optimal"
    return write_results(results, tmp_path_factory.mktemp(request.param) / "out")


def test_annual_reports_have_no_slice_charts(annual_dir):
    # the report's chart ids are these keys (test above: every one appears as id="fig-<key>")
    charts = figures(load_results(annual_dir))
    assert set(CHARTS) <= set(charts)
    assert not set(SLICE_CHARTS) & set(charts)


def test_base_report_has_the_slice_charts(run_dir):
    # instances/base.yaml balances electricity on representative days: every slice chart
    charts = figures(load_results(run_dir))
    assert set(CHARTS) <= set(charts)
    if load_results(run_dir).summary.get("instance") == "base":
        assert set(SLICE_CHARTS) <= set(charts)


def test_sliced_report_from_a_results_directory(sliced, tmp_path):
    out = write_results(sliced, tmp_path / "out")
    text = build_report(out, tmp_path / "report.html").read_text()
    for chart in (*CHARTS, *SLICE_CHARTS):
        assert f'id="fig-{chart}"' in text, chart
    assert "Dispatch in 2030" in text  # the last horizon year, not an extension year
    assert "Years 2031-2032 are extension years" in text


def _years_charted(figs: dict) -> set[int]:
    """Years on the x axes of the line charts (capacity, balances, firm capacity, ...)."""
    years = set()
    for fig in figs.values():
        for trace in fig.data:
            if trace.type == "scatter" and trace.x is not None:
                years |= {x for x in trace.x if isinstance(x, int)}
    return years


def test_extension_years_are_left_out_unless_asked_for(sliced, sliced_figures):
    assert {int(y) for y in sliced.tables["slices"]["year"]} >= {2031, 2032}
    figs = sliced_figures
    assert max(_years_charted(figs)) == 2030
    assert "2030" in figs["dispatch"].layout.title.text
    with pytest.raises(ReportYearError, match="2026 to 2030"):
        figures(sliced, year=2032)
    shown = figures(sliced, year=2032, show_extension=True)
    assert max(_years_charted(shown)) == 2032
    assert "2032" in shown["dispatch"].layout.title.text


def _panels(fig) -> dict[str, list]:
    """Traces of a dispatch figure by the x axis of their panel."""
    panels: dict[str, list] = {}
    for trace in fig.data:
        panels.setdefault(trace.xaxis, []).append(trace)
    return panels


def test_dispatch_bars_meet_the_load_and_stay_within_capacity(sliced, sliced_figures):
    fig = sliced_figures["dispatch"]
    sched = sliced.tables["schedule"]
    capacity = sched[sched["year"] == 2030].groupby(["technology", "region"])["capacity"].sum()
    com = sliced.tables["commodities"].query("commodity == 'electricity' and year == 2030")
    annual = (com["demand"] + com["consumption"]).groupby(com["region"]).sum()
    titles = [a.text for a in fig.layout.annotations]
    assert titles[0] == "electricity in east · d237: 147 days per year"
    assert fig.layout.yaxis.title.text == "electricity [GW]"
    in_gwh = dict.fromkeys(annual.index, 0.0)
    for n, traces in enumerate(_panels(fig).values()):
        region, days = titles[n].split(" ")[2], float(titles[n].split(" ")[-4])
        bars = [t for t in traces if t.type == "bar"]
        assert list(bars[0].width) == [6, 4, 3, 3, 4, 4]  # the slices' real hours
        load = next(t for t in traces if t.name.startswith("load"))
        in_gwh[region] += days * float(np.dot(load.y[::2], bars[0].width))
        # supply stacked above zero less charging and exports below meets the load
        net = sum(np.asarray(t.y) for t in bars)
        assert (net >= np.asarray(load.y[::2]) - 1e-6).all()
        for t in bars:  # TWh per slice as GW: never above the installed GW
            tech = t.name.removesuffix(" discharging").removesuffix(" charging")
            if (tech, region) in capacity.index:
                assert np.abs(t.y).max() <= capacity[tech, region] * (1 + 1e-6)
    # the load line, weighted by days and hours, is the year's load (TWh as GWh)
    assert in_gwh == pytest.approx((annual * 1000).to_dict(), rel=1e-9)


def test_storage_energy_capacity_and_firm_capacity(sliced, sliced_figures):
    figs = sliced_figures
    sched = sliced.tables["schedule"].set_index(["technology", "region", "year"])
    soc = figs["state-of-charge"]
    energy = next(t for t in soc.data if t.name.startswith("energy capacity"))
    # duration 4 h x battery power (GW) in GWh, above every state of charge in its panel
    assert energy.y[0] == pytest.approx(4 * sched.loc[("battery", "east", 2030), "capacity"])
    held = [max(t.y) for t in soc.data if t.xaxis == energy.xaxis and t is not energy]
    assert max(held) <= energy.y[0] * (1 + 1e-9)
    firm = next(t for t in figs["firm-capacity"].data if t.name == "firm capacity")
    # output per year that counts at the peak, summed, as GW: TWh per year / 8760 h x 1000
    per_gw = {"solar": 0.4, "wind": 0.9, "gas": 8.3, "battery": 6.0}
    expected = sum(f * sched.loc[(k, "east", 2030), "capacity"] for k, f in per_gw.items())
    assert firm.y[-1] == pytest.approx(expected * 1000 / 8760)


def test_cli_report_year(sliced, tmp_path):
    out = write_results(sliced, tmp_path / "out")
    args = ["report", str(out), "-o", str(tmp_path / "r.html"), "--year", "2031"]
    res = CliRunner().invoke(app, args)
    assert res.exit_code == 1
    assert "extension years: add --show-extension" in res.output
    assert not (tmp_path / "r.html").exists()
    res = CliRunner().invoke(app, [*args, "--show-extension"])
    assert res.exit_code == 0, res.output
    assert "Dispatch in 2031" in (tmp_path / "r.html").read_text()


# --- two-stage results (docs/model.md §17): instances/boom_bust.yaml branches in 2029 into
# boom (p 0.3) and bust (p 0.7); every table holds both cases.
BOOM_BUST = ROOT / "instances" / "boom_bust.yaml"


@pytest.fixture(scope="module")
def boom_bust():
    results = solve(load_instance(BOOM_BUST), evpi=True)
    assert results.status == "optimal"
    return results


@pytest.fixture(scope="module")
def boom_bust_dir(boom_bust, tmp_path_factory):
    return write_results(boom_bust, tmp_path_factory.mktemp("boom_bust") / "out")


def _case_capacity(results, case: str, tech: str) -> dict[int, float]:
    sched = results.tables["schedule"]
    rows = sched[(sched["scenario"] == case) & (sched["technology"] == tech)]
    rows = rows[~rows["extension"]]
    return {int(y): float(v) for y, v in rows.groupby("year")["capacity"].sum().items()}


@pytest.fixture(scope="module")
def boom_bust_figures(boom_bust):
    return figures(boom_bust)  # default: the most probable case, bust


def _trace(fig, name: str, axis: str = "x"):
    return next(t for t in fig.data if t.name == name and (t.xaxis or "x") == axis)


def _path(fig, name: str, axis: str) -> dict[int, float]:
    trace = _trace(fig, name, axis)
    return dict(zip(trace.x, trace.y, strict=True))


def test_two_stage_charts_show_one_case_not_the_sum(boom_bust, boom_bust_figures):
    figs = boom_bust_figures
    dc = _path(figs["capacity"], "datacenter [GW-IT]", "x3")  # the infrastructure panel
    bust, boom = (_case_capacity(boom_bust, c, "datacenter") for c in ("bust", "boom"))
    assert dc[2026] == pytest.approx(1.3)  # first stage: the case's value, not 2.6
    assert dc == pytest.approx(bust)
    assert dc[2035] != pytest.approx(boom[2035])
    assert figs["capacity"].layout.title.text.endswith("· case bust")
    figs = figures(boom_bust, case="boom")
    dc = _path(figs["capacity"], "datacenter [GW-IT]", "x3")
    assert dc == pytest.approx(boom)
    # the cost chart: one case's undiscounted cost per year
    costs = boom_bust.tables["costs"]
    boom_2035 = costs.query("scenario == 'boom' and year == 2035")["cost"].sum()
    charted = sum(t.y[list(t.x).index(2035)] for t in figs["costs"].data if t.xaxis == "x")
    assert charted == pytest.approx(boom_2035)
    with pytest.raises(ReportCaseError, match="choose boom, bust"):
        figures(boom_bust, case="mean")


def test_fan_chart_has_each_case_and_the_shared_first_stage(boom_bust, boom_bust_figures):
    fig = boom_bust_figures["fan"]
    techs = fan_technologies(boom_bust.tables["schedule"])
    assert techs[:2] == ["solar_storage", "gas_ccgt"]  # energy: the largest differences
    assert len(techs) == len(set(techs)) <= 2 * 5
    panel = techs.index("datacenter")
    axis = f"x{panel + 1}" if panel else "x"
    shared = _trace(fig, "shared path (first stage)", axis)
    assert list(shared.x) == [2026, 2027, 2028]  # the years before the branch year 2029
    for case, p in (("boom", 0.3), ("bust", 0.7)):
        line = _path(fig, f"{case} (p = {p})", axis)
        expected = _case_capacity(boom_bust, case, "datacenter")
        assert min(line) == 2028  # fans out from the last shared year
        assert line == pytest.approx({y: v for y, v in expected.items() if y >= 2028})
        assert shared.y == pytest.approx([expected[y] for y in shared.x])
    marks = _trace(fig, "in service from a build decided before 2029", axis)
    assert set(marks.x) == {2028, 2029}  # datacenters commissioned 2028-29, started before
    cost = boom_bust_figures["fan-cost"]
    costs = boom_bust.tables["costs"]
    for case, p in (("boom", 0.3), ("bust", 0.7)):
        line = _trace(cost, f"{case} (p = {p})")
        per_year = costs[(costs["scenario"] == case) & ~costs["extension"]]
        assert list(line.y) == pytest.approx(list(per_year.groupby("year")["cost"].sum()))
    assert [s.x0 for s in cost.layout.shapes if s.type == "rect"] == [2025.5]
    assert {s.x1 for s in cost.layout.shapes} == {2028.5}  # shade and branch line


def test_two_stage_report_sections_and_kpis(boom_bust_dir, boom_bust):
    text = build_report(boom_bust_dir, boom_bust_dir.parent / "r.html").read_text()
    info = boom_bust.summary["scenarios"]
    for key in ("fan", "fan-cost", "capacity", "costs"):
        assert f'id="fig-{key}"' in text, key
    assert text.index('id="fig-fan"') < text.index("Case bust (p = 0.7): every chart")
    assert text.index("Case bust (p = 0.7): every chart") < text.index('id="fig-capacity"')
    assert f"expected discounted cost (cost units)<b>{boom_bust.objective:,.6g}" in text
    horizon = boom_bust.summary["objective_horizon"]
    assert f"2026-2035 (cost units)<b>{horizon:,.6g}</b>" in text
    for c in info["cases"].values():
        assert fmt.number(c["objective"]) in text and fmt.number(c["alone"]) in text
    assert f"{fmt.number(info['evpi'])} cost units</b>: what knowing the outcome" in text
    assert fmt.number(info["wait_and_see"]) in text
    # the builds decided before 2029 that every case shares, e.g. the CCGTs of 2031
    assert "<td>gas_ccgt</td>" in text and "2031: 4.37" in text


def test_cli_report_case(boom_bust_dir, tmp_path):
    runner = CliRunner()
    args = ["report", str(boom_bust_dir), "-o", str(tmp_path / "r.html")]
    res = runner.invoke(app, [*args, "--case", "boom"])
    assert res.exit_code == 0, res.output
    text = (tmp_path / "r.html").read_text()
    assert "Case boom (p = 0.3): every chart" in text
    out = ["report", str(boom_bust_dir), "-o", str(tmp_path / "x.html")]
    res = runner.invoke(app, [*out, "--case", "mean"])
    assert res.exit_code == 1
    assert "case 'mean' is not in this run: choose boom, bust" in res.output
    assert not (tmp_path / "x.html").exists()


def test_myopic_report_lists_the_windows(tmp_path):
    results = solve(with_foresight(load_instance(ROOT / "instances" / "tiny.yaml"), "myopic:2:1"))
    windows = results.summary["foresight"]["windows"]
    assert len(windows) == 4
    text = build_report(results, tmp_path / "r.html").read_text()
    section = text[text.index("<section id='myopic'>") :]
    section = section[: section.index("</section>")]
    assert "4 windows of 2 years, moving 1 at a time" in section
    assert "last window's solution" in section
    assert section.count("<tr>") == 1 + 4
    assert "<td>2029-2030</td><td>2026-2030</td><td>optimal</td>" in section
    assert fmt.number(windows[-1]["objective"]) in section
    assert "myopic: 4 windows, the last one shown" in text  # in the header
    res = CliRunner().invoke(
        app, ["report", str(write_results(results, tmp_path / "o")), "--case", "boom"]
    )
    assert res.exit_code == 1
    assert "this run has no scenario cases" in res.output


SENSITIVITY = """input,case,value,source,status,objective,electricity_2030
base,base,the base plan,,optimal,100.0,50.0
gas price,low,$3.5,EIA,optimal,95.0,50.0
gas price,high,$13.5,JKM,optimal,110.0,50.0
token demand growth,low,half,Google,optimal,60.0,30.0
token demand growth,high,twice,Google,optimal,200.0,80.0
"""


def test_sensitivity_tornado_in_the_report(run_dir, tmp_path):
    from planner.report.tornado import read_sensitivity, tornado_figure

    csv = tmp_path / "sens.csv"
    csv.write_text(SENSITIVITY)
    fig = tornado_figure(read_sensitivity(csv), "objective")
    # widest bar on top (plotly draws the last category at the top)
    assert list(fig.data[0].y) == ["gas price", "token demand growth"]
    assert list(fig.data[0].x) == [-5.0, -40.0] and list(fig.data[1].x) == [10.0, 100.0]
    runner = CliRunner()
    out = tmp_path / "r.html"
    res = runner.invoke(app, ["report", str(run_dir), "-o", str(out), "--sensitivity", str(csv)])
    assert res.exit_code == 0, res.output
    text = out.read_text()
    assert 'id="fig-tornado-objective"' in text and 'id="fig-tornado-electricity-2030"' in text
    assert "Sensitivity: what moves the plan" in text and "$13.5" in text and "EIA" in text
    # without the option: none, unless a sensitivity.csv sits next to the results
    assert "fig-tornado" not in build_report(run_dir, tmp_path / "plain.html").read_text()
    res = runner.invoke(app, ["report", str(run_dir), "-o", str(out), "--sensitivity", "nope.csv"])
    assert res.exit_code == 1
    assert "no such sensitivity file" in res.output
