"""The report: one self-contained HTML file (plotly.js inlined once, opens offline).

`build_report(DIR, out)` reads what `planner solve --out DIR` wrote (tables, summary.json
and model.json), so it works on any run and never reads the instance file. Sections:
headline and bottlenecks in words; capacity by layer and technology; builds per year and a
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

from planner import atomic
from planner.report.figures import figures
from planner.report.select import slice_year, within_horizon
from planner.report.style import FONT, LAYER_COLOURS
from planner.report.tornado import (
    find_sensitivity,
    read_sensitivity,
    sensitivity_rows,
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
td.num { text-align: right; font-variant-numeric: tabular-nums; }
.kpi { display: inline-block; margin-right: 36px; }
.kpi b { display: block; font-size: 22px; color: white; }
.legend span { display: inline-block; padding: 2px 10px; margin-right: 6px; border-radius: 4px;
  color: white; font-size: 12px; }
""".replace("FONT", FONT)


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


def _sensitivity_section(table: pd.DataFrame, money: str, include_plotlyjs: bool) -> str:
    """The tornado charts of a one-at-a-time sensitivity, and its inputs with sources."""
    parts = [
        "<section><h2>Sensitivity: what moves the plan</h2><p>Each uncertain input is set "
        "to its low and then its high value, one at a time, the others at their base values "
        "(scripts/sensitivity.py, through the sweep machinery). Bars show the change from "
        "the base plan, the widest on top.</p></section>"
    ]
    first = include_plotlyjs
    for key, fig in tornado_figures(table, money).items():
        body = fig.to_html(
            full_html=False,
            include_plotlyjs=first,
            div_id=f"fig-{key}",
            config={"displaylogo": False, "responsive": True},
        )
        first = False
        parts.append(f"<section>{body}</section>")
    head = "".join(f"<th>{h}</th>" for h in ("input", "low value", "high value", "source"))
    parts.append(
        f"<section><table><thead><tr>{head}</tr></thead><tbody>{sensitivity_rows(table)}"
        "</tbody></table></section>"
    )
    return "".join(parts)


def render_html(
    results: Results,
    money: str = MONEY,
    year: int | None = None,
    show_extension: bool = False,
    sensitivity: pd.DataFrame | None = None,
) -> str:
    """The report as one HTML string with plotly.js inlined once: extension years left out
    unless `show_extension`, the time-slice charts for `year` (default: the last year
    shown), and with `sensitivity` (scripts/sensitivity.py's table) its tornado charts.
    Raises ReportYearError for a year without time-slice results."""
    note = _extension_note(results, show_extension)
    results = within_horizon(results, show_extension)
    year = slice_year(results, year)
    s = results.summary
    name = html.escape(str(s.get("instance", "planner run")))
    objective = results.objective
    kpis = [("status", results.status)]
    if objective is not None:
        kpis.append((f"discounted system cost ({money})", f"{objective:,.6g}"))
    if s.get("total_demand") is not None and s.get("unserved"):
        share = max((v.get("share", 0.0) for v in s["unserved"].values()), default=0.0)
        kpis.append(("largest unserved share", f"{share:.1%}"))
    header = "".join(
        f"<div class='kpi'>{html.escape(k)}<b>{html.escape(str(v))}</b></div>" for k, v in kpis
    )
    legend = "".join(
        f"<span style='background:{c}'>{layer}</span>" for layer, c in LAYER_COLOURS.items()
    )
    parts = [
        "<!DOCTYPE html><html lang='en'><head><meta charset='utf-8'>",
        f"<title>planner report: {name}</title><style>{CSS}</style></head><body>",
        f"<header><h1>AI-stack investment plan: {name}</h1>",
        f"<p>{html.escape(str(s.get('source', '')))}</p>{header}</header><main>",
    ]
    story = explain_lines(results, top=4, money=money)
    parts.append(
        "<section><h2>Why the plan looks like this: bottlenecks by year</h2><ul class='story'>"
        + "".join(f"<li>{html.escape(line)}</li>" for line in story)
        + "</ul></section>"
    )
    if not results.tables:
        if sensitivity is not None:
            parts.append(_sensitivity_section(sensitivity, money, True))
        parts.append("</main></body></html>")
        return "".join(parts)
    parts.append(f"<section class='legend'>Layer colours: {legend}{note}</section>")
    first = True
    captions = _captions(year)
    for key, fig in figures(results, money, year, show_extension).items():
        body = fig.to_html(
            full_html=False,
            include_plotlyjs=first,
            div_id=f"fig-{key}",
            config={"displaylogo": False, "responsive": True},
        )
        first = False
        parts.append(f"<section><p>{html.escape(captions.get(key, ''))}</p>{body}</section>")
        if key == "prices":
            lines = price_lines(results, money)
            parts.append(
                "<section><h2>Marginal cost by layer (that year's money per unit)</h2>"
                "<ul class='story'>"
                + "".join(f"<li>{html.escape(x)}</li>" for x in lines)
                + "</ul></section>"
            )
    if sensitivity is not None:
        parts.append(_sensitivity_section(sensitivity, money, first))
    parts.append(f"<section><h2>Bottleneck table</h2>{_bottleneck_table(results, money)}</section>")
    parts.append("</main></body></html>")
    return "".join(parts)


def build_report(
    source: str | Path | Results,
    out: str | Path,
    money: str = MONEY,
    png: bool = False,
    year: int | None = None,
    show_extension: bool = False,
    sensitivity: str | Path | None = None,
) -> Path:
    """Write the HTML report of a results directory (or Results) to `out`; return its path.

    `year` chooses the year of the time-slice charts (default: the last horizon year);
    `show_extension` adds the extension years of end effects to every chart and table.
    `sensitivity` is a sensitivity table (scripts/sensitivity.py's sensitivity.csv) whose
    tornado charts are added; without it, a `sensitivity.csv` in the results directory is
    used if there is one. With `png`, each chart is also written as
    DIR/<report stem>_figures/<chart>.png.
    """
    results = load_results(source) if isinstance(source, str | Path) else source
    if sensitivity is None and isinstance(source, str | Path):
        sensitivity = find_sensitivity(source)
    table = read_sensitivity(sensitivity) if sensitivity is not None else None
    target = Path(out)
    target.parent.mkdir(parents=True, exist_ok=True)
    atomic.write_text(target, render_html(results, money, year, show_extension, table))
    if png and results.tables:
        folder = target.with_name(f"{target.stem}_figures")
        figs = figures(results, money, year, show_extension)
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
