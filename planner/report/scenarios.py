"""Two-stage results in the report (docs/model.md §17): a fan chart of each case's capacity
and cost paths with the shared first stage shaded, a table of the cases and the programme's
figures (expected cost, CVaR, wait-and-see, EVPI), and the builds decided before the branch
year, which every case shares: the hedge."""

from __future__ import annotations

import html

import pandas as pd
import plotly.graph_objects as go
from plotly.subplots import make_subplots

from planner import fmt
from planner.instance.schema import LAYERS
from planner.report.select import case_probabilities
from planner.report.style import grid, html_table, layers_of, style
from planner.results.base import Results

CASE_COLOURS = ("#2a6fbb", "#e76f51", "#2a9d8f", "#8338ec", "#e9c46a", "#6d597a", "#bc4749")
DASHES = ("solid", "dash", "dot", "dashdot", "longdash")
"""Later cases dashed, so that a case drawn over another with the same path lets it show."""
SHARED = "#222222"
SHADE = "#8d99ae"
PER_LAYER = 2
"""Technologies per layer in the capacity fan chart."""
TOL = 1e-9
SMALL = 1e-6
"""Builds below this share of a technology's largest are solver noise, not shown."""
FANS = ("fan", "fan-cost")
"""The keys of the fan charts in `planner.report.figures.figures`."""


def case_label(case: str, probability: float) -> str:
    return f"{case} (p = {probability:.3g})"


def _lines(cases: dict[str, float]) -> dict[str, dict[str, object]]:
    """Case -> plotly line: a colour each, later cases dashed."""
    return {
        c: {"color": CASE_COLOURS[i % len(CASE_COLOURS)], "dash": DASHES[i % len(DASHES)]}
        for i, c in enumerate(cases)
    }


def branch_year(results: Results) -> int:
    return int(results.summary["scenarios"]["branch_year"])


def fan_technologies(sched: pd.DataFrame, per_layer: int = PER_LAYER) -> list[str]:
    """Per layer (in stack order), the `per_layer` technologies whose capacity differs most
    between the cases in some year, among those whose paths differ visibly (by more than 1 %
    of their largest capacity); a layer where no path differs shows its largest technology.
    Technologies below 0.1 % of their layer's largest capacity are left out."""
    cap = sched.groupby(["layer", "technology", "year", "scenario"])["capacity"].sum()
    by_year = cap.unstack("scenario")
    keys = ["layer", "technology"]
    rank = pd.DataFrame(
        {
            "spread": (by_year.max(axis=1) - by_year.min(axis=1)).groupby(level=keys).max(),
            "peak": by_year.max(axis=1).groupby(level=keys).max(),
        }
    )
    largest = rank.groupby(level="layer")["peak"].transform("max")
    rank = rank[(rank["peak"] > TOL) & (rank["peak"] >= 1e-3 * largest)]
    chosen: list[str] = []
    for layer in layers_of(sched):
        if layer not in rank.index.get_level_values("layer"):
            continue
        own = rank.loc[layer]
        differs = own[own["spread"] > 0.01 * own["peak"]].sort_values("spread", ascending=False)
        names = differs.index[:per_layer] if len(differs) else [own["peak"].idxmax()]
        chosen += [str(t) for t in names]
    return chosen


def _per_case(rows: pd.DataFrame) -> pd.DataFrame:
    """Capacity and first-stage builds of some rows per case and year, summed over regions."""
    first = rows["build"].where(rows.get("build_stage", "second") == "first", 0.0)
    frame = rows.assign(first_build=first)
    return frame.groupby(["scenario", "year"], as_index=False, sort=False)[
        ["capacity", "first_build"]
    ].sum()


def _stage_keys(fig: go.Figure, years: list[int], branch: int) -> None:
    """Shade the first-stage years (before `branch`) in every panel, mark the branch year,
    and say so in the legend."""
    if not years or branch <= years[0]:
        return
    end = min(branch, years[-1] + 1) - 0.5
    fig.add_vrect(
        x0=years[0] - 0.5,
        x1=end,
        fillcolor=SHADE,
        opacity=0.25,
        line_width=0,
        layer="below",
        row="all",
        col="all",
    )
    key = {"symbol": "square", "size": 14, "color": SHADE, "opacity": 0.5}
    fig.add_trace(
        go.Scatter(
            x=[None],
            y=[None],
            mode="markers",
            marker=key,
            name=f"first stage: before {branch}, shared",
            hoverinfo="skip",
        )
    )
    if branch <= years[-1]:
        line = {"color": "#444444", "dash": "dash", "width": 1}
        fig.add_vline(x=end, line=line, row="all", col="all")
        fig.add_trace(
            go.Scatter(
                x=[None],
                y=[None],
                mode="lines",
                line=line,
                name=f"{branch}: the case is known",
                hoverinfo="skip",
            )
        )


def _first_stage_marks(per_case: pd.DataFrame, branch: int) -> go.Scatter | None:
    """Markers on each case's line where a build decided before `branch` comes into service."""
    small = max(TOL, SMALL * float(per_case["capacity"].abs().max()))
    marks = per_case[per_case["first_build"] > small]
    if marks.empty:
        return None
    return go.Scatter(
        x=[int(y) for y in marks["year"]],
        y=marks["capacity"],
        mode="markers",
        marker={"symbol": "diamond", "size": 8, "color": SHARED},
        name=f"in service from a build decided before {branch}",
        legendgroup="first",
        hovertext=[
            f"{r.scenario}: {fmt.quantity(r.first_build)} commissioned in {int(r.year)}, "
            f"decided before {branch}"
            for r in marks.itertuples()
        ],
        hoverinfo="text",
    )


def _case_paths(per_case: pd.DataFrame, cases: dict[str, float], branch: int) -> list[go.Scatter]:
    """One line per case; where every case has the same path before `branch` (the first
    stage), that part is drawn once, in black, and the cases fan out from its last year."""
    paths = per_case.pivot(index="year", columns="scenario", values="capacity")[list(cases)]
    before = paths[paths.index < branch]
    shared = len(before) > 0 and bool(
        (before.max(axis=1) - before.min(axis=1) <= 1e-9 * (1 + before.abs().max(axis=1))).all()
    )
    lines = _lines(cases)
    traces = []
    if shared:
        traces.append(
            go.Scatter(
                x=[int(y) for y in before.index],
                y=before.iloc[:, 0],
                mode="lines",
                name="shared path (first stage)",
                legendgroup="shared",
                line={"color": SHARED, "width": 3},
            )
        )
        paths = paths[paths.index >= before.index[-1]]
    for case, p in cases.items():
        traces.append(
            go.Scatter(
                x=[int(y) for y in paths.index],
                y=paths[case],
                mode="lines",
                name=case_label(case, p),
                legendgroup=case,
                line={**lines[case], "width": 2.5},
            )
        )
    return traces


def fan_figure(results: Results) -> go.Figure:
    """Installed capacity of each case over the years, one panel per technology (the
    technologies of `fan_technologies`), the first stage shaded."""
    sched = results.tables["schedule"]
    techs = fan_technologies(sched)
    cases = case_probabilities(results)
    branch = branch_year(results)
    cols = 3 if len(techs) > 4 else min(2, max(len(techs), 1))
    info = sched.groupby("technology")[["layer", "capacity_unit"]].first()
    titles = [
        f"{t} [{info.loc[t, 'capacity_unit'] or 'units'}] · {info.loc[t, 'layer']}" for t in techs
    ]
    panels = grid(titles, cols, horizontal_spacing=0.06)
    fig = panels.fig
    named: set[str] = set()
    for n, tech in enumerate(techs):
        per_case = _per_case(sched[sched["technology"] == tech])
        marks = _first_stage_marks(per_case, branch)
        for trace in [*_case_paths(per_case, cases, branch), *([marks] if marks else [])]:
            trace.showlegend = trace.name not in named
            named.add(str(trace.name))
            fig.add_trace(trace, **panels.at(n))
    _stage_keys(fig, sorted({int(y) for y in sched["year"]}), branch)
    title = "Fan chart: installed capacity in each case (largest differences, two per layer)"
    fig = style(fig, title, 250 * panels.rows + 120, narrow=True)
    return _legend_on_top(fig, panel_titles=True)


def _legend_on_top(fig: go.Figure, panel_titles: bool, width: int = 1150) -> go.Figure:
    """The legend in rows between the title and the panels (their titles, if any): plotly
    puts as many entries in a row as fit its widest entry, so the top margin grows with the
    rows that makes in a chart about `width` pixels wide."""
    names = [str(t.name) for t in fig.data if t.showlegend is not False]
    per_row = max(1, width // (48 + 6 * max((len(x) for x in names), default=1)))
    legend = 22 * (-(-len(names) // per_row))
    top = 60 + legend + (28 if panel_titles else 8)
    plot = int(fig.layout.height) + legend - top - int(fig.layout.margin.b)
    fig.update_layout(
        height=int(fig.layout.height) + legend,
        title={"y": 1, "yref": "container", "yanchor": "top", "pad": {"t": 16}},
        legend={"orientation": "h", "x": 0, "y": 1 + (top - 56) / plot, "yanchor": "top"},
        margin={"t": top},
    )
    return fig


def cost_fan_figure(results: Results, money: str) -> go.Figure:
    """Each case's undiscounted cost per year, and their probability-weighted mean."""
    costs = results.tables["costs"]
    cases = case_probabilities(results)
    lines = _lines(cases)
    per_year = costs.groupby(["scenario", "year"])["cost"].sum()
    fig = make_subplots(rows=1, cols=1)  # a grid, so that the stage keys reach every panel
    mean = sum(per_year[c] * p for c, p in cases.items())
    fig.add_trace(
        go.Scatter(
            x=[int(y) for y in mean.index],
            y=mean.values,
            mode="lines",
            name="probability-weighted mean",
            line={"color": "#b8bec9", "width": 7},
        )
    )
    for case, p in cases.items():
        g = per_year[case]
        fig.add_trace(
            go.Scatter(
                x=[int(y) for y in g.index],
                y=g.values,
                mode="lines+markers",
                name=case_label(case, p),
                line={**lines[case], "width": 2.5},
            )
        )
    _stage_keys(fig, sorted({int(y) for y in costs["year"]}), branch_year(results))
    fig.update_yaxes(title_text=f"{money} per year (undiscounted)", rangemode="tozero")
    fig.update_xaxes(title_text="year")
    title = f"Fan chart: system cost per year in each case ({money}, undiscounted)"
    return _legend_on_top(style(fig, title, 420), panel_titles=False)


def _cases_table(info: dict, horizon: str, money: str) -> str:
    """Probability, Z_s, Z_s over the horizon (where end effects make it differ) and the
    optimum of the case alone (with --evpi) of each case."""
    cases = info["cases"]
    values = list(cases.values())
    show_horizon = any(
        abs(c["objective_horizon"] - c["objective"]) > 1e-9 * max(1.0, abs(c["objective"]))
        for c in values
        if c.get("objective_horizon") is not None
    )
    show_alone = any(c.get("alone") is not None for c in values)
    head = ["case", "probability", f"discounted cost Z<sub>s</sub> ({html.escape(money)})"]
    head += [f"of which years {horizon} ({money})"] if show_horizon else []
    head += [f"planned alone, knowing the case from the start ({money})"] if show_alone else []
    rows = []
    for name, c in cases.items():
        row = [html.escape(str(name)), f"{c['probability']:.4g}", fmt.number(c["objective"])]
        if show_horizon:
            row.append(fmt.number(c["objective_horizon"]))
        if show_alone:
            row.append(fmt.number(c["alone"]) if c.get("alone") is not None else "-")
        rows.append(row)
    return html_table(head, rows)


def _programme_lines(info: dict, money: str) -> list[str]:
    """The programme's figures in words: expected cost, CVaR, risk weight, WS and EVPI."""
    risk = info.get("risk") or {}
    alpha, weight = float(risk.get("alpha", 0.9)), float(risk.get("weight", 0.0))
    lines = [
        f"Expected cost (probability-weighted Z<sub>s</sub>): "
        f"<b>{fmt.number(info['expected_cost'])} {money}</b>.",
        f"CVaR at α = {alpha:g}: {fmt.number(info['cvar'])} {money}, the expected cost of "
        f"the costliest {1 - alpha:.0%} of the probability.",
    ]
    if weight > 0:
        lines.append(
            f"The plan minimises (1 − {weight:g}) × expected cost + {weight:g} × CVaR: it "
            "gives up some expected cost to make the costly cases cheaper."
        )
    if info.get("evpi") is not None:
        lines.append(
            f"EVPI (expected value of perfect information) = "
            f"<b>{fmt.number(info['evpi'])} {money}</b>: what knowing the outcome before the "
            f"branch year would be worth, the expected cost of this plan less the wait-and-see "
            f"cost {fmt.number(info['wait_and_see'])} {money} of planning each case alone "
            "knowing it will come."
        )
    elif info.get("wait_and_see") is not None:
        lines.append(
            f"Wait-and-see cost (each case planned alone): {fmt.number(info['wait_and_see'])} "
            f"{money}; EVPI is reported for risk weight 0 only."
        )
    else:
        lines.append("Solve with --evpi for the wait-and-see cost and the EVPI.")
    return lines


def first_stage_table(results: Results) -> str:
    """The builds decided before the branch year (shared by every case): per technology,
    the amount coming into service each year."""
    sched = results.tables["schedule"]
    if "build_stage" not in sched:
        return ""
    case = next(iter(case_probabilities(results)))
    rows = sched[(sched["scenario"] == case) & (sched["build_stage"] == "first")]
    built = (
        rows[rows["build"] > TOL]
        .groupby(["layer", "technology", "capacity_unit", "year"], sort=False)["build"]
        .sum()
    )
    if built.empty:
        return "<p>Nothing is built before the branch year is known.</p>"
    order = {layer: i for i, layer in enumerate(LAYERS)}
    out = []
    for (layer, tech, unit), g in sorted(
        built.groupby(level=[0, 1, 2], sort=False), key=lambda kv: order.get(kv[0][0], 99)
    ):
        g = g[g > SMALL * g.max()]
        years = ", ".join(f"{int(y)}: {fmt.quantity(v)}" for (*_, y), v in g.items())
        out.append(
            [html.escape(str(x)) for x in (tech, layer, unit, years)] + [fmt.quantity(g.sum())]
        )
    head = ["technology", "layer", "unit", "in service from (year: amount)", "total"]
    return html_table(head, out, numeric_from=4)


def fan_intro(results: Results) -> str:
    """How to read the fan charts, for where the branch year falls in the horizon."""
    branch = branch_year(results)
    horizon = results.summary.get("horizon") or {}
    reading = (
        "Each line is one case. The capacity panels show, per layer, the two technologies "
        "whose capacity differs most between the cases."
    )
    if branch <= int(horizon.get("start", branch)):
        start = horizon.get("start")
        return (
            f"The branch year {branch} is not after the first year {start}: the cases share "
            f"no decision. {reading}"
        )
    if branch > int(horizon.get("end", branch)):
        return (
            f"The branch year {branch} is after the horizon: every decision of the horizon is "
            f"shared by the cases. {reading}"
        )
    return (
        f"Until {branch} nobody knows which case will come: the builds decided before {branch} "
        f"(the first stage, shaded) are the same in every case, and from {branch} each case "
        f"builds for what it knows. {reading} Diamonds mark capacity coming into service from "
        f"builds decided before {branch}, also where lead times bring it in after {branch}."
    )


def cases_html(results: Results, money: str) -> str:
    """The cases' table, the programme's figures in words and the first-stage builds."""
    info = results.summary["scenarios"]
    horizon = results.summary.get("horizon") or {}
    span = f"{horizon.get('start', '')}-{horizon.get('end', '')}"
    money = html.escape(money)
    branch = int(info["branch_year"])
    lines = "".join(f"<li>{x}</li>" for x in _programme_lines(info, money))
    return (
        f"<h3>The cases</h3>{_cases_table(info, span, money)}<ul class='story'>{lines}</ul>"
        f"<h3>The hedge: builds decided before {branch}, shared by every case</h3>"
        f"{first_stage_table(results)}"
    )
