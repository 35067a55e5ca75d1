"""Storage and firm capacity charts of a time-sliced run (docs/model.md §12-§13): the state
of charge through each representative period of one year, and per year the firm capacity
against what the reserve margin asks for at the peak."""

from __future__ import annotations

import numpy as np
import pandas as pd
import plotly.graph_objects as go

from planner.report.slices import (
    TINY,
    commodity_unit,
    period_title,
    rate_of,
    represented_hours,
)
from planner.report.style import LAYER_COLOURS, grid, note, style
from planner.results.base import Results

PERIOD_COLOURS = ("#264653", "#2a9d8f", "#e76f51", "#6a4c93", "#c99700", "#1982c4", "#8d6e63")
REQUIRED, PEAK, BINDS = "#111111", "#8d99ae", "#c44536"


def _energy_capacity(results: Results, tech: str, region: str, year: int) -> float | None:
    """(h / H) a Cap of a storage technology (§12.3), in its output's units; None where
    model.json does not say."""
    info = results.info
    spec = info.technologies.get(tech, {}).get("storage") if info else None
    if info is None or spec is None or year not in info.years:
        return None
    sched = results.tables["schedule"]
    cap = sched.loc[
        (sched["technology"] == tech) & (sched["region"] == region) & (sched["year"] == year),
        "capacity",
    ].sum()
    return float(spec["energy_per_capacity"][region][info.years.index(year)] * cap)


def storage_figure(results: Results, year: int) -> go.Figure:
    """State of charge at the end of each slice (and at the start of the period: the same as
    its end, §12.2) per storage technology and region that holds energy, one line per
    period."""
    disp = results.tables["dispatch"]
    rows = disp[(disp["year"] == year) & disp["state_of_charge"].notna()]
    slices = results.tables["slices"]
    lengths = slices[slices["year"] == year].drop_duplicates(["period", "slice"])
    lengths = lengths.set_index(["period", "slice"])[["hours", "weight"]]
    held = rows.groupby(["technology", "region"], sort=False)["state_of_charge"].max()
    keys = [key for key, most in held.items() if most > TINY]
    if not keys:
        return note("State of charge of storage", f"no storage holds energy in {year}")
    panels = grid([f"{k} in {r}" for k, r in keys], min(len(keys), 2))
    fig = panels.fig
    hours = represented_hours(results)
    for n, (tech, region) in enumerate(keys):
        at = panels.at(n)
        unit = rate_of(commodity_unit(results, _output(results, tech)))
        mine = rows[(rows["technology"] == tech) & (rows["region"] == region)]
        end = 0.0
        for i, (p, part) in enumerate(mine.groupby("period", sort=False)):
            own = lengths.loc[[(p, s) for s in part["slice"]]].reset_index()
            ends = np.cumsum(own["hours"].to_numpy())
            soc = part["state_of_charge"].to_numpy() * unit.factor
            name = period_title(own, hours)
            fig.add_trace(
                go.Scatter(
                    x=[0.0, *ends],
                    y=[soc[-1], *soc],
                    name=name,
                    legendgroup=name,
                    showlegend=n == 0,
                    mode="lines+markers",
                    line={"color": PERIOD_COLOURS[i % len(PERIOD_COLOURS)], "width": 2},
                    hovertemplate=f"%{{y:,.4g}} {unit.energy}<extra>{name}</extra>",
                ),
                **at,
            )
            end = max(end, float(ends[-1]))
        energy = _energy_capacity(results, str(tech), str(region), year)
        if energy is not None:
            fig.add_trace(
                go.Scatter(
                    x=[0.0, end],
                    y=[energy * unit.factor] * 2,
                    name="energy capacity (duration × power)",
                    legendgroup="energy capacity",
                    showlegend=n == 0,
                    mode="lines",
                    line={"color": REQUIRED, "dash": "dash", "width": 1.5},
                ),
                **at,
            )
        fig.update_yaxes(title_text=f"state of charge [{unit.energy}]", rangemode="tozero", **at)
        word = "day" if abs(end - 24) < TINY else "period"
        fig.update_xaxes(title_text=f"hour of the {word}", **at)
    title = f"State of charge of storage through each period of {year}"
    fig = style(fig, title, 300 * panels.rows + 120)
    fig.update_xaxes(dtick=3 if end <= 24 else None)
    return fig


def _output(results: Results, tech: str) -> str:
    sched = results.tables["schedule"]
    return str(sched.loc[sched["technology"] == tech, "output"].iloc[0])


def _by_year(rows: pd.DataFrame, hours: float, factor: float) -> pd.DataFrame:
    """Per year, as rates shown: firm capacity, the largest requirement over the slices
    (with the slice where it falls), the peak load rate, and whether the reserve binds."""
    rows = rows.assign(rate=rows["load"] / rows["weight"])
    peak = rows.loc[rows.groupby("year")["required_firm"].idxmax()].set_index("year")
    return pd.DataFrame(
        {
            "firm": rows.groupby("year")["firm_capacity"].max() * factor / hours,
            "required": peak["required_firm"] * factor / hours,
            "where": peak["period"].astype(str) + " " + peak["slice"].astype(str),
            "peak": rows.groupby("year")["rate"].max() * factor / hours,
            "binds": rows.groupby("year")["capacity_price"].max().fillna(0) > TINY,
        }
    )


def firm_figure(results: Results) -> go.Figure:
    """Per slice commodity with a reserve margin and region: firm capacity, the firm capacity
    the reserve asks for in its tightest slice, and the peak load, per year (rates as in the
    dispatch chart: per-year amounts divided by the hours H a year stands for)."""
    slices = results.tables["slices"]
    rows = slices[slices["required_firm"].notna()]
    keys = list(dict.fromkeys(zip(rows["commodity"], rows["region"], strict=True)))
    panels = grid([f"{c} in {r}" for c, r in keys], min(len(keys), 2))
    fig = panels.fig
    hours = represented_hours(results)
    for n, (c, r) in enumerate(keys):
        at = panels.at(n)
        rate = rate_of(commodity_unit(results, str(c)))
        g = _by_year(rows[(rows["commodity"] == c) & (rows["region"] == r)], hours, rate.factor)
        years = [int(y) for y in g.index]
        for column, name, line, extra in (
            ("firm", "firm capacity", {"color": LAYER_COLOURS["energy"], "width": 4}, {}),
            ("required", "required: (1 + margin) × peak factor × load, tightest slice",
             {"color": REQUIRED, "width": 2, "dash": "dash"}, {"customdata": g["where"]}),
            ("peak", "peak load", {"color": PEAK, "width": 2, "dash": "dot"}, {}),
        ):  # fmt: skip
            where = "<br>in %{customdata}" if extra else ""
            fig.add_trace(
                go.Scatter(
                    x=years,
                    y=g[column],
                    name=name,
                    legendgroup=column,
                    showlegend=n == 0,
                    mode="lines+markers" if column == "firm" else "lines",
                    line=line,
                    marker={"color": [BINDS if b else line["color"] for b in g["binds"]],
                            "size": 9},
                    hovertemplate=f"%{{y:,.4g}} {rate.power}{where}<extra>{name}</extra>",
                    **extra,
                ),
                **at,
            )  # fmt: skip
        fig.update_yaxes(title_text=f"{c} [{rate.power}]", rangemode="tozero", **at)
    title = "Firm capacity against the reserve requirement (red: the reserve margin binds)"
    return style(fig, title, 320 * panels.rows + 100, True)
