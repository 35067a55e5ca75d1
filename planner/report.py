"""A self-contained HTML report of a results directory (plotly JS inlined, opens offline).

`build_report(DIR, out)` reads what `planner solve --out DIR` wrote (CSV/parquet tables and
summary.json), so it works on any run. Sections: headline and bottlenecks in words;
capacity by layer and technology (stacked areas, one panel per layer in stack order);
builds per year and a commissioning schedule with construction (lead-time) bars; commodity
balances; resource use against limits; shadow prices over time; costs by layer and by
component; unserved demand; and, for a sweep directory (sweep.parquet), the frontier.
Colours: one hue per layer, technologies in shades of their layer's hue, everywhere.
"""

from __future__ import annotations

import colorsys
import html
from pathlib import Path
from typing import TYPE_CHECKING

import pandas as pd
import plotly.graph_objects as go
from plotly.subplots import make_subplots

from planner.insight import MONEY, bottlenecks, explain_lines, marginal_costs, price_lines
from planner.results_io import load_results
from planner.schema import LAYERS

if TYPE_CHECKING:
    from planner.data import ModelData
    from planner.results import Results

LAYER_COLOURS = {
    "energy": "#d98c00",
    "chips": "#2a6fbb",
    "infrastructure": "#6a4c93",
    "models": "#1a936f",
    "applications": "#c44536",
}
FONT = "Inter, Segoe UI, Helvetica, Arial, sans-serif"


def _shades(hex_colour: str, n: int) -> list[str]:
    """n distinguishable shades of one hue, dark to light."""
    r, g, b = (int(hex_colour[i : i + 2], 16) / 255 for i in (1, 3, 5))
    h, lum, s = colorsys.rgb_to_hls(r, g, b)
    out = []
    for i in range(n):
        frac = i / max(n - 1, 1)
        light = 0.22 + 0.56 * frac if n > 1 else lum
        hue = (h + 0.05 * (frac - 0.5)) % 1.0 if n > 1 else h
        rr, gg, bb = colorsys.hls_to_rgb(hue, light, s)
        out.append(f"#{int(rr * 255):02x}{int(gg * 255):02x}{int(bb * 255):02x}")
    return out


def tech_colours(schedule: pd.DataFrame) -> dict[str, str]:
    """Technology -> colour: shades of its layer's hue."""
    colours: dict[str, str] = {}
    for layer, group in schedule.groupby("layer", sort=False):
        techs = list(dict.fromkeys(group["technology"]))
        base = LAYER_COLOURS.get(str(layer), "#777777")
        colours.update(zip(techs, _shades(base, len(techs)), strict=True))
    return colours


def _layers(frame: pd.DataFrame) -> list[str]:
    present = set(frame["layer"].dropna())
    return [x for x in LAYERS if x in present] + sorted(present - set(LAYERS))


def _units(values: pd.Series) -> str:
    units = [str(u) for u in dict.fromkeys(values.dropna()) if str(u)]
    return ", ".join(units) if len(units) <= 2 else "mixed units (see legend)"


def _style(fig: go.Figure, title: str, height: int, narrow: bool = False) -> go.Figure:
    fig.update_layout(
        title={"text": title, "x": 0.01, "font": {"size": 18}},
        height=height,
        template="plotly_white",
        font={"family": FONT, "size": 12},
        legend={"font": {"size": 11}, "tracegroupgap": 4},
        margin={"l": 70, "r": 30, "t": 70, "b": 50},
        hovermode="x unified",
    )
    fig.update_xaxes(dtick=1 if _span(fig) <= (8 if narrow else 16) else 2, tickformat="d")
    return fig


def _span(fig: go.Figure) -> int:
    years = [v for t in fig.data for v in (t.x if t.x is not None else []) if isinstance(v, int)]
    return (max(years) - min(years) + 1) if years else 0


def capacity_figure(results: Results) -> go.Figure:
    sched = results.tables["schedule"]
    layers = _layers(sched)
    colours = tech_colours(sched)
    fig = make_subplots(
        rows=len(layers),
        cols=1,
        shared_xaxes=True,
        vertical_spacing=0.04,
        subplot_titles=[f"{layer}" for layer in layers],
    )
    for i, layer in enumerate(layers, start=1):
        rows = sched[sched["layer"] == layer]
        for tech, group in rows.groupby("technology", sort=False):
            g = group.groupby("year")["capacity"].sum()
            if g.abs().max() <= 1e-9:
                continue
            unit = group["capacity_unit"].iloc[0] or "units"
            fig.add_trace(
                go.Scatter(
                    x=[int(y) for y in g.index],
                    y=g.values,
                    name=f"{tech} [{unit}]",
                    legendgroup=layer,
                    legendgrouptitle_text=layer,
                    stackgroup=layer,
                    line={"width": 0.5, "color": colours[str(tech)]},
                    fillcolor=colours[str(tech)],
                ),
                row=i,
                col=1,
            )
        fig.update_yaxes(title_text=_units(rows["capacity_unit"]), row=i, col=1)
    fig.update_xaxes(title_text="year", row=len(layers), col=1)
    return _style(fig, "Installed capacity by layer and technology", 230 * len(layers) + 80)


def builds_figure(results: Results) -> go.Figure:
    sched = results.tables["schedule"]
    layers = [x for x in _layers(sched) if sched.loc[sched["layer"] == x, "build"].sum() > 1e-9]
    colours = tech_colours(sched)
    if not layers:
        return _note("Builds per year", "nothing is built over the horizon")
    fig = make_subplots(
        rows=len(layers), cols=1, shared_xaxes=True, vertical_spacing=0.05, subplot_titles=layers
    )
    for i, layer in enumerate(layers, start=1):
        rows = sched[sched["layer"] == layer]
        for tech, group in rows.groupby("technology", sort=False):
            g = group.groupby("year")["build"].sum()
            if g.max() <= 1e-9:
                continue
            unit = group["capacity_unit"].iloc[0] or "units"
            fig.add_trace(
                go.Bar(
                    x=[int(y) for y in g.index],
                    y=g.values,
                    name=f"{tech} [{unit}]",
                    legendgroup=layer,
                    legendgrouptitle_text=layer,
                    marker_color=colours[str(tech)],
                ),
                row=i,
                col=1,
            )
        fig.update_yaxes(title_text=f"built ({_units(rows['capacity_unit'])})", row=i, col=1)
    fig.update_layout(barmode="stack")
    fig.update_xaxes(title_text="commissioning year", row=len(layers), col=1)
    return _style(fig, "New capacity commissioned per year", 210 * len(layers) + 80)


def gantt_figure(results: Results, data: ModelData | None) -> go.Figure:
    """One bar per (technology, commissioning year): construction years then first year."""
    sched = results.tables["schedule"]
    built = sched[sched["build"] > 1e-9]
    if built.empty:
        return _note("Commissioning schedule", "nothing is built over the horizon")
    lead = {t.name: t.lead_time for t in data.techs} if data is not None else {}
    colours = tech_colours(sched)
    built = built.groupby(["layer", "technology", "year"], as_index=False, sort=False).agg(
        build=("build", "sum"), unit=("capacity_unit", "first")
    )
    order = {layer: i for i, layer in enumerate(LAYERS)}
    built = built.sort_values(
        ["layer", "technology", "year"], key=lambda s: s.map(order) if s.name == "layer" else s
    )
    labels = list(dict.fromkeys(built["technology"]))
    fig = go.Figure()
    for tech in labels:
        rows = built[built["technology"] == tech]
        lt = lead.get(str(tech), 0)
        colour = colours[str(tech)]
        unit = rows["unit"].iloc[0] or "units"
        text = [f"{b:,.0f}" if abs(b) >= 1000 else f"{b:.3g}" for b in rows["build"]]
        if lt > 0:
            fig.add_trace(
                go.Bar(
                    y=[f"{tech} [{unit}]"] * len(rows),
                    x=[lt] * len(rows),
                    base=[int(y) - lt - 0.45 for y in rows["year"]],
                    orientation="h",
                    marker={"color": colour, "opacity": 0.35},
                    name=f"{tech}: construction ({lt} y)",
                    hovertext=[f"{tech} for {int(y)}: construction" for y in rows["year"]],
                    showlegend=False,
                )
            )
        fig.add_trace(
            go.Bar(
                y=[f"{tech} [{unit}]"] * len(rows),
                x=[0.9] * len(rows),
                base=[int(y) - 0.45 for y in rows["year"]],
                orientation="h",
                marker={"color": colour},
                text=text,
                textposition="inside",
                insidetextanchor="middle",
                textfont={"size": 9},
                name=tech,
                hovertext=[
                    f"{tech} commissioned {int(y)}: {t} {unit}"
                    for y, t in zip(rows["year"], text, strict=True)
                ],
                showlegend=False,
            )
        )
    fig.update_layout(barmode="overlay")
    fig.update_yaxes(autorange="reversed", title_text="technology")
    fig.update_xaxes(
        title_text="year (pale: construction over the lead time; solid: first year in service)"
    )
    fig = _style(
        fig, "Commissioning schedule: amount built, with lead-time bars", 34 * len(labels) + 160
    )
    fig.update_layout(hovermode="closest")
    fig.update_xaxes(dtick=1, tickformat="d")
    return fig


def balances_figure(results: Results) -> go.Figure:
    com = results.tables["commodities"]
    names = list(
        dict.fromkeys(
            com.sort_values(
                "layer", key=lambda s: s.map({x: i for i, x in enumerate(LAYERS)}), kind="stable"
            )["commodity"]
        )
    )
    cols = 2
    nrows = (len(names) + cols - 1) // cols
    info = com.groupby("commodity")[["layer", "unit"]].first()
    fig = make_subplots(
        rows=nrows,
        cols=cols,
        subplot_titles=[f"{c} [{info.loc[c, 'unit']}] ({info.loc[c, 'layer']})" for c in names],
        vertical_spacing=0.3 / max(nrows, 1) if nrows > 1 else 0.1,
        horizontal_spacing=0.08,
    )
    series = (
        ("production", "production", "solid", "#2f4b7c"),
        ("consumption", "consumption by other technologies", "dot", "#665191"),
        ("demand", "exogenous demand", "dash", "#222222"),
        ("unserved", "unserved", "solid", "#c44536"),
    )
    for n, c in enumerate(names):
        g = com[com["commodity"] == c].groupby("year")[[s[0] for s in series]].sum()
        for column, label, dash, colour in series:
            if column in ("unserved", "demand") and g[column].abs().max() <= 1e-9:
                continue
            fig.add_trace(
                go.Scatter(
                    x=[int(y) for y in g.index],
                    y=g[column].values,
                    name=label,
                    legendgroup=column,
                    showlegend=n == 0 or column == "unserved",
                    line={"dash": dash, "color": colour, "width": 2},
                ),
                row=n // cols + 1,
                col=n % cols + 1,
            )
    return _style(
        fig, "Commodity balances: production against use and demand", 300 * nrows + 100, True
    )


def resources_figure(results: Results) -> go.Figure:
    res = results.tables.get("resources")
    if res is None or res.empty:
        return _note("Resource use against limits", "the instance has no scarce resources")
    keys = list(dict.fromkeys(zip(res["resource"], res["region"], strict=True)))
    cols = 2
    nrows = (len(keys) + cols - 1) // cols
    units = res.groupby("resource")["unit"].first()
    fig = make_subplots(
        rows=nrows,
        cols=cols,
        subplot_titles=[f"{p} ({r}) [{units[p]}]" for p, r in keys],
        vertical_spacing=0.3 / max(nrows, 1) if nrows > 1 else 0.1,
    )
    for n, (p, r) in enumerate(keys):
        g = res[(res["resource"] == p) & (res["region"] == r)].sort_values("year")
        years = [int(y) for y in g["year"]]
        binding = g["shadow_price"].fillna(0) > 1e-9
        fig.add_trace(
            go.Bar(
                x=years,
                y=g["use"],
                name="use",
                legendgroup="use",
                showlegend=n == 0,
                marker_color=["#c44536" if b else "#8da0cb" for b in binding],
            ),
            row=n // cols + 1,
            col=n % cols + 1,
        )
        fig.add_trace(
            go.Scatter(
                x=years,
                y=g["limit"],
                name="limit",
                legendgroup="limit",
                showlegend=n == 0,
                mode="lines",
                line={"color": "#222222", "dash": "dash", "shape": "hvh"},
            ),
            row=n // cols + 1,
            col=n % cols + 1,
        )
    title = "Resource use against limits (red bars: the limit binds at a cost)"
    fig = _style(fig, title, 300 * nrows + 100, True)
    return fig


def prices_figure(results: Results, money: str) -> go.Figure:
    prices = marginal_costs(results)
    res = results.tables.get("resources")
    layers = _layers(prices)
    titles = [f"{layer}: commodity prices" for layer in layers]
    has_res = res is not None and not res.empty and res["shadow_price"].fillna(0).abs().max() > 1e-9
    if has_res:
        titles.append("scarce resources: shadow prices")
    fig = make_subplots(
        rows=len(titles), cols=1, shared_xaxes=True, vertical_spacing=0.05, subplot_titles=titles
    )
    for i, layer in enumerate(layers, start=1):
        rows = prices[prices["layer"] == layer]
        shades = _shades(LAYER_COLOURS.get(layer, "#777777"), rows["commodity"].nunique())
        for colour, ((c, r), g) in zip(
            shades, rows.groupby(["commodity", "region"], sort=False), strict=False
        ):
            unit = g["unit"].iloc[0]
            fig.add_trace(
                go.Scatter(
                    x=[int(y) for y in g["year"]],
                    y=g["price"],
                    name=f"{c} ({r}) [{money}/{unit}]",
                    legendgroup=layer,
                    legendgrouptitle_text=layer,
                    mode="lines+markers",
                    line={"color": colour},
                ),
                row=i,
                col=1,
            )
        fig.update_yaxes(title_text=f"{money} per unit", row=i, col=1)
    if has_res:
        i = len(titles)
        for (p, r), g in res.groupby(["resource", "region"], sort=False):
            if g["shadow_price"].fillna(0).abs().max() <= 1e-9:
                continue
            fig.add_trace(
                go.Scatter(
                    x=[int(y) for y in g["year"]],
                    y=g["shadow_price"].clip(lower=0),
                    name=f"{p} ({r}) [{money}/{g['unit'].iloc[0]}]",
                    legendgroup="resources",
                    legendgrouptitle_text="resources",
                    mode="lines+markers",
                ),
                row=i,
                col=1,
            )
        fig.update_yaxes(title_text=f"{money} per unit", row=i, col=1)
    return _style(
        fig, f"Shadow prices over time (that year's {money} per unit)", 240 * len(titles) + 80
    )


def costs_figure(results: Results, money: str) -> go.Figure:
    costs = results.tables.get("costs")
    if costs is None or costs.empty:
        return _note("Costs", "no costs")
    fig = make_subplots(
        rows=1, cols=2, subplot_titles=["by layer", "by component"], horizontal_spacing=0.1
    )
    by_layer = costs.groupby(["year", "layer"], as_index=False)["cost"].sum()
    for layer in _layers(by_layer):
        g = by_layer[by_layer["layer"] == layer]
        fig.add_trace(
            go.Bar(
                x=[int(y) for y in g["year"]],
                y=g["cost"],
                name=layer,
                legendgroup="layer",
                legendgrouptitle_text="layer",
                marker_color=LAYER_COLOURS.get(layer, "#777777"),
            ),
            row=1,
            col=1,
        )
    palette = {
        "annuity": "#264653",
        "fixed": "#2a9d8f",
        "variable": "#e9c46a",
        "unserved": "#c44536",
        "trade": "#f4a261",
    }
    by_comp = costs.groupby(["year", "component"], as_index=False)["cost"].sum()
    for comp, g in by_comp.groupby("component", sort=False):
        fig.add_trace(
            go.Bar(
                x=[int(y) for y in g["year"]],
                y=g["cost"],
                name=str(comp),
                legendgroup="component",
                legendgrouptitle_text="component",
                marker_color=palette.get(str(comp), "#999999"),
            ),
            row=1,
            col=2,
        )
    fig.update_layout(barmode="stack")
    fig.update_yaxes(title_text=f"{money} per year (undiscounted)", row=1, col=1)
    return _style(fig, f"System cost per year ({money}, undiscounted)", 460, True)


def unserved_figure(results: Results) -> go.Figure:
    com = results.tables["commodities"]
    has = com[com["demand"] > 0]
    fig = go.Figure()
    for c, g in has.groupby("commodity", sort=False):
        g = g.groupby("year")[["unserved", "demand"]].sum()
        share = (g["unserved"] / g["demand"]).fillna(0) * 100
        fig.add_trace(go.Bar(x=[int(y) for y in g.index], y=share.values, name=str(c)))
    fig.update_yaxes(title_text="% of demand unserved", rangemode="tozero")
    fig.update_layout(barmode="group")
    total = has["unserved"].sum()
    title = "Unserved demand (share of each commodity's demand)"
    if total <= 1e-9:
        title += ": all demand is served"
    return _style(fig, title, 360)


def frontier_figure(folder: Path, money: str) -> go.Figure | None:
    path = folder / "sweep.parquet"
    if not path.is_file():
        return None
    sweep = pd.read_parquet(path)
    numeric = [c for c in sweep.columns if pd.api.types.is_numeric_dtype(sweep[c])]
    if "objective" not in sweep.columns or len(numeric) < 2:
        return _note("Frontier", "sweep.parquet has no objective column to plot")
    x = next(c for c in numeric if c != "objective")
    sweep = sweep.sort_values(x)
    fig = go.Figure(
        go.Scatter(x=sweep[x], y=sweep["objective"], mode="lines+markers", name="frontier")
    )
    fig.update_xaxes(title_text=x)
    fig.update_yaxes(title_text=f"discounted system cost ({money})")
    fig = _style(fig, f"Frontier: system cost against {x}", 420)
    fig.update_xaxes(dtick=None, tickformat="")
    return fig


def _note(title: str, text: str) -> go.Figure:
    fig = go.Figure()
    fig.add_annotation(
        text=text, showarrow=False, font={"size": 14}, x=0.5, y=0.5, xref="paper", yref="paper"
    )
    fig.update_xaxes(visible=False)
    fig.update_yaxes(visible=False)
    return _style(fig, title, 200)


def figures(
    results: Results, folder: Path | None = None, money: str = MONEY
) -> dict[str, go.Figure]:
    """Every chart of the report, by a file-friendly name, in report order."""
    from planner.insight import _data_from_source

    data = _data_from_source(results)
    figs = {
        "capacity": capacity_figure(results),
        "builds": builds_figure(results),
        "commissioning": gantt_figure(results, data),
        "balances": balances_figure(results),
        "resources": resources_figure(results),
        "prices": prices_figure(results, money),
        "costs": costs_figure(results, money),
        "unserved": unserved_figure(results),
    }
    if folder is not None:
        frontier = frontier_figure(folder, money)
        if frontier is not None:
            figs["frontier"] = frontier
    return figs


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


def render_html(results: Results, folder: Path | None = None, money: str = MONEY) -> str:
    """The report as one HTML string with plotly.js inlined once."""
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
        parts.append("</main></body></html>")
        return "".join(parts)
    parts.append(f"<section class='legend'>Layer colours: {legend}</section>")
    first = True
    captions = {
        "capacity": "Capacity in service, stacked by technology, one panel per layer "
        "(energy at the top).",
        "builds": "Capacity commissioned each year.",
        "commissioning": "Each bar is one year's build of one technology; the pale bar "
        "before it spans its construction (lead time).",
        "balances": "For each commodity: production, what other technologies use, "
        "exogenous demand and any unserved demand.",
        "resources": "Use of each scarce resource against its yearly limit.",
        "prices": "Marginal cost of each commodity and shadow price of each resource, "
        "in that year's money.",
        "costs": "Annuities, fixed and variable O&M, unserved-demand penalties and trade.",
        "unserved": "Share of each final demand left unserved.",
        "frontier": "Optimal system cost across the sweep.",
    }
    for key, fig in figures(results, folder, money).items():
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
    parts.append(f"<section><h2>Bottleneck table</h2>{_bottleneck_table(results, money)}</section>")
    parts.append("</main></body></html>")
    return "".join(parts)


def build_report(
    source: str | Path | Results,
    out: str | Path,
    money: str = MONEY,
    png: bool = False,
) -> Path:
    """Write the HTML report of a results directory (or Results) to `out`; return its path.

    With `png`, each chart is also written as DIR/<report stem>_figures/<chart>.png.
    """
    folder: Path | None = None
    if isinstance(source, str | Path):
        folder = Path(source)
        results = load_results(folder)
    else:
        results = source
    target = Path(out)
    target.parent.mkdir(parents=True, exist_ok=True)
    tmp = target.with_name(f".{target.name}.tmp")
    tmp.write_text(render_html(results, folder, money), encoding="utf-8")
    tmp.replace(target)
    if png and results.tables:
        write_pngs(figures(results, folder, money), target.with_name(f"{target.stem}_figures"))
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
        path = folder / f"{key}.png"
        fig.write_image(str(path), width=1200, height=int(fig.layout.height or 500), scale=1)
        paths.append(path)
    return paths
