"""The charts of the report, each from the result tables (and `results.info`)."""

from __future__ import annotations

import plotly.graph_objects as go
from plotly.subplots import make_subplots

from planner import fmt
from planner.instance.schema import LAYERS
from planner.report.adequacy import firm_figure, storage_figure
from planner.report.scenarios import cost_fan_figure, fan_figure
from planner.report.select import chosen_case, one_case, slice_year, within_horizon
from planner.report.slices import dispatch_figure
from planner.report.style import (
    LAYER_COLOURS,
    grid,
    layers_of,
    note,
    shades,
    style,
    tech_colours,
    units_label,
)
from planner.results.base import Results
from planner.results.insight import MONEY, marginal_costs


def capacity_figure(results: Results) -> go.Figure:
    sched = results.tables["schedule"]
    layers = layers_of(sched)
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
        fig.update_yaxes(title_text=units_label(rows["capacity_unit"]), row=i, col=1)
    fig.update_xaxes(title_text="year", row=len(layers), col=1)
    return style(fig, "Installed capacity by layer and technology", 230 * len(layers) + 80)


def builds_figure(results: Results) -> go.Figure:
    sched = results.tables["schedule"]
    layers = [x for x in layers_of(sched) if sched.loc[sched["layer"] == x, "build"].sum() > 1e-9]
    colours = tech_colours(sched)
    if not layers:
        return note("Builds per year", "nothing is built over the horizon")
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
        fig.update_yaxes(title_text=f"built ({units_label(rows['capacity_unit'])})", row=i, col=1)
    fig.update_layout(barmode="stack")
    fig.update_xaxes(title_text="commissioning year", row=len(layers), col=1)
    return style(fig, "New capacity commissioned per year", 210 * len(layers) + 80)


def gantt_figure(results: Results) -> go.Figure:
    """One bar per (technology, commissioning year): construction years then first year."""
    sched = results.tables["schedule"]
    built = sched[sched["build"] > 1e-9]
    if built.empty:
        return note("Commissioning schedule", "nothing is built over the horizon")
    info = results.info
    lead = {k: int(t["lead_time"]) for k, t in info.technologies.items()} if info else {}
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
        text = [fmt.quantity(b) for b in rows["build"]]
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
    fig = style(
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
    info = com.groupby("commodity")[["layer", "unit"]].first()
    titles = [f"{c} [{info.loc[c, 'unit']}] ({info.loc[c, 'layer']})" for c in names]
    panels = grid(titles, 2, horizontal_spacing=0.08)
    fig = panels.fig
    series = (
        ("production", "production", "solid", "#2f4b7c"),
        ("consumption", "consumption by other technologies", "dot", "#665191"),
        ("charge", "storage charging", "dashdot", "#2a9d8f"),
        ("demand", "exogenous demand", "dash", "#222222"),
        ("unserved", "unserved", "solid", "#c44536"),
    )
    series = tuple(s for s in series if s[0] in com)  # charge: only with storage
    for n, c in enumerate(names):
        g = com[com["commodity"] == c].groupby("year")[[s[0] for s in series]].sum()
        for column, label, dash, colour in series:
            if column in ("unserved", "demand", "charge") and g[column].abs().max() <= 1e-9:
                continue
            fig.add_trace(
                go.Scatter(
                    x=[int(y) for y in g.index],
                    y=g[column].values,
                    name=label,
                    legendgroup=column,
                    showlegend=n == 0 or column in ("unserved", "charge"),
                    line={"dash": dash, "color": colour, "width": 2},
                ),
                **panels.at(n),
            )
    title = "Commodity balances: production against use and demand"
    return style(fig, title, 300 * panels.rows + 100, True)


def resources_figure(results: Results) -> go.Figure:
    res = results.tables.get("resources")
    if res is None or res.empty:
        return note("Resource use against limits", "the instance has no scarce resources")
    keys = list(dict.fromkeys(zip(res["resource"], res["region"], strict=True)))
    units = res.groupby("resource")["unit"].first()
    panels = grid([f"{p} ({r}) [{units[p]}]" for p, r in keys], 2)
    fig = panels.fig
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
            **panels.at(n),
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
            **panels.at(n),
        )
    title = "Resource use against limits (red bars: the limit binds at a cost)"
    fig = style(fig, title, 300 * panels.rows + 100, True)
    return fig


def prices_figure(results: Results, money: str) -> go.Figure:
    prices = marginal_costs(results)
    res = results.tables.get("resources")
    layers = layers_of(prices)
    titles = [f"{layer}: commodity prices" for layer in layers]
    has_res = res is not None and not res.empty and res["shadow_price"].fillna(0).abs().max() > 1e-9
    if has_res:
        titles.append("scarce resources: shadow prices")
    fig = make_subplots(
        rows=len(titles), cols=1, shared_xaxes=True, vertical_spacing=0.05, subplot_titles=titles
    )
    for i, layer in enumerate(layers, start=1):
        rows = prices[prices["layer"] == layer]
        palette = shades(LAYER_COLOURS.get(layer, "#777777"), rows["commodity"].nunique())
        for colour, ((c, r), g) in zip(
            palette, rows.groupby(["commodity", "region"], sort=False), strict=False
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
    return style(
        fig, f"Shadow prices over time (that year's {money} per unit)", 240 * len(titles) + 80
    )


def costs_figure(results: Results, money: str) -> go.Figure:
    costs = results.tables.get("costs")
    if costs is None or costs.empty:
        return note("Costs", "no costs")
    fig = make_subplots(
        rows=1, cols=2, subplot_titles=["by layer", "by component"], horizontal_spacing=0.1
    )
    by_layer = costs.groupby(["year", "layer"], as_index=False)["cost"].sum()
    for layer in layers_of(by_layer):
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
    return style(fig, f"System cost per year ({money}, undiscounted)", 460, True)


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
    return style(fig, title, 360)


def slice_figures(results: Results, year: int, money: str) -> dict[str, go.Figure]:
    """The charts of a time-sliced run: dispatch and state of charge in `year`, firm
    capacity against the reserve requirement per year (each where its columns exist)."""
    out = {"dispatch": dispatch_figure(results, year, money)}
    if results.tables["dispatch"]["state_of_charge"].notna().any():
        out["state-of-charge"] = storage_figure(results, year)
    slices = results.tables["slices"]
    if "required_firm" in slices and slices["required_firm"].notna().any():
        out["firm-capacity"] = firm_figure(results)
    return out


def figures(
    results: Results,
    money: str = MONEY,
    year: int | None = None,
    show_extension: bool = False,
    case: str | None = None,
) -> dict[str, go.Figure]:
    """Every chart of the report, by a file-friendly name, in report order. Extension years
    (§15) are left out unless `show_extension`; the time-slice charts show `year` (default:
    the last year shown). A two-stage run (§17) starts with the fan charts of every case;
    the other charts show `case` alone (default: the most probable case), said in their
    titles. Raises ReportCaseError for a case the run does not have."""
    results = within_horizon(results, show_extension)
    case = chosen_case(results, case)
    fans: dict[str, go.Figure] = {}
    if case is not None:
        fans = {"fan": fan_figure(results), "fan-cost": cost_fan_figure(results, money)}
        results = one_case(results, case)
    year = slice_year(results, year)
    charts = {
        "capacity": capacity_figure(results),
        "builds": builds_figure(results),
        "commissioning": gantt_figure(results),
        "balances": balances_figure(results),
        **(slice_figures(results, year, money) if year is not None else {}),
        "resources": resources_figure(results),
        "prices": prices_figure(results, money),
        "costs": costs_figure(results, money),
        "unserved": unserved_figure(results),
    }
    if case is not None:
        for fig in charts.values():
            fig.update_layout(title_text=f"{fig.layout.title.text} · case {case}")
    return {**fans, **charts}
