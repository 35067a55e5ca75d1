"""The report: one self-contained HTML file (plotly.js inlined once, opens offline).

`build_report(DIR, out)` reads what `planner solve --out DIR` wrote (tables, summary.json
and model.json), so it works on any run and never reads the instance file. Sections:
for a two-stage run, the fan charts of every case's capacity and cost with the shared first
stage shaded, the cases' costs, EVPI and the builds every case shares (then every other
section shows one case, never the sum); for a myopic run, its windows; headline and
bottlenecks in words; capacity by layer and technology; builds per year and a
commissioning schedule with construction (lead-time) bars; commodity balances; for a
time-sliced run the dispatch of one year per representative period, the state of charge of
storage and firm capacity against the reserve requirement; resource use against limits;
shadow prices over time; costs by layer and by component; unserved demand; with a
sensitivity table (scripts/sensitivity.py), tornado charts of total cost and of 2030
electricity. Extension years
(end effects) are left out unless asked for. Colours: one hue per layer, technologies in
shades of their layer's hue.
"""

from __future__ import annotations

import html
from pathlib import Path

import pandas as pd
import plotly.graph_objects as go
from plotly.offline import get_plotlyjs

from planner import atomic
from planner.report.figures import figures
from planner.report.foresight import is_myopic, windows_html
from planner.report.scenarios import FANS, case_label, cases_html, fan_intro
from planner.report.select import (
    case_probabilities,
    chosen_case,
    one_case,
    slice_year,
    within_horizon,
)
from planner.report.style import FONT, LAYER_COLOURS
from planner.report.tornado import (
    find_sensitivity,
    read_sensitivity,
    sensitivity_table,
    tornado_figures,
)
from planner.results.base import Results
from planner.results.insight import MONEY, bottlenecks, explain_lines, price_lines
from planner.results.io import load_results

CSS = """
body { font-family: FONT; margin: 0; background: #f6f7f9; color: #1d2430; }
header { background: #1d2430; color: white; padding: 24px 40px; }
header h1 { margin: 0 0 6px 0; font-size: 26px; }
header p { margin: 2px 0; color: #c9d1dd; }
main { padding: 16px 40px 40px 40px; max-width: 1280px; }
section { background: white; border-radius: 8px; padding: 12px 18px; margin: 16px 0;
  box-shadow: 0 1px 3px rgba(0,0,0,.08); }
h2 { font-size: 19px; margin: 8px 0; }
ul.story li { margin: 4px 0; line-height: 1.4; }
table { border-collapse: collapse; font-size: 13px; width: 100%; }
th, td { text-align: left; padding: 4px 8px; border-bottom: 1px solid #e4e7ec; }
th { background: #eef1f5; }
table.compact { width: auto; min-width: 50%; }
th.num { text-align: right; }
td.num { text-align: right; font-variant-numeric: tabular-nums; }
.kpi { display: inline-block; margin-right: 36px; }
.kpi b { display: block; font-size: 22px; color: white; }
.legend span { display: inline-block; padding: 2px 10px; margin-right: 6px; border-radius: 4px;
  color: white; font-size: 12px; }
h3 { font-size: 16px; margin: 16px 0 6px 0; }
""".replace("FONT", FONT)
PLOTLY_CONFIG = "window.PlotlyConfig = {MathJaxConfig: 'local'};"


def _bottleneck_table(results: Results, money: str, limit: int = 60) -> str:
    table = bottlenecks(results, money=money)
    if table.empty:
        return "<p>No limit binds at a cost.</p>"
    rows = []
    for r in table.head(limit).itertuples(index=False):
        rows.append(
            "<tr>"
            f"<td>{'' if pd.isna(r.year) else int(r.year)}</td><td>{r.rank}</td>"
            f"<td>{html.escape(str(r.constraint))}</td><td>{html.escape(str(r.name))}</td>"
            f"<td>{html.escape(str(r.region))}</td><td class='num'>{r.shadow_price:,.4g}</td>"
            f"<td>{html.escape(str(r.unit))}</td><td>{html.escape(str(r.text))}</td></tr>"
        )
    more = (
        f"<p>{len(table) - limit} more rows in the bottleneck table.</p>"
        if len(table) > limit
        else ""
    )
    head = "".join(
        f"<th>{h}</th>"
        for h in (
            "year",
            "rank",
            "constraint",
            "name",
            "region",
            "shadow price",
            "unit",
            "in words",
        )
    )
    return f"<table><thead><tr>{head}</tr></thead><tbody>{''.join(rows)}</tbody></table>{more}"


def _captions(year: int | None) -> dict[str, str]:
    return {
        "capacity": "Capacity in service, stacked by technology, one panel per layer "
        "(energy at the top).",
        "builds": "Capacity commissioned each year.",
        "commissioning": "Each bar is one year's build of one technology; the pale bar "
        "before it spans its construction (lead time).",
        "balances": "For each commodity: production, what other technologies use, "
        "exogenous demand and any unserved demand.",
        "dispatch": f"How supply meets load in {year}, one panel per representative period "
        "(the title says how many days of the year it stands for). Each bar is one time "
        "slice, as wide as its hours, at the average rate in that slice: output of each "
        "technology stacked above zero (storage: discharge), imports and unserved demand on "
        "top, storage charging (hatched) and exports below zero. The black line is the load "
        "the balance must meet: exogenous demand plus use by other technologies, after "
        "flexible load has shifted or curtailed. The dotted line is the price of the "
        f"commodity in the slice ({year} money per unit, right axis).",
        "state-of-charge": f"Energy held in each storage technology through each "
        f"representative period of {year}, at the end of each slice; a period ends where it "
        "starts (the cycle closes). Dashed: the energy capacity, duration times power "
        "capacity.",
        "firm-capacity": "Per year: firm capacity (what the producers can count on at the "
        "peak, summed), the firm capacity the reserve margin asks for in the tightest slice "
        "((1 + margin) × peak factor × load) and the peak load. Red markers: years in which "
        "the reserve margin binds, so firm capacity has a price.",
        "resources": "Use of each scarce resource against its yearly limit.",
        "prices": "Marginal cost of each commodity and shadow price of each resource, "
        "in that year's money.",
        "costs": "Annuities, fixed and variable O&M, unserved-demand penalties and trade.",
        "unserved": "Share of each final demand left unserved.",
    }


def _extension_note(results: Results, show_extension: bool) -> str:
    """A sentence on extension years where the run has them."""
    schedule = results.tables.get("schedule")
    if schedule is None or "extension" not in schedule or not schedule["extension"].any():
        return ""
    years = sorted({int(y) for y in schedule.loc[schedule["extension"], "year"]})
    span = f"{years[0]}-{years[-1]}" if len(years) > 1 else str(years[0])
    shown = "shown in" if show_extension else "left out of"
    return (
        f"<p>Years {span} are extension years (end effects): solved so that the last "
        f"horizon years see a future, and {shown} the charts and tables below.</p>"
    )


def _kpis(results: Results, money: str, case: str | None) -> str:
    """The header's figures: status, the objective (the expected cost of a two-stage run),
    the cost of the horizon years where end effects make it differ, and the case shown."""
    s = results.summary
    scen = s.get("scenarios") or {}
    kpis = [("status", results.status)]
    objective = results.objective
    if objective is not None:
        weight = float((scen.get("risk") or {}).get("weight", 0.0))
        label = "discounted system cost"
        if scen:
            label = (
                "objective: expected cost and CVaR" if weight > 0 else "expected discounted cost"
            )
        kpis.append((f"{label} ({money})", f"{objective:,.6g}"))
        horizon, span = s.get("objective_horizon"), s.get("horizon") or {}
        if horizon is not None and abs(horizon - objective) > 1e-9 * max(1.0, abs(objective)):
            what = "expected cost" if scen else "cost"
            years = f"{span.get('start', '')}-{span.get('end', '')}"
            kpis.append((f"{what} of the horizon years {years} ({money})", f"{horizon:,.6g}"))
    if s.get("total_demand") is not None and s.get("unserved"):
        share = max((v.get("share", 0.0) for v in s["unserved"].values()), default=0.0)
        kpis.append(("largest unserved share", f"{share:.1%}"))
    if case is not None:
        kpis.append(("case shown below", _case_words(results, case)))
    if is_myopic(results):
        windows = len(s["foresight"]["windows"])
        kpis.append(("foresight", f"myopic: {windows} windows, the last one shown"))
    return "".join(
        f"<div class='kpi'>{html.escape(k)}<b>{html.escape(str(v))}</b></div>" for k, v in kpis
    )


def _case_words(results: Results, case: str) -> str:
    return case_label(case, case_probabilities(results)[case])


def _div(key: str, fig: go.Figure) -> str:
    """A chart's div, id fig-<key> (plotly.js is inlined once, in the head)."""
    return fig.to_html(
        full_html=False,
        include_plotlyjs=False,
        div_id=f"fig-{key}",
        config={"displaylogo": False, "responsive": True},
    )


def _scenario_section(results: Results, fans: dict[str, go.Figure], money: str, case: str) -> str:
    """The fan charts and the tables of the cases, then the header of the one-case part."""
    charts = "".join(_div(key, fig) for key, fig in fans.items())
    return (
        "<section id='scenarios'><h2>Two-stage plan: one hedge, then a plan per case</h2>"
        f"<p>{html.escape(fan_intro(results))}</p>{charts}{cases_html(results, money)}</section>"
        f"<section id='case'><h2>Case {html.escape(_case_words(results, case))}: every "
        "chart and table below shows this case alone</h2><p>Cases are never added up; "
        "choose another with <code>planner report --case NAME</code>.</p></section>"
    )


def _sensitivity_section(table: pd.DataFrame, money: str) -> str:
    """The tornado charts of a one-at-a-time sensitivity, and its inputs with sources."""
    parts = [
        "<section><h2>Sensitivity: what moves the plan</h2><p>Each uncertain input is set "
        "to its low and then its high value, one at a time, the others at their base values "
        "(scripts/sensitivity.py, through the sweep machinery). Bars show the change from "
        "the base plan, the widest on top.</p></section>"
    ]
    for key, fig in tornado_figures(table, money).items():
        parts.append(f"<section>{_div(key, fig)}</section>")
    parts.append(f"<section>{sensitivity_table(table)}</section>")
    return "".join(parts)


def render_html(
    results: Results,
    money: str = MONEY,
    year: int | None = None,
    show_extension: bool = False,
    case: str | None = None,
    sensitivity: pd.DataFrame | None = None,
) -> str:
    """The report as one HTML string with plotly.js inlined once: extension years left out
    unless `show_extension`, the time-slice charts for `year` (default: the last year
    shown), for a two-stage run the fan charts and every other chart for `case` (default:
    the most probable), and with `sensitivity` (scripts/sensitivity.py's table) its tornado
    charts. Raises ReportYearError for a year without time-slice results and
    ReportCaseError for a case the run does not have."""
    note = _extension_note(results, show_extension)
    results = within_horizon(results, show_extension)
    case = chosen_case(results, case)
    figs = figures(results, money, year, show_extension, case) if results.tables else {}
    shown = one_case(results, case) if case is not None else results
    name = html.escape(str(results.summary.get("instance", "planner run")))
    parts = [
        "<!DOCTYPE html><html lang='en'><head><meta charset='utf-8'>",
        f"<title>planner report: {name}</title><style>{CSS}</style>",
        f"<script>{PLOTLY_CONFIG}</script><script>{get_plotlyjs()}</script></head><body>",
        f"<header><h1>AI-stack investment plan: {name}</h1>",
        f"<p>{html.escape(str(results.summary.get('source', '')))}</p>",
        f"{_kpis(results, money, case)}</header><main>",
    ]
    fans = {key: figs.pop(key) for key in FANS if key in figs}
    if case is not None and fans:
        parts.append(_scenario_section(results, fans, money, case))
    if is_myopic(results):
        parts.append(f"<section id='myopic'>{windows_html(results, money)}</section>")
    story = explain_lines(shown, top=4, money=money)
    parts.append(
        "<section><h2>Why the plan looks like this: bottlenecks by year</h2><ul class='story'>"
        + "".join(f"<li>{html.escape(line)}</li>" for line in story)
        + "</ul></section>"
    )
    if not results.tables:
        if sensitivity is not None:
            parts.append(_sensitivity_section(sensitivity, money))
        parts.append("</main></body></html>")
        return "".join(parts)
    legend = "".join(
        f"<span style='background:{c}'>{layer}</span>" for layer, c in LAYER_COLOURS.items()
    )
    parts.append(f"<section class='legend'>Layer colours: {legend}{note}</section>")
    captions = _captions(slice_year(shown, year))
    for key, fig in figs.items():
        caption = html.escape(captions.get(key, ""))
        parts.append(f"<section><p>{caption}</p>{_div(key, fig)}</section>")
        if key == "prices":
            lines = price_lines(shown, money)
            parts.append(
                "<section><h2>Marginal cost by layer (that year's money per unit)</h2>"
                "<ul class='story'>"
                + "".join(f"<li>{html.escape(x)}</li>" for x in lines)
                + "</ul></section>"
            )
    if sensitivity is not None:
        parts.append(_sensitivity_section(sensitivity, money))
    parts.append(f"<section><h2>Bottleneck table</h2>{_bottleneck_table(shown, money)}</section>")
    parts.append("</main></body></html>")
    return "".join(parts)


def build_report(
    source: str | Path | Results,
    out: str | Path,
    money: str = MONEY,
    png: bool = False,
    year: int | None = None,
    show_extension: bool = False,
    case: str | None = None,
    sensitivity: str | Path | None = None,
) -> Path:
    """Write the HTML report of a results directory (or Results) to `out`; return its path.

    `year` chooses the year of the time-slice charts (default: the last horizon year);
    `show_extension` adds the extension years of end effects to every chart and table;
    `case` the scenario case of every chart but the fan charts (default: the most
    probable). `sensitivity` is a sensitivity table (scripts/sensitivity.py's
    sensitivity.csv) whose tornado charts are added; without it, a `sensitivity.csv` in
    the results directory is used if there is one. With `png`, each chart is also written
    as DIR/<report stem>_figures/<chart>.png.
    """
    results = load_results(source) if isinstance(source, str | Path) else source
    if sensitivity is None and isinstance(source, str | Path):
        sensitivity = find_sensitivity(source)
    table = read_sensitivity(sensitivity) if sensitivity is not None else None
    target = Path(out)
    target.parent.mkdir(parents=True, exist_ok=True)
    atomic.write_text(target, render_html(results, money, year, show_extension, case, table))
    if png and results.tables:
        folder = target.with_name(f"{target.stem}_figures")
        figs = figures(results, money, year, show_extension, case)
        if table is not None:
            figs.update(tornado_figures(table, money))
        write_pngs(figs, folder)
    return target


def write_pngs(figs: dict[str, go.Figure], folder: Path) -> list[Path]:
    """Static PNGs through kaleido (needs a Chrome/Chromium; BROWSER_PATH may name it)."""
    import os
    import shutil

    if "BROWSER_PATH" not in os.environ:
        for name in ("chromium", "chromium-browser", "google-chrome"):
            found = shutil.which(name)
            if found:
                os.environ["BROWSER_PATH"] = found
                break
    folder.mkdir(parents=True, exist_ok=True)
    paths = []
    for key, fig in figs.items():
        height = int(fig.layout.height or 500)
        path = atomic.write_with(
            folder / f"{key}.png",
            lambda tmp, fig=fig, height=height: fig.write_image(
                str(tmp), format="png", width=1200, height=height, scale=1
            ),
        )
        paths.append(path)
    return paths
